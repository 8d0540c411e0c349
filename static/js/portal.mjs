// Starts GOV.UK Frontend's components (error summary focus, header, checkboxes...).
import { initAll } from '../vendor/govuk-frontend/govuk-frontend.min.js';

initAll();

// A table wider than a narrow screen scrolls inside its own box (portal.css); one that does can
// be focused, so a keyboard user can scroll it with the arrow keys (WCAG 2.1.1).
const scrollersFocusable = () => {
  for (const table of document.querySelectorAll('.govuk-table')) {
    if (table.scrollWidth > table.clientWidth + 1) {
      table.tabIndex = 0;
    } else {
      table.removeAttribute('tabindex');
    }
  }
};
scrollersFocusable();
window.addEventListener('resize', scrollersFocusable);
