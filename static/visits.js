// The visit page: the browser's location for the check-in, and one UUID per finding save.
// Everything here only enhances real forms that work without it.
(function () {
  "use strict";

  var uuid4 = window.FieldVisit.uuid4;  // static/app.js

  // Check-in: fill the hidden latitude/longitude/accuracy from navigator.geolocation, then
  // submit. Without permission, without a fix in 15 s, or without geolocation: submit anyway.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-geolocate]") || form.dataset.located) { return; }
    if (!navigator.geolocation) { return; }
    event.preventDefault();
    var status = form.querySelector(".geo-status");
    var button = form.querySelector("button[type=submit]");
    var sent = false;
    function send() {
      if (sent) { return; }
      sent = true;
      form.dataset.located = "1";
      form.submit();
    }
    if (status) { status.textContent = status.dataset.finding; }
    if (button) { button.disabled = true; }
    navigator.geolocation.getCurrentPosition(function (position) {
      form.elements.latitude.value = position.coords.latitude;
      form.elements.longitude.value = position.coords.longitude;
      form.elements.accuracy.value = position.coords.accuracy;
      send();
    }, function () {
      if (status) { status.textContent = status.dataset.without; }
      send();
    }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
  });

  // Findings: a UUID names one save. A retry of the same content keeps the UUID (the server
  // answers it again without a new version); changed content gets a new one.
  document.addEventListener("htmx:configRequest", function (event) {
    var form = event.detail.elt;
    if (!form.classList || !form.classList.contains("item-form")) { return; }
    var params = event.detail.parameters;
    var key = (params.result || "") + "\u001f" + (params.note || "");
    var input = form.elements.client_uuid;
    if (form.dataset.sentKey !== undefined && form.dataset.sentKey !== key) {
      input.value = uuid4();
    }
    form.dataset.sentKey = key;
    params.client_uuid = input.value;
  });

  // A save that never reached the server (no connection): say so at the item, keep the form.
  document.addEventListener("htmx:sendError", function (event) {
    var form = event.detail.elt;
    if (!form.classList || !form.classList.contains("item-form")) { return; }
    var status = form.querySelector(".status");
    if (status) {
      status.textContent = form.dataset.offline || "Not saved: no connection. Tap Save to try again.";
      status.classList.add("error");
    }
  });
})();
