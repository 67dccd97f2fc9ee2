// Lets GOV.UK Frontend's styles know scripts run. A file, not inline, so the CSP needs no 'unsafe-inline'.
document.body.className += " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
