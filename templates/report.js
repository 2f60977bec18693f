// Sortable tables: click a header to sort by its column (numbers by value).
document.querySelectorAll('table.sortable').forEach(function (table) {
  table.querySelectorAll('th[data-type]').forEach(function (th) {
    th.addEventListener('click', function () {
      var idx = Array.prototype.indexOf.call(th.parentNode.children, th);
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      var desc = th.getAttribute('data-dir') !== 'desc';
      var num = th.getAttribute('data-type') === 'num';
      rows.sort(function (a, b) {
        var x = a.cells[idx].getAttribute('data-v') || '';
        var y = b.cells[idx].getAttribute('data-v') || '';
        var r = num ? (parseFloat(x) || 0) - (parseFloat(y) || 0) : x.localeCompare(y);
        return desc ? -r : r;
      });
      rows.forEach(function (r) { body.appendChild(r); });
      table.querySelectorAll('th').forEach(function (h) { h.classList.remove('sorted'); h.removeAttribute('data-dir'); });
      th.classList.add('sorted');
      th.setAttribute('data-dir', desc ? 'desc' : 'asc');
    });
  });
});

// Printing: open every collapsed detail so the paper copy holds the evidence.
window.addEventListener('beforeprint', function () {
  document.querySelectorAll('details').forEach(function (d) { d.open = true; });
});
