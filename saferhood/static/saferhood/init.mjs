// Start GOV.UK Frontend's components (header menu, skip link, error summary focus…).
import { initAll } from "../govuk/govuk-frontend.min.js";

initAll();
