/* Sortable tables: click a header to sort by its column (numbers by
   data-sort where given); filter box above the ranking. */
(function () {
  function key(td) {
    var s = td.getAttribute("data-sort");
    if (s !== null && s !== "") { return parseFloat(s); }
    var t = td.textContent.trim();
    if (/^[-+]?[0-9]/.test(t)) { return parseFloat(t); }
    return t;
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.querySelectorAll("thead th");
    heads.forEach(function (th, col) {
      th.classList.add("sortable");
      th.addEventListener("click", function () {
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var dir = th.getAttribute("data-dir") === "asc" ? -1 : 1;
        heads.forEach(function (h) { h.removeAttribute("data-dir"); });
        th.setAttribute("data-dir", dir === 1 ? "asc" : "desc");
        rows.sort(function (a, b) {
          var x = key(a.cells[col]), y = key(b.cells[col]);
          var nx = typeof x === "number" && !isNaN(x), ny = typeof y === "number" && !isNaN(y);
          if (nx && ny) { return dir * (x - y); }
          if (nx !== ny) { return nx ? -1 : 1; }
          return dir * String(x).localeCompare(String(y), "zh");
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
  document.querySelectorAll("input.filter").forEach(function (input) {
    var table = document.getElementById(input.getAttribute("data-table"));
    input.addEventListener("input", function () {
      var q = input.value.trim();
      Array.prototype.forEach.call(table.tBodies[0].rows, function (r) {
        r.style.display = !q || r.textContent.indexOf(q) >= 0 ? "" : "none";
      });
    });
  });
})();
