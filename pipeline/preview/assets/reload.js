// Loads the page again on every message of the preview's event stream,
// /events, which says that the run directory or its templates changed.
"use strict";
(function () {
  if (!window.EventSource) return;
  var events = new EventSource("/events");
  events.onmessage = function () { location.reload(); };
})();
