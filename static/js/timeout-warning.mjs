// The User management window's timeout warning (GOV.UK pattern, WCAG 2.2.1).
// A modal <dialog> opens shortly before the window ends: the browser moves focus into it, keeps
// Tab inside it and closes it with Escape; "Stay in User management" asks the server for a fresh
// window without leaving the page. If nobody answers, the dialog says the password will be asked
// for, and the next action goes through the sign-in (keeping what was typed).
const dialog = document.getElementById('hwb-timeout');

if (dialog && typeof dialog.showModal === 'function') {
  const form = dialog.querySelector('form');
  const text = dialog.querySelector('#hwb-timeout-text');
  const warnBefore = Number(dialog.dataset.warnBefore) || 120;
  let timers = [];

  const schedule = (secondsLeft) => {
    timers.forEach(clearTimeout);
    timers = [
      setTimeout(() => { if (!dialog.open) dialog.showModal(); },
        Math.max(0, secondsLeft - warnBefore) * 1000),
      setTimeout(() => { text.textContent = dialog.dataset.endedText; },
        secondsLeft * 1000),
    ];
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const response = await fetch(form.action, {
        method: 'POST',
        body: new FormData(form),
        headers: { Accept: 'application/json' },
        credentials: 'same-origin',
      });
      const answer = await response.json();
      if (response.ok && answer.seconds_left > 0) {
        dialog.close();
        schedule(answer.seconds_left);
        return;
      }
    } catch {
      // fall through: the ordinary post below
    }
    form.submit();
  });

  schedule(Number(dialog.dataset.secondsLeft) || 0);
}
