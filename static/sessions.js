// The session page: a type-ahead filter for the "about" picker, the print button, and focus
// back in the note line after a save. The forms work without it.
(function () {
  "use strict";

  function setUpFilter(root) {
    var filter = root.querySelector(".target-filter");
    var select = root.querySelector("#f-target");
    if (!filter || !select || filter.dataset.ready) { return; }
    filter.dataset.ready = "1";
    filter.hidden = false;
    filter.addEventListener("input", function () {
      var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
      var first = null;
      Array.prototype.forEach.call(select.options, function (option) {
        var text = option.text.toLowerCase();
        var hit = words.every(function (w) { return text.indexOf(w) >= 0; });
        option.hidden = !hit;
        if (hit && first === null) { first = option; }
      });
      if (first) { select.value = first.value; }
    });
    filter.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {  // choose, and go back to typing the note
        event.preventDefault();
        filter.value = "";
        Array.prototype.forEach.call(select.options, function (o) { o.hidden = false; });
        var body = document.getElementById("f-body");
        if (body) { body.focus(); }
      }
    });
  }

  function ready() {
    setUpFilter(document);
    var print = document.querySelector(".print-button");
    if (print) {
      print.hidden = false;
      print.addEventListener("click", function () { window.print(); });
    }
  }

  document.addEventListener("DOMContentLoaded", ready);
  document.addEventListener("htmx:afterSwap", function (event) {
    setUpFilter(document);
    if (event.detail.target && event.detail.target.id === "entry") {
      var body = document.getElementById("f-body");
      if (body) { body.focus(); }
    }
    if (event.detail.target && event.detail.target.id === "attendance") {
      var name = document.getElementById("a-name");
      if (name) { name.focus(); }
    }
  });
  // Alt+A jumps to the "about" filter (or the picker) from the note line.
  document.addEventListener("keydown", function (event) {
    if (event.altKey && (event.key === "a" || event.key === "A")) {
      var target = document.querySelector(".target-filter:not([hidden])") || document.getElementById("f-target");
      if (target) { event.preventDefault(); target.focus(); }
    }
  });
}());
