// FieldVisit's outbox: every finding save and every photo goes into IndexedDB first, then is
// sent from there in order, with retries that back off. An item leaves the outbox only when
// the server confirmed it (2xx, the idempotent replay included). It survives a closed tab and
// a restarted browser; an expired sign-in pauses it until the same user signs in again; items
// belong to the user who made them, and another user on the same phone never sends or sees them.
//
// Without service workers (old browsers, private mode) nothing here takes over: the checklist
// saves through htmx as before and the page says that offline use is not available.
//
// The photo side: FieldVisitOutbox.addPhoto({visitId, itemCode, source, blob, filename}) keeps
// the (already downscaled) Blob and sends it as POST /visits/{id}/photos (multipart).
(function () {
  "use strict";

  var DB_NAME = "fieldvisit";
  var STORE = "outbox";
  var PAGES_CACHE = "fv-pages";
  var MAX_DELAY_MS = 60000;
  var FULL_RATIO = 0.9; // refuse new photos above this share of the quota ...
  var FULL_MARGIN = 20 * 1024 * 1024; // ... or with less than this left

  var body = document.body;
  var userId = (body && body.dataset.user) || "";
  var box = document.getElementById("outbox");
  var T = box ? box.dataset : {};
  var supported = "serviceWorker" in navigator && "indexedDB" in window && "caches" in window;

  var uuid4 = window.FieldVisit.uuid4;  // static/app.js

  function fill(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : all;
    });
  }

  function clock(ms) {
    var d = new Date(ms);
    return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2) + ":" + ("0" + d.getSeconds()).slice(-2);
  }

  function megabytes(bytes) {
    return (bytes / 1048576).toFixed(bytes < 10485760 ? 1 : 0) + " MB";
  }

  // --- IndexedDB -----------------------------------------------------------------------------

  var dbPromise = null;
  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = function () {
          var store = request.result.createObjectStore(STORE, {keyPath: "seq", autoIncrement: true});
          store.createIndex("user", "userId");
          store.createIndex("uuid", "uuid", {unique: true});
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return dbPromise;
  }

  function tx(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode);
        var result;
        t.oncomplete = function () { resolve(result); };
        t.onerror = function () { reject(t.error); };
        t.onabort = function () { reject(t.error); };
        result = work(t.objectStore(STORE));
      });
    });
  }

  function mine() {
    // This user's items, oldest first (the order they were made in).
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var request = db.transaction(STORE).objectStore(STORE).index("user").getAll(userId);
        request.onsuccess = function () {
          resolve(request.result.sort(function (a, b) { return a.seq - b.seq; }));
        };
        request.onerror = function () { reject(request.error); };
      });
    });
  }

  function put(item) { return tx("readwrite", function (store) { store.put(item); }); }
  function add(item) {
    // The new item's key is kept on it, so that it can be put back or dropped later.
    return tx("readwrite", function (store) { return store.add(item); }).then(function (request) {
      item.seq = request.result;
      return item.seq;
    });
  }
  function drop(seq) { return tx("readwrite", function (store) { store.delete(seq); }); }

  // --- sending -------------------------------------------------------------------------------

  var paused = userId ? localStorage.getItem("fv-paused-" + userId) === "1" : false;
  var failures = 0; // consecutive failures of the queue's head: the backoff
  var timer = null;
  var running = false;
  var again = false;
  var problem = null; // {kind: "offline"|"server"|"network", status, at}

  function csrfToken() {
    try { return JSON.parse(body.getAttribute("hx-headers") || "{}")["x-csrftoken"] || ""; } catch (e) { return ""; }
  }

  function delay(n) {
    var base = Math.min(MAX_DELAY_MS, 500 * Math.pow(2, Math.max(0, n - 1)));
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  function request(item) {
    var token = csrfToken();
    var data;
    if (item.kind === "photo") {
      data = new FormData();
      data.append("_csrf_token", token);
      data.append("client_uuid", item.uuid);
      data.append("item_code", item.itemCode);
      data.append("source", item.source || "camera");
      data.append("photo", item.blob, item.filename || "photo.jpg");
    } else {
      data = new URLSearchParams();
      data.append("_csrf_token", token);
      data.append("client_uuid", item.uuid);
      data.append("result", item.result);
      data.append("note", item.note);
    }
    var headers = {"x-csrftoken": token, "X-FieldVisit-Outbox": "1"};
    if (item.kind === "photo") { headers.Accept = "application/json"; } else { headers["HX-Request"] = "true"; }
    return fetch(item.url, {method: "POST", body: data, credentials: "same-origin", redirect: "follow", headers: headers});
  }

  var refreshedFor = null;
  function refreshToken() {
    return fetch("/privacy", {credentials: "same-origin"}).then(function (response) {
      return response.text();
    }).then(function (html) {
      var m = /hx-headers='([^']*)'/.exec(html);
      if (m) { body.setAttribute("hx-headers", m[1].replace(/&#34;|&quot;/g, "\"")); }
    }).catch(function () { return null; });
  }

  function messageOf(html) {
    try { return JSON.parse(html).error.message || ""; } catch (e) { /* an HTML answer */ }
    var t = document.createElement("template");
    t.innerHTML = html;
    var el = t.content.querySelector(".status .error, #error-message, .error");
    return el ? el.textContent.trim() : "";
  }

  // One attempt: "sent", "login", "conflict", "refused" or "retry".
  function attempt(item) {
    return request(item).then(function (response) {
      var toLogin = response.redirected && new URL(response.url).pathname === "/login";
      if (response.status === 401 || toLogin) { return {outcome: "login"}; }
      if (response.ok) {
        return response.text().then(function (html) { return {outcome: "sent", html: html}; });
      }
      if (response.status === 403 && refreshedFor !== item.seq) {
        // The CSRF cookie went with the browser session (a restart): take a fresh token, then
        // try again at once.
        refreshedFor = item.seq;
        return refreshToken().then(function () { return attempt(item); });
      }
      if (response.status === 409) {
        return response.text().then(function (html) { return {outcome: "conflict", message: messageOf(html)}; });
      }
      if (response.status === 422 || response.status === 404 || response.status === 413 || response.status === 400) {
        return response.text().then(function (html) { return {outcome: "refused", message: messageOf(html)}; });
      }
      return {outcome: "retry", problem: {kind: "server", status: response.status}};
    }, function () {
      return {outcome: "retry", problem: {kind: navigator.onLine === false ? "offline" : "network"}};
    });
  }

  function schedule(ms) {
    clearTimeout(timer);
    timer = setTimeout(run, ms);
  }

  function withLock(work) {
    // Two tabs of the same user must not send the same item at the same time.
    if (navigator.locks && navigator.locks.request) {
      return navigator.locks.request("fv-outbox-" + userId, work);
    }
    return work();
  }

  function run() {
    if (!userId || paused) { render(); return Promise.resolve(); }
    if (running) { again = true; return Promise.resolve(); }
    running = true;
    clearTimeout(timer);
    return withLock(function () { return loop(); }).catch(function () { return null; }).then(function () {
      running = false;
      if (again) { again = false; run(); }
    });
  }

  function loop() {
    return mine().then(function (items) {
      var next = items.filter(function (i) { return i.state === "waiting" || i.state === "retrying"; })[0];
      if (!next) { problem = null; failures = 0; render(items); return null; }
      if (navigator.onLine === false) {
        // No network at all: wait for the "online" event (and look again now and then).
        problem = {kind: "offline"};
        render(items);
        schedule(30000);
        return null;
      }
      next.state = "sending";
      render(items);
      return attempt(next).then(function (result) {
        if (result.outcome === "sent") {
          failures = 0;
          problem = null;
          return drop(next.seq).then(function () { showSaved(next, result.html); return loop(); });
        }
        if (result.outcome === "login") {
          setPaused(true);
          next.state = "waiting";
          return put(next).then(function () { render(); });
        }
        if (result.outcome === "conflict" || result.outcome === "refused") {
          next.state = result.outcome;
          next.error = result.message || (result.outcome === "conflict" ? T.conflict : "");
          return put(next).then(function () { markItem(next); return loop(); });
        }
        failures += 1;
        var wait = delay(failures);
        problem = result.problem;
        problem.at = Date.now() + wait;
        next.state = "retrying";
        next.attempts = (next.attempts || 0) + 1;
        return put(next).then(function () { render(); schedule(wait); });
      });
    });
  }

  function setPaused(value) {
    paused = value;
    if (value) { localStorage.setItem("fv-paused-" + userId, "1"); } else { localStorage.removeItem("fv-paused-" + userId); }
  }

  function sendNow() {
    failures = 0;
    problem = null;
    return mine().then(function (items) {
      // A conflict or a refusal is not retried by itself; "Send now" does not change that.
      return Promise.all(items.filter(function (i) { return i.state === "retrying" || i.state === "sending"; })
        .map(function (i) { i.state = "waiting"; return put(i); }));
    }).then(run);
  }

  // --- the banner ----------------------------------------------------------------------------

  var lastItems = [];
  var nearlyFull = false;
  var captureWrapped = false;
  var space = null;

  function render(items) {
    if (items) { lastItems = items; } else { mine().then(render); return; }
    if (!box) { return; }
    var findings = items.filter(function (i) { return i.kind !== "photo"; }).length;
    var photos = items.length - findings;
    box.hidden = items.length === 0;
    if (items.length === 0) { return; }
    var f = findings === 1 ? T.findingOne : fill(T.findingMany, {n: findings});
    var p = photos === 1 ? T.photoOne : fill(T.photoMany, {n: photos});
    box.querySelector(".outbox-title").textContent = !findings ? fill(T.summaryOne, {what: p})
      : !photos ? fill(T.summaryOne, {what: f}) : fill(T.summary, {findings: f, photos: p});
    var state = "";
    var login = box.querySelector(".outbox-login");
    login.hidden = !paused;
    if (paused) {
      state = T.login;
      login.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
    } else if (problem && problem.kind === "offline") {
      state = T.offline;
    } else if (problem && problem.kind === "server") {
      state = fill(T.server, {status: problem.status, time: clock(problem.at)});
    } else if (problem) {
      state = fill(T.network, {time: clock(problem.at)});
    } else if (items.some(function (i) { return i.state === "sending"; })) {
      state = T.sending;
    }
    if (items.some(function (i) { return i.state === "conflict" || i.state === "refused"; })) {
      state = (state ? state + " " : "") + T.attention;
    }
    box.querySelector(".outbox-state").textContent = state;
    box.classList.toggle("has-problem", !!(paused || problem));
    var list = box.querySelector(".outbox-list");
    list.textContent = "";
    items.forEach(function (item) {
      var li = document.createElement("li");
      li.className = "outbox-item state-" + item.state;
      li.dataset.uuid = item.uuid;
      var label = item.kind === "photo" ? fill(T.photoLabel, {code: item.itemCode})
        : fill(T.findingLabel, {code: item.itemCode, result: item.resultLabel || item.result});
      var text = document.createElement("span");
      var state = item.state === "direct" ? "sending" : item.state;
      text.textContent = label + " · " + (T["state" + state.charAt(0).toUpperCase() + state.slice(1)] || state) +
        (item.attempts ? " (" + item.attempts + ")" : "");
      li.appendChild(text);
      if (item.error) {
        var why = document.createElement("span");
        why.className = "error";
        why.textContent = " " + item.error;
        li.appendChild(why);
      }
      if (item.state === "conflict" || item.state === "refused") {
        var button = box.querySelector("template.outbox-discard").content.firstElementChild.cloneNode(true);
        button.addEventListener("click", function () { drop(item.seq).then(function () { render(); }); });
        li.appendChild(document.createTextNode(" "));
        li.appendChild(button);
      }
      list.appendChild(li);
    });
    renderSpace();
  }

  function renderSpace() {
    var el = box && box.querySelector(".outbox-space");
    if (!el || !space) { return; }
    el.textContent = fill(T.space, {used: megabytes(space.usage), quota: megabytes(space.quota)});
    var home = document.querySelector("[data-offline-space]");
    if (home) { home.textContent = el.textContent; home.hidden = false; }
  }

  function estimate() {
    if (!(navigator.storage && navigator.storage.estimate)) { return Promise.resolve(null); }
    return navigator.storage.estimate().then(function (e) {
      space = {usage: e.usage || 0, quota: e.quota || 0};
      nearlyFull = !!space.quota && (space.usage > space.quota * FULL_RATIO || space.quota - space.usage < FULL_MARGIN);
      renderSpace();
      return space;
    }, function () { return null; });
  }

  // --- the checklist: saves go to the outbox ----------------------------------------------------

  function formKey(form) {
    var checked = form.querySelector("input[name=result]:checked");
    return (checked ? checked.value : "") + "\u001f" + (form.elements.note ? form.elements.note.value.replace(/\r\n/g, "\n") : "");
  }

  function visitOf(form) {
    var m = /\/visits\/(\d+)\/items\/([^/?#]+)/.exec(form.getAttribute("action") || "");
    return m ? {visitId: m[1], itemCode: decodeURIComponent(m[2])} : null;
  }

  function statusOf(form) { return form.querySelector(".status"); }

  function enqueueFinding(form) {
    var where = visitOf(form);
    var checked = form.querySelector("input[name=result]:checked");
    if (!where || !checked) { return; } // nothing chosen yet: nothing to save
    var key = formKey(form);
    if (form.dataset.outboxKey === key) { return; } // the same content again: already kept
    form.dataset.outboxKey = key;
    var label = checked.closest("label");
    var item = {
      uuid: uuid4(), userId: userId, kind: "finding", visitId: where.visitId, itemCode: where.itemCode,
      url: form.getAttribute("action"), result: checked.value, note: form.elements.note.value.replace(/\r\n/g, "\n"),
      resultLabel: label ? label.textContent.trim() : checked.value, state: "waiting", attempts: 0,
      createdAt: Date.now()
    };
    add(item).then(function () { markItem(item); run(); });
  }

  function markItem(item) {
    var section = document.getElementById("item-" + item.itemCode);
    if (!section || String(visitIdOfPage()) !== String(item.visitId)) { return; }
    section.classList.add("pending");
    var form = section.querySelector("form.item-form");
    var status = form && statusOf(form);
    if (status) {
      status.textContent = "";
      var strong = document.createElement("strong");
      strong.className = item.state === "conflict" || item.state === "refused" ? "error" : "pending-mark";
      strong.textContent = item.error || T.pendingItem;
      status.appendChild(strong);
    }
  }

  function visitIdOfPage() {
    var m = /^\/visits\/(\d+)/.exec(location.pathname);
    return m ? m[1] : null;
  }

  function showSaved(item, html) {
    // The server's block for the item replaces the pending one, unless something newer for
    // the same item is still waiting or the verifier is typing in it.
    if (item.kind === "photo") {
      // capture.js marks the photo's line saved and shows its thumbnail.
      var saved = null;
      try { saved = JSON.parse(html); } catch (e) { saved = null; }
      document.dispatchEvent(new CustomEvent("fieldvisit:photo-saved", {detail: {uuid: item.uuid, saved: saved}}));
      return;
    }
    if (String(visitIdOfPage()) !== String(item.visitId) || !html) { return; }
    var section = document.getElementById("item-" + item.itemCode);
    var typing = document.activeElement && document.activeElement.tagName === "TEXTAREA";
    if (!section || (typing && section.contains(document.activeElement))) { return; }
    var focusedCode = section.contains(document.activeElement) ? item.itemCode : null;
    var newer = lastItems.some(function (i) { return i.itemCode === item.itemCode && i.seq > item.seq; });
    if (newer) { return; }
    var t = document.createElement("template");
    t.innerHTML = html;
    var fresh = t.content.querySelector("section.item");
    var progress = t.content.querySelector("#progress");
    if (!fresh) { return; }
    fresh.removeAttribute("hx-swap-oob");
    section.replaceWith(fresh);
    if (progress && document.getElementById("progress")) {
      progress.removeAttribute("hx-swap-oob");
      document.getElementById("progress").replaceWith(progress);
    }
    if (window.htmx) { window.htmx.process(fresh); }
    rememberForms(fresh.parentNode);
    var radio = fresh.querySelector("input[name=result]:checked");
    if (radio && focusedCode === item.itemCode) { radio.focus(); }
  }

  function rememberForms(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll("form.item-form"), function (form) {
      if (form.dataset.outboxKey === undefined) { form.dataset.outboxKey = formKey(form); }
    });
  }

  function applyPending(items) {
    // A page shown from the phone's copy: put back what is waiting to be sent, marked.
    var here = visitIdOfPage();
    items.forEach(function (item) {
      if (item.kind === "photo" || String(item.visitId) !== String(here)) { return; }
      var section = document.getElementById("item-" + item.itemCode);
      var form = section && section.querySelector("form.item-form");
      if (!form) { return; }
      var radio = form.querySelector("input[name=result][value=\"" + item.result + "\"]");
      if (radio) { radio.checked = true; }
      if (form.elements.note) { form.elements.note.value = item.note; }
      form.dataset.outboxKey = formKey(form);
      markItem(item);
    });
  }

  function intercept(event) {
    var photos = event.target && event.target.closest && event.target.closest("form.photo-form");
    if (photos && captureWrapped) {
      // capture.js sends these itself; a nearly full phone refuses them here, with the reason.
      if (nearlyFull && (event.type === "submit" || event.target.type === "file")) {
        event.stopPropagation();
        if (event.type === "submit") { event.preventDefault(); }
        queueLine(photos, T.full, true);
        var picked = photos.querySelector("input[type=file]");
        if (picked) { picked.value = ""; }
      }
      return;
    }
    if (photos) {
      // A photo goes into the outbox as soon as it is taken (the camera may kill the page next).
      if (event.type === "submit") { event.preventDefault(); }
      if (event.type === "submit" || (event.target.type === "file")) {
        event.stopPropagation();
        enqueuePhotos(photos);
      }
      return;
    }
    var form = event.target && event.target.closest && event.target.closest("form.item-form");
    if (!form) { return; }
    // The outbox takes the save over: htmx never sees this event.
    event.stopPropagation();
    if (event.type === "submit") { event.preventDefault(); }
    enqueueFinding(form);
  }

  // --- offline readiness ------------------------------------------------------------------------

  function prepareVisits() {
    // The home page: keep today's visits on the phone, and say which visits are ready.
    var marks = document.querySelectorAll("[data-offline-url]");
    if (!marks.length) { return; }
    caches.open(PAGES_CACHE).then(function (cache) {
      Array.prototype.forEach.call(marks, function (mark) {
        var url = new URL(mark.dataset.offlineUrl, location.href).href;
        var refresh = mark.hasAttribute("data-offline-today") && navigator.onLine !== false
          ? fetch(url, {credentials: "same-origin"}).then(function (response) {
            var toLogin = response.redirected && new URL(response.url).pathname === "/login";
            if (response.ok && !toLogin) { return cache.put(url, response); }
            return null;
          }).catch(function () { return null; })
          : Promise.resolve();
        refresh.then(function () { return cache.match(url, {ignoreVary: true}); }).then(function (stored) {
          mark.textContent = stored ? "✓ " + T.ready : T.notReady;
          mark.classList.toggle("ok", !!stored);
          mark.hidden = false;
        });
      });
    });
  }

  function forgetOtherUser() {
    // Pages kept for one user are not shown to the next one on this phone.
    var last = localStorage.getItem("fv-user");
    if (userId && last && last !== userId && window.caches) { caches.delete(PAGES_CACHE); }
    if (userId) { localStorage.setItem("fv-user", userId); }
  }

  // --- photos (the capture side calls this) ------------------------------------------------------

  function storageFull(extra) {
    return estimate().then(function (e) {
      if (!e || !e.quota) { return false; }
      var used = e.usage + (extra || 0);
      return used > e.quota * FULL_RATIO || e.quota - used < FULL_MARGIN;
    });
  }

  // Photos are downscaled as they will be sent by capture.js (FieldVisitCapture.prepare: EXIF
  // kept, Orientation reset); photo forms only exist on pages that load it. Without it the
  // file is kept as it is.
  function prepare(file, longEdge) {
    var capture = window.FieldVisitCapture;
    return capture && capture.prepare ? capture.prepare(file, longEdge) : Promise.resolve(file);
  }

  function queueLine(form, text, isError) {
    var queue = (form.closest(".photos") || form.parentNode).querySelector(".photo-queue");
    if (!queue) { return; }
    var li = document.createElement("li");
    var line = document.createElement(isError ? "strong" : "span");
    line.textContent = text;
    if (isError) { line.className = "error"; }
    li.appendChild(line);
    queue.appendChild(li);
  }

  function enqueuePhotos(form) {
    var input = form.querySelector("input[type=file]");
    var files = input && input.files ? Array.prototype.slice.call(input.files) : [];
    if (!files.length) { return; }
    var visitId = form.dataset.visit;
    var itemCode = form.dataset.item || form.elements.item_code.value;
    var longEdge = parseInt(form.dataset.longEdge || "1600", 10);
    var source = form.dataset.source || (form.elements.source && form.elements.source.value) || "camera";
    input.value = "";
    files.reduce(function (previous, file) {
      return previous.then(function () {
        return prepare(file, longEdge).then(function (blob) {
          return addPhoto({visitId: visitId, itemCode: itemCode, source: source, blob: blob,
            filename: (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg"});
        }).then(function () {
          queueLine(form, (file.name || "") + " · " + T.pendingItem, false);
        }, function (error) {
          queueLine(form, error.message || String(error), true);
        });
      });
    }, Promise.resolve());
  }

  function addPhoto(photo) {
    if (!userId) { return Promise.reject(new Error("no user")); }
    return storageFull(photo.blob.size).then(function (full) {
      if (full) { throw new Error(T.full); }
      var item = {
        uuid: photo.uuid || uuid4(), userId: userId, kind: "photo", visitId: String(photo.visitId),
        itemCode: photo.itemCode, url: "/visits/" + photo.visitId + "/photos", source: photo.source,
        blob: photo.blob, filename: photo.filename, size: photo.blob.size, state: "waiting", attempts: 0,
        createdAt: Date.now()
      };
      return add(item).then(function () { run(); estimate(); return item.uuid; });
    });
  }

  // With static/capture.js (the visit page), its queue shows each photo's progress and sends it
  // at once; each photo is kept in the outbox first and leaves it when capture.js's send is
  // confirmed. A send that fails is left to the outbox (in order, with backoff), so a photo
  // survives the tab being killed or the connection dropping.
  function byUuid(uuid) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var request = db.transaction(STORE).objectStore(STORE).index("uuid").get(uuid);
        request.onsuccess = function () { resolve(request.result || null); };
        request.onerror = function () { reject(request.error); };
      });
    });
  }

  function keepPhoto(visitId, photo) {
    return byUuid(photo.uuid).then(function (item) {
      if (item) { item.state = "direct"; return put(item).then(function () { return item; }); }
      return storageFull(photo.blob.size).then(function (full) {
        if (full) { throw new Error(T.full); }
        item = {
          uuid: photo.uuid, userId: userId, kind: "photo", visitId: String(visitId), itemCode: photo.itemCode || "",
          url: "/visits/" + visitId + "/photos", source: photo.source, blob: photo.blob, filename: photo.filename,
          size: photo.blob.size, state: "direct", attempts: 0, createdAt: Date.now()
        };
        return add(item).then(function () { render(); return item; });
      });
    });
  }

  function wrapCapture() {
    var capture = window.FieldVisitCapture;
    if (!capture || !capture.sendPhoto) { return false; }
    var direct = capture.sendPhoto;
    capture.keep = keepPhoto;  // each photo, as soon as it is prepared: before its turn to be sent
    capture.sendPhoto = function (visitId, photo, onProgress) {
      return keepPhoto(visitId, photo).then(function (item) {
        return direct(visitId, photo, onProgress).then(function (saved) {
          return drop(item.seq).then(function () { render(); estimate(); return saved; });
        }, function (error) {
          item.state = error.retryable === false ? "refused" : "waiting";
          item.error = error.retryable === false ? error.message : "";
          error.kept = error.retryable !== false;  // the outbox sends it again by itself
          return put(item).then(function () { render(); run(); throw error; });
        });
      });
    };
    return true;
  }

  window.FieldVisitOutbox = {
    supported: supported,
    addPhoto: addPhoto,
    storageFull: storageFull,
    sendNow: sendNow,
    pending: function () { return mine(); }
  };

  // --- start ----------------------------------------------------------------------------------------

  if (!userId) { return; }
  if (!supported) {
    var note = document.getElementById("offline-unavailable");
    if (note) { note.hidden = false; }
    return;
  }

  forgetOtherUser();
  // capture.js sends the photos chosen on the visit page itself, each kept in the outbox first.
  captureWrapped = wrapCapture();
  document.addEventListener("change", intercept, true);
  document.addEventListener("submit", intercept, true);
  document.addEventListener("submit", function (event) {
    if (event.target.matches && event.target.matches("form[action='/logout']")) { caches.delete(PAGES_CACHE); }
  });
  if (box) { box.querySelector(".outbox-send").addEventListener("click", sendNow); }
  window.addEventListener("online", sendNow);
  window.addEventListener("offline", function () { problem = {kind: "offline"}; render(); });
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "visible") { run(); } });

  navigator.serviceWorker.register("/sw.js", {scope: "/"}).catch(function () {
    var note = document.getElementById("offline-unavailable");
    if (note) { note.hidden = false; }
  });
  if (navigator.storage && navigator.storage.persist) {
    navigator.storage.persisted().then(function (yes) { return yes || navigator.storage.persist(); }).catch(function () { return null; });
  }

  // This page was rendered for this user, so the session is alive again: resume.
  if (paused && navigator.onLine !== false) { setPaused(false); }
  if (navigator.onLine === false) {
    problem = {kind: "offline"};
    var stale = document.getElementById("offline-stale");
    if (stale) { stale.textContent = T.stale; stale.hidden = false; }
  }
  rememberForms(document);
  mine().then(function (items) {
    // A photo whose direct send was cut off with its page: the outbox sends it now.
    return Promise.all(items.filter(function (i) { return i.state === "direct" || i.state === "sending"; })
      .map(function (i) { i.state = "waiting"; return put(i); })).then(function () { return items; });
  }).then(function (items) { applyPending(items); render(items); run(); });
  estimate();
  prepareVisits();
})();
