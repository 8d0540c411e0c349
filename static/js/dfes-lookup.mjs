// Step 1 of the Account Transfer: shows the previous school's name once its 7-digit DfES number
// is complete. Without this module the name shows on the next page load instead.
const input = document.querySelector('input[data-dfes-lookup]');
const region = input && document.getElementById(input.dataset.dfesLookup);

if (input && region) {
  const lookupUrl = region.dataset.lookupUrl;
  let looking = null;
  let shown = input.value.trim();

  const show = (text, strong) => {
    const paragraph = document.createElement('p');
    paragraph.className = 'govuk-inset-text';
    paragraph.append(text);
    if (strong) {
      paragraph.append(' ');
      const name = document.createElement('strong');
      name.textContent = strong;
      paragraph.append(name);
    }
    region.replaceChildren(paragraph);
  };

  const lookUp = async () => {
    const dfesNumber = input.value.trim();
    if (dfesNumber === shown) return;
    shown = dfesNumber;
    looking?.abort();
    if (!/^\d{7}$/.test(dfesNumber)) {
      region.replaceChildren();
      return;
    }
    looking = new AbortController();
    try {
      const response = await fetch(lookupUrl.replace('0000000', dfesNumber), {
        headers: { Accept: 'application/json' },
        credentials: 'same-origin',
        signal: looking.signal,
      });
      if (response.ok) {
        const school = await response.json();
        show(region.dataset.foundLabel, school.name);
      } else if (response.status === 404) {
        show(region.dataset.notFound);
      } else {
        region.replaceChildren(); // too many look-ups: the next page load says more
      }
    } catch (error) {
      if (error.name !== 'AbortError') region.replaceChildren();
    }
  };

  input.addEventListener('input', lookUp);
  input.addEventListener('change', lookUp);
}
