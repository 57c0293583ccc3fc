// FieldVisit: the little that htmx does not cover. No inline scripts (CSP).
(function () {
  "use strict";
  // Shared by the page scripts (loaded before them, see templates/base.html).
  // A random UUID v4: the idempotency key of a save, made on the phone.
  function uuid4() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  window.FieldVisit = {uuid4: uuid4};

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
