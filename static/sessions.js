// The session page: a type-ahead filter for the "about" picker, the print button, focus back in
// the note line after a save, and screenshots for a note: pasted (Ctrl+V in the note line),
// dropped or chosen images are put in the form's file input (shown as thumbnails with a remove
// button) and go with the note's own post (multipart, as without JavaScript). The server puts
// them through the photo pipeline. The forms work without this file.
(function () {
  "use strict";

  // --- images of the note being typed ---------------------------------------------------------

  var kept = [];  // the images of the note being sent

  function setUpPhotos(root) {
    var form = root.querySelector ? root.querySelector("#entry") : null;
    var input = document.getElementById("f-photo");
    var list = form ? form.querySelector(".photo-previews") : null;
    if (!form || !input || !list || form.dataset.photos || typeof DataTransfer === "undefined") { return; }
    form.dataset.photos = "1";
    // A note sent without text comes back with a hint and nothing saved: keep its images.
    var files = form.querySelector(".entry-hint") ? kept : [];
    var urls = [];
    form.addEventListener("htmx:beforeRequest", function () { kept = files.slice(); });

    function sync() {
      var transfer = new DataTransfer();
      files.forEach(function (file) { transfer.items.add(file); });
      input.files = transfer.files;
      urls.forEach(function (url) { URL.revokeObjectURL(url); });
      urls = [];
      list.textContent = "";
      files.forEach(function (file, index) {
        var li = document.createElement("li");
        var img = document.createElement("img");
        var url = URL.createObjectURL(file);
        urls.push(url);
        img.src = url;
        img.alt = file.name;
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "button secondary";
        remove.textContent = list.dataset.remove || "Remove";
        remove.setAttribute("aria-label", (list.dataset.remove || "Remove") + " " + file.name);
        remove.addEventListener("click", function () {
          files.splice(index, 1);
          sync();
          var body = document.getElementById("f-body");
          if (body) { body.focus(); }
        });
        li.appendChild(img);
        li.appendChild(remove);
        list.appendChild(li);
      });
      list.hidden = files.length === 0;
    }

    function add(candidates) {
      var added = false;
      Array.prototype.forEach.call(candidates, function (file) {
        if (!file || !/^image\//.test(file.type)) { return; }
        if (!file.name || file.name === "image.png") {  // a clipboard image has no real name
          var stamp = new Date().toISOString().replace(/[-:]/g, "").slice(0, 15);
          var ext = (file.type.split("/")[1] || "png").replace("jpeg", "jpg");
          file = new File([file], (list.dataset.pasted || "screenshot").replace(/\s+/g, "-").toLowerCase() +
                          "-" + stamp + "-" + (files.length + 1) + "." + ext, {type: file.type});
        }
        files.push(file);
        added = true;
      });
      if (added) { sync(); }
      return added;
    }

    if (files.length) { sync(); }
    input.addEventListener("change", function () {  // chosen with the file picker: they replace the list
      files = [];
      add(input.files);
      sync();
    });
    form.addEventListener("paste", function (event) {
      var data = event.clipboardData;
      if (!data) { return; }
      var pasted = [];
      Array.prototype.forEach.call(data.items || [], function (item) {
        if (item.kind === "file") { pasted.push(item.getAsFile()); }
      });
      if (add(pasted)) { event.preventDefault(); }  // text pastes as text
    });
    form.addEventListener("dragover", function (event) {
      if (event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, "Files") >= 0) {
        event.preventDefault();
        form.classList.add("dragging");
      }
    });
    form.addEventListener("dragleave", function () { form.classList.remove("dragging"); });
    form.addEventListener("drop", function (event) {
      form.classList.remove("dragging");
      if (event.dataTransfer && event.dataTransfer.files.length) {
        event.preventDefault();
        add(event.dataTransfer.files);
      }
    });
  }

  // A thumbnail the worker has not made yet shows the placeholder: ask again until it is there.
  function refreshPending(root) {
    Array.prototype.forEach.call(root.querySelectorAll("img.note-thumb[data-pending]"), function (img) {
      if (img.dataset.watching) { return; }
      img.dataset.watching = "1";
      var base = img.getAttribute("src").split("?")[0];
      var tries = 0;
      function probe() {
        var next = new Image();
        next.onload = function () {
          if (next.naturalWidth === 96 && next.naturalHeight === 96) { again(); return; }  // the placeholder
          img.src = next.src;
          delete img.dataset.pending;
        };
        next.onerror = again;
        next.src = base + "?r=" + Date.now();
      }
      function again() {
        tries += 1;
        if (tries < 30 && document.contains(img)) { setTimeout(probe, 2000); }
      }
      setTimeout(probe, 1500);
    });
  }

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
    setUpPhotos(document);
    refreshPending(document);
    var print = document.querySelector(".print-button");
    if (print) {
      print.hidden = false;
      print.addEventListener("click", function () { window.print(); });
    }
  }

  document.addEventListener("DOMContentLoaded", ready);
  document.addEventListener("htmx:afterSettle", function () { refreshPending(document); });
  document.addEventListener("htmx:afterSwap", function (event) {
    setUpFilter(document);
    setUpPhotos(document);
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
