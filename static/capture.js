// Photos on the visit page: downscale in the browser, keep the original EXIF, send one photo at
// a time with a progress bar and a state per photo (waiting / sending / saved / failed + retry).
// The forms work without this file (a plain multipart post); this only makes them better.
//
// window.FieldVisitCapture.sendPhoto(visitId, {uuid, itemCode, source, blob, filename}, onProgress)
// is the one send step, shared with the offline outbox: it resolves with the server's JSON
// ({id, client_uuid, status: "created"|"replay", thumb_url, display_url, ...}) and rejects with an
// Error carrying .status (0: no connection) and .retryable (keep the photo and send it again).
(function () {
  "use strict";

  // The wire budget of a photo: a tenth of what the camera wrote (but never less than
  // MIN_BUDGET), at the highest JPEG quality from BEST_QUALITY down to FLOOR_QUALITY that fits.
  // A document or a plain wall fits at BEST_QUALITY; a busy 12 MP scene needs ~0.55 in Chromium,
  // where artefacts hide in the detail (bench/bench_photo_wire.py sweeps quality, bytes and PSNR).
  var BEST_QUALITY = 0.8;
  var FLOOR_QUALITY = 0.5;
  var WIRE_SHARE = 0.1;
  var MIN_BUDGET = 200 * 1024;

  var uuid4 = window.FieldVisit.uuid4;  // static/app.js

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) { return decodeURIComponent(match[1]); }
    var input = document.querySelector("input[name=_csrf_token]");
    return input ? input.value : "";
  }

  // --- EXIF: the original's APP1 segment, its Orientation reset to 1, spliced into the new JPEG ---

  function exifSegment(bytes) {
    // The APP1 "Exif\0\0" segment of a JPEG (marker included), or null.
    if (bytes.length < 4 || bytes[0] !== 0xFF || bytes[1] !== 0xD8) { return null; }
    var at = 2;
    while (at + 4 <= bytes.length && bytes[at] === 0xFF) {
      var marker = bytes[at + 1];
      if (marker === 0xDA || marker === 0xD9) { break; }  // image data: no more metadata
      var length = (bytes[at + 2] << 8) | bytes[at + 3];
      if (marker === 0xE1 && length > 8 && bytes[at + 4] === 0x45 && bytes[at + 5] === 0x78 &&
          bytes[at + 6] === 0x69 && bytes[at + 7] === 0x66 && bytes[at + 8] === 0 && bytes[at + 9] === 0) {
        return bytes.slice(at, at + 2 + length);
      }
      at += 2 + length;
    }
    return null;
  }

  function resetOrientation(segment) {
    // The canvas drew the photo upright: its EXIF must say so (Orientation 0x0112 = 1 in IFD0).
    var tiff = 10;  // FF E1, length (2), "Exif\0\0"
    var view = new DataView(segment.buffer, segment.byteOffset, segment.byteLength);
    if (segment.length < tiff + 8) { return segment; }
    var little = view.getUint16(tiff) === 0x4949;
    var ifd = tiff + view.getUint32(tiff + 4, little);
    if (ifd + 2 > segment.length) { return segment; }
    var count = view.getUint16(ifd, little);
    for (var i = 0; i < count; i++) {
      var entry = ifd + 2 + i * 12;
      if (entry + 12 > segment.length) { break; }
      if (view.getUint16(entry, little) === 0x0112) { view.setUint16(entry + 8, 1, little); }
    }
    return segment;
  }

  function withExif(jpeg, segment) {
    // SOI, the original's EXIF, then the rest of the new JPEG.
    var out = new Uint8Array(jpeg.length + segment.length);
    out.set(jpeg.subarray(0, 2), 0);
    out.set(segment, 2);
    out.set(jpeg.subarray(2), 2 + segment.length);
    return out;
  }

  // --- downscale ---

  function decode(file) {
    if (!window.createImageBitmap) { return Promise.reject(new Error("no createImageBitmap")); }
    return createImageBitmap(file, {imageOrientation: "from-image"});
  }

  function encode(canvas, quality) {
    return new Promise(function (resolve, reject) {
      canvas.toBlob(function (blob) { return blob ? resolve(blob) : reject(new Error("encode failed")); },
        "image/jpeg", quality);
    });
  }

  function withinBudget(canvas, budget) {
    // At most three encodes: the best quality; else the floor; else one guess between the two
    // (bytes fall about linearly with quality there), kept if it fits, the floor if not.
    return encode(canvas, BEST_QUALITY).then(function (best) {
      if (best.size <= budget) { return best; }
      return encode(canvas, FLOOR_QUALITY).then(function (floor) {
        if (floor.size >= budget) { return floor; }
        var guess = FLOOR_QUALITY + (BEST_QUALITY - FLOOR_QUALITY) * (budget - floor.size) / (best.size - floor.size);
        guess = Math.floor(guess * 100) / 100;
        if (guess <= FLOOR_QUALITY) { return floor; }
        return encode(canvas, guess).then(function (made) { return made.size <= budget ? made : floor; });
      });
    });
  }

  function canvasJpeg(bitmap, longEdge, budget) {
    var scale = Math.min(1, longEdge / Math.max(bitmap.width, bitmap.height));
    var canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    var context = canvas.getContext("2d");
    context.imageSmoothingQuality = "high";
    context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    if (bitmap.close) { bitmap.close(); }
    return withinBudget(canvas, budget);
  }

  // The file to send: downscaled JPEG with the original EXIF (orientation reset), or the file
  // itself when the browser cannot decode it (HEIC on Android) or it is already small enough.
  function prepare(file, longEdge) {
    return Promise.all([decode(file), file.arrayBuffer()]).then(function (results) {
      var original = new Uint8Array(results[1]);
      var segment = exifSegment(original);
      // The budget is for the whole request: the EXIF and the form's own bytes come out of it.
      var budget = Math.max(MIN_BUDGET, WIRE_SHARE * file.size) - (segment ? segment.length : 0) - 1024;
      return canvasJpeg(results[0], longEdge, budget).then(function (blob) {
        return blob.arrayBuffer();
      }).then(function (made) {
        var bytes = segment ? withExif(new Uint8Array(made), resetOrientation(segment)) : new Uint8Array(made);
        if (bytes.length >= file.size && file.type === "image/jpeg") { return file; }
        return new Blob([bytes], {type: "image/jpeg"});
      });
    }).catch(function () { return file; });
  }

  // --- the send step (shared with the offline outbox) ---

  function sendPhoto(visitId, photo, onProgress) {
    return new Promise(function (resolve, reject) {
      var body = new FormData();
      body.append("client_uuid", photo.uuid);
      body.append("item_code", photo.itemCode || "");
      body.append("source", photo.source || "camera");
      body.append("photo", photo.blob, photo.filename || "photo.jpg");
      var xhr = new XMLHttpRequest();
      xhr.open("POST", "/visits/" + encodeURIComponent(visitId) + "/photos");
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("x-csrftoken", csrfToken());
      if (onProgress) {
        xhr.upload.onprogress = function (event) {
          if (event.lengthComputable) { onProgress(event.loaded / event.total); }
        };
      }
      xhr.onload = function () {
        var data = null;
        try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
        if (xhr.status === 200 || xhr.status === 201) { return resolve(data); }
        var error = new Error((data && data.error && data.error.message) || ("HTTP " + xhr.status));
        error.status = xhr.status;
        error.retryable = xhr.status >= 500 || xhr.status === 429 || xhr.status === 408;
        reject(error);
      };
      xhr.onerror = xhr.ontimeout = function () {
        var error = new Error("");
        error.status = 0;
        error.retryable = true;
        reject(error);
      };
      xhr.send(body);
    });
  }

  // keep(visitId, photo) is called for each prepared photo before its turn to be sent; the offline
  // outbox replaces it (and wraps sendPhoto) so that a chosen photo survives the page being killed.
  var capture = window.FieldVisitCapture = {
    sendPhoto: sendPhoto, prepare: prepare, uuid4: uuid4,
    keep: function () { return Promise.resolve(); }
  };

  // --- the queue on the page: one photo at a time ---

  var queue = [];
  var busy = false;
  var byUuid = {};  // the lines of this page, for the photos the outbox sends later

  function labels(form) {
    try { return JSON.parse(form.dataset.labels); } catch (e) { return {}; }
  }

  function row(entry) {
    var li = document.createElement("li");
    var name = document.createElement("span");
    name.className = "name";
    name.textContent = entry.file.name || "photo";
    var state = document.createElement("span");
    state.className = "state";
    var bar = document.createElement("progress");
    bar.max = 1;
    bar.value = 0;
    bar.setAttribute("aria-label", name.textContent);
    var message = document.createElement("span");
    message.className = "message";
    li.appendChild(name);
    li.appendChild(state);
    li.appendChild(bar);
    li.appendChild(message);
    entry.li = li;
    entry.state = state;
    entry.bar = bar;
    entry.message = message;
    return li;
  }

  function show(entry, state, text) {
    entry.li.dataset.state = state;
    entry.state.className = "state state-" + state;
    entry.state.textContent = entry.labels[state] || state;
    entry.message.textContent = text || "";
    var old = entry.li.querySelector("button.retry");
    if (old) { old.remove(); }
    if (state === "failed" || (state === "kept" && window.FieldVisitOutbox)) {
      // Failed: send it again from here. Kept: the outbox has it; a tap sends it now.
      var retry = document.createElement("button");
      retry.type = "button";
      retry.className = "button secondary retry";
      retry.textContent = entry.labels.retry || "Retry";
      retry.addEventListener("click", function () {
        if (state === "failed") { enqueue(entry); } else { window.FieldVisitOutbox.sendNow(); }
      });
      entry.li.appendChild(retry);
    }
  }

  function addThumbnail(entry, saved) {
    var list = entry.box.querySelector(".photo-list");
    if (!list || !saved || document.getElementById("photo-" + saved.id)) { return; }
    var li = document.createElement("li");
    li.className = "photo";
    li.id = "photo-" + saved.id;
    var link = document.createElement("a");
    link.href = saved.display_url;
    var img = document.createElement("img");
    img.src = saved.thumb_url;
    img.alt = entry.file.name || "photo";
    img.width = 96;
    img.height = 96;
    link.appendChild(img);
    li.appendChild(link);
    list.appendChild(li);
    list.hidden = false;
    // The thumbnail is made right after the upload: look again in a few seconds.
    setTimeout(function () { img.src = saved.thumb_url + "?t=" + Date.now(); }, 4000);
  }

  function enqueue(entry) {
    show(entry, "waiting");
    entry.bar.value = 0;
    queue.push(entry);
    next();
  }

  function photoOf(entry) {
    return {uuid: entry.uuid, itemCode: entry.itemCode, source: entry.source, blob: entry.blob,
      filename: entry.file.name};
  }

  var preparing = Promise.resolve();

  function prepareAndKeep(entry) {
    // One photo at a time (a cheap phone's memory), in the order chosen; a photo the outbox
    // cannot keep (storage full) is still sent directly.
    preparing = preparing.then(function () {
      return prepare(entry.file, entry.longEdge);
    }).then(function (blob) {
      entry.blob = blob;  // a retry sends the same bytes under the same UUID
      return capture.keep(entry.visitId, photoOf(entry)).catch(function () { return null; });
    });
    entry.ready = preparing;
  }

  function next() {
    if (busy || !queue.length) { return; }
    busy = true;
    var entry = queue.shift();
    show(entry, "sending");
    entry.ready.then(function () {
      return capture.sendPhoto(entry.visitId, photoOf(entry), function (fraction) { entry.bar.value = fraction; });
    }).then(function (saved) {
      entry.bar.value = 1;
      show(entry, "saved");
      addThumbnail(entry, saved);
    }, function (error) {
      // Kept by the offline outbox: it is sent again by itself, nothing to retry by hand.
      if (error.kept) { show(entry, "kept"); } else { show(entry, "failed", error.message); }
    }).then(function () {
      busy = false;
      next();
    });
  }

  function start(form) {
    var input = form.querySelector("input[type=file]");
    if (!input || !input.files || !input.files.length) { return false; }
    var box = form.closest(".photos");
    var list = box.querySelector(".photo-queue");
    var files = Array.prototype.slice.call(input.files);
    files.forEach(function (file) {
      var entry = {file: file, uuid: uuid4(), visitId: form.dataset.visit, itemCode: form.dataset.item,
        source: form.dataset.source || "camera", longEdge: parseInt(form.dataset.longEdge, 10) || 2048,
        labels: labels(form), box: box};
      list.appendChild(row(entry));
      byUuid[entry.uuid] = entry;
      prepareAndKeep(entry);
      enqueue(entry);
    });
    input.value = "";
    return true;
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches(".photo-form input[type=file]")) { return; }
    start(input.form);
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches(".photo-form")) { return; }
    event.preventDefault();
    start(form);
  });

  // A photo kept by the offline outbox and sent by it later: its line says saved after all.
  document.addEventListener("fieldvisit:photo-saved", function (event) {
    var entry = byUuid[event.detail.uuid];
    if (!entry || entry.li.dataset.state === "saved") { return; }
    entry.bar.value = 1;
    show(entry, "saved");
    addThumbnail(entry, event.detail.saved);
  });

  // With this script the photos leave as soon as they are chosen: the send button is not needed.
  document.addEventListener("DOMContentLoaded", function () {
    document.documentElement.classList.add("capture-js");
  });
})();
