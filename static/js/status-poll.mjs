// A status region that updates in place (WCAG 2.2.2: no page reload on a timer).
// <div id="x" role="status" data-hwb-poll="5"> is fetched again every 5 seconds from the page's own
// address and its contents replaced by the new copy's; screen readers hear the change through
// role="status". When the new page no longer has the region (the work has finished), polling
// stops and the region says so, with a link to see the finished page: nothing reloads by itself.
const regions = document.querySelectorAll('[data-hwb-poll]');

for (const region of regions) {
  const seconds = Math.max(2, Number(region.dataset.hwbPoll) || 5);
  const finished = region.dataset.hwbPollFinished || '';
  const timer = setInterval(async () => {
    let text;
    try {
      const response = await fetch(window.location.pathname + window.location.search, {
        headers: { 'X-Requested-With': 'status-poll' },
        credentials: 'same-origin',
        cache: 'no-store',
      });
      if (!response.ok) return;
      text = await response.text();
    } catch {
      return; // offline for a moment: try again at the next tick
    }
    const fresh = new DOMParser().parseFromString(text, 'text/html').getElementById(region.id);
    if (fresh) {
      if (fresh.innerHTML !== region.innerHTML) region.innerHTML = fresh.innerHTML;
      return;
    }
    clearInterval(timer);
    if (finished) {
      const link = document.createElement('a');
      link.href = window.location.pathname + window.location.search;
      link.className = 'govuk-link';
      link.textContent = finished;
      region.replaceChildren(link);
    }
  }, seconds * 1000);
}
