// Loads the page again on every message of the preview's event stream,
// /events, which says that the newsletter was rendered again after a
// template edit; a "problem" event shows what stops it from rendering,
// with its file and line, until the next one renders.
"use strict";
(function () {
  if (!window.EventSource) return;
  var events = new EventSource("/events");
  events.onmessage = function () { location.reload(); };
  events.addEventListener("problem", function (e) {
    var box = document.getElementById("preview-problem");
    if (!box) {
      box = document.createElement("pre");
      box.id = "preview-problem";
      box.setAttribute("role", "alert");
      document.body.insertBefore(box, document.body.firstChild);
    }
    box.textContent = "The templates do not render: fix this and save.\n\n" + e.data;
  });
})();
