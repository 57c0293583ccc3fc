// FieldVisit: the little that htmx does not cover. No inline scripts (CSP).
(function () {
  "use strict";
  // After htmx swaps in a form with errors, move focus to the error summary.
  document.addEventListener("htmx:afterSwap", function (event) {
    var summary = event.detail.target.querySelector && event.detail.target.querySelector("#error-summary");
    if (summary) { summary.focus(); }
  });
  // On a full page load with errors, do the same.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
  });
})();
