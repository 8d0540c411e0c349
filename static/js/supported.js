// Marks the page as able to run GOV.UK Frontend's JavaScript (ES modules) before it paints.
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');
