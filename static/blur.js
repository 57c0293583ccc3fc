// Draw blur boxes on the photo (issue 8): a drag on the image fills the next empty row of the
// percent fields. Without JavaScript the fields are typed by hand; this only helps.
(function () {
  "use strict";
  function init() {
    var figure = document.querySelector("[data-blur-canvas]");
    var form = document.querySelector("[data-blur-form]");
    if (!figure || !form) return;
    var img = figure.querySelector("img");
    var sides = ["left", "top", "right", "bottom"];
    var start = null;
    var rect = document.createElement("div");
    rect.className = "blur-drawn";
    rect.hidden = true;
    figure.appendChild(rect);
    function pct(event) {
      var r = img.getBoundingClientRect();
      var x = Math.min(Math.max((event.clientX - r.left) / r.width, 0), 1);
      var y = Math.min(Math.max((event.clientY - r.top) / r.height, 0), 1);
      return { x: x, y: y };
    }
    function place(a, b) {
      rect.style.left = Math.min(a.x, b.x) * 100 + "%";
      rect.style.top = Math.min(a.y, b.y) * 100 + "%";
      rect.style.width = Math.abs(a.x - b.x) * 100 + "%";
      rect.style.height = Math.abs(a.y - b.y) * 100 + "%";
    }
    function emptyRow() {
      for (var i = 0; i < Number(form.dataset.maxBoxes || 8); i++) {
        var left = form.elements["box" + i + "_left"];
        if (!left) return null;
        var blank = sides.every(function (s) { return !form.elements["box" + i + "_" + s].value; });
        if (blank) return i;
      }
      return null;
    }
    img.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      start = pct(event);
      rect.hidden = false;
      place(start, start);
      img.setPointerCapture(event.pointerId);
    });
    img.addEventListener("pointermove", function (event) { if (start) place(start, pct(event)); });
    img.addEventListener("pointerup", function (event) {
      if (!start) return;
      var end = pct(event);
      var box = [Math.min(start.x, end.x), Math.min(start.y, end.y), Math.max(start.x, end.x), Math.max(start.y, end.y)];
      start = null;
      rect.hidden = true;
      if (box[2] - box[0] < 0.01 || box[3] - box[1] < 0.01) return;
      var row = emptyRow();
      if (row === null) return;
      sides.forEach(function (s, k) { form.elements["box" + row + "_" + s].value = (box[k] * 100).toFixed(1); });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
