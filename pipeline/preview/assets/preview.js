// The preview's pages: on the index, search, filters, sorting and
// keyboard navigation of the variants; on a variant's page, the desktop,
// mobile and dark views of the newsletter, and keys to the neighbours.
"use strict";
(function () {
  function typing(e) {
    var t = e.target;
    return t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA" || t.isContentEditable);
  }

  // The index of variants.
  var table = document.getElementById("variants");
  if (table) {
    var tbody = table.tBodies[0];
    var search = document.getElementById("search");
    var filters = {
      interests: document.getElementById("filter-interest"),
      tier: document.getElementById("filter-tier"),
      relationship: document.getElementById("filter-relationship")
    };
    var count = document.getElementById("count");
    var current = null;

    var visible = function () {
      return Array.prototype.filter.call(tbody.rows, function (r) { return !r.hidden; });
    };
    var select = function (row) {
      if (current) current.classList.remove("current");
      current = row;
      if (row) {
        row.classList.add("current");
        row.scrollIntoView({ block: "nearest" });
      }
    };
    var apply = function () {
      var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      Array.prototype.forEach.call(tbody.rows, function (r) {
        var text = r.textContent.toLowerCase();
        var ok = words.every(function (w) { return text.indexOf(w) >= 0; });
        if (ok && filters.interests.value) ok = r.dataset.interests.split(" ").indexOf(filters.interests.value) >= 0;
        if (ok && filters.tier.value) ok = r.dataset.tier === filters.tier.value;
        if (ok && filters.relationship.value) ok = r.dataset.relationship === filters.relationship.value;
        r.hidden = !ok;
        if (ok) shown++;
      });
      count.textContent = shown + " of " + tbody.rows.length + " variants";
      if (current && current.hidden) select(null);
    };
    search.addEventListener("input", apply);
    Object.keys(filters).forEach(function (k) { filters[k].addEventListener("change", apply); });
    search.form.addEventListener("submit", function (e) { e.preventDefault(); });

    // Sorting: a click on a column's name sorts by it, again the other way.
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      th.querySelector("button").addEventListener("click", function () {
        var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
        var number = th.dataset.type === "number";
        var key = function (r) {
          var c = r.cells[col];
          if (number) { var n = parseFloat(c.dataset.sort); return isNaN(n) ? -Infinity : n; }
          return c.textContent.trim().toLowerCase();
        };
        var rows = Array.prototype.slice.call(tbody.rows);
        rows.sort(function (a, b) {
          var x = key(a), y = key(b);
          return (x < y ? -1 : x > y ? 1 : 0) * dir;
        });
        rows.forEach(function (r) { tbody.appendChild(r); });
      });
    });

    tbody.addEventListener("click", function (e) {
      var row = e.target.closest("tr");
      if (row && !e.target.closest("a")) location.href = row.dataset.href;
    });

    // Keys: j/k or the arrows move, Enter opens, / searches.
    document.addEventListener("keydown", function (e) {
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      if (typing(e)) {
        if (e.key === "Escape" || (e.key === "ArrowDown" && e.target === search)) {
          e.target.blur();
          if (e.key === "ArrowDown") select(visible()[0] || null);
          e.preventDefault();
        }
        return;
      }
      var rows = visible();
      var i = rows.indexOf(current);
      switch (e.key) {
        case "j": case "ArrowDown": select(rows[Math.min(i + 1, rows.length - 1)] || null); break;
        case "k": case "ArrowUp": select(rows[Math.max(i - 1, 0)] || null); break;
        case "Enter": if (current) location.href = current.dataset.href; else return; break;
        case "/": search.focus(); break;
        default: return;
      }
      e.preventDefault();
    });
  }

  // A variant's page.
  var frames = document.getElementById("frames");
  if (frames) {
    // The chosen view and dark mode last through the tab's session, so
    // that the next reader or variant opens the same way.
    var store = {
      get: function (k) { try { return sessionStorage.getItem("preview." + k); } catch (e) { return null; } },
      set: function (k, v) { try { sessionStorage.setItem("preview." + k, v); } catch (e) { /* storage off */ } }
    };
    var views = document.querySelectorAll("[data-view]");
    var show = function (view) {
      frames.classList.remove("only-desktop", "only-mobile");
      if (view !== "both") frames.classList.add("only-" + view);
      Array.prototype.forEach.call(views, function (o) { o.setAttribute("aria-pressed", String(o.dataset.view === view)); });
      store.set("view", view);
    };
    Array.prototype.forEach.call(views, function (b) {
      b.addEventListener("click", function () { show(b.dataset.view); });
    });
    var dark = document.getElementById("dark");
    var setDark = function (on) {
      frames.classList.toggle("dark", on);
      dark.setAttribute("aria-pressed", String(on));
      store.set("dark", on ? "1" : "");
    };
    dark.addEventListener("click", function () { setDark(!frames.classList.contains("dark")); });
    var saved = store.get("view");
    if (saved === "desktop" || saved === "mobile") show(saved);
    if (store.get("dark") === "1") setDark(true);
    // Keys: j/k the next and previous variant, u the index, r the next
    // reader.
    document.addEventListener("keydown", function (e) {
      if (e.altKey || e.ctrlKey || e.metaKey || typing(e)) return;
      var a;
      if (e.key === "r") {
        var readers = document.querySelectorAll('[data-key="reader"]');
        var at = Array.prototype.findIndex.call(readers, function (x) { return x.getAttribute("aria-current") === "page"; });
        a = readers.length > 1 ? readers[(at + 1) % readers.length] : null;
      } else {
        var to = { j: "next", k: "previous", u: "index" }[e.key];
        a = to && document.querySelector('[data-key="' + to + '"]');
      }
      if (a) { location.href = a.getAttribute("href"); e.preventDefault(); }
    });
  }
})();
