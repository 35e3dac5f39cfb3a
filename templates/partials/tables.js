// Sorting and filtering for the report's tables. Without it every table is still
// complete and readable; it only adds controls. No network, no storage, no eval.
(function () {
  "use strict";
  var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
  function key(cell, kind) {
    if (!cell) { return ""; }
    var k = cell.getAttribute("data-key");
    if (kind === "number") { return k === null ? -Infinity : Number(k); }
    return (k === null ? cell.textContent : k).trim();
  }
  function enhance(table, index) {
    var body = table.tBodies[0];
    if (!body) { return; }
    var rows = Array.prototype.slice.call(body.rows).filter(function (r) {
      return !r.querySelector("td.empty");
    });
    if (rows.length < 2) { return; }
    var wrap = table.parentNode;
    var bar = document.createElement("div");
    bar.className = "table-tools";
    var id = "filter-" + index;
    bar.innerHTML =
      '<label for="' + id + '">Filter</label>' +
      '<input type="search" id="' + id + '" placeholder="text in any column" autocomplete="off">' +
      '<label for="' + id + '-show">Show</label>' +
      '<select id="' + id + '-show">' +
      '<option value="all">all rows</option>' +
      '<option value="exception">rows with an exception</option>' +
      '<option value="open">rows with an open exception</option>' +
      '<option value="notpass">rows not passing every control</option>' +
      "</select>" +
      '<span class="table-count" role="status" aria-live="polite"></span>';
    wrap.parentNode.insertBefore(bar, wrap);
    var input = bar.querySelector("input");
    var show = bar.querySelector("select");
    var count = bar.querySelector(".table-count");
    var texts = rows.map(function (r) { return r.textContent.toLowerCase(); });
    function matches(row, i, needle, mode) {
      if (needle && texts[i].indexOf(needle) < 0) { return false; }
      if (mode === "all") { return true; }
      if (mode === "exception") { return row.querySelector(".badge.fail, .badge.waived, .badge.open") !== null; }
      if (mode === "open") { return row.querySelector(".badge.fail, .badge.open") !== null; }
      var badges = row.querySelectorAll("td > .badge.pass, td > .badge.fail, td > .badge.waived, td > .badge.untested");
      for (var b = 0; b < badges.length; b++) {
        if (!badges[b].classList.contains("pass")) { return true; }
      }
      return false;
    }
    function apply() {
      var needle = input.value.trim().toLowerCase();
      var mode = show.value;
      var shown = 0;
      rows.forEach(function (row, i) {
        var on = matches(row, i, needle, mode);
        row.hidden = !on;
        if (on) { shown++; }
      });
      count.textContent = shown === rows.length ? rows.length + " rows" : shown + " of " + rows.length + " rows";
    }
    input.addEventListener("input", apply);
    show.addEventListener("change", apply);
    apply();
    var headers = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(headers, function (th, col) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      th.appendChild(button);
      th.setAttribute("aria-sort", "none");
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(headers, function (h) { h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var kind = th.getAttribute("data-sort") || "text";
        var order = rows.map(function (row, i) { return { row: row, i: i, k: key(row.cells[col], kind) }; });
        order.sort(function (a, b) {
          var c = kind === "number" ? a.k - b.k : collator.compare(a.k, b.k);
          if (c === 0) { c = a.i - b.i; }
          return ascending ? c : -c;
        });
        var fragment = document.createDocumentFragment();
        order.forEach(function (o) { fragment.appendChild(o.row); });
        body.appendChild(fragment);
        rows = order.map(function (o) { return o.row; });
        texts = rows.map(function (r) { return r.textContent.toLowerCase(); });
      });
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.data"), enhance);
})();
