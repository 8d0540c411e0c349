// Starts GOV.UK Frontend's components (error summary focus, header, checkboxes...).
import { initAll } from '../vendor/govuk-frontend/govuk-frontend.min.js';

initAll();
