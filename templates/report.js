// The report's only script: inline, no network, no inline handlers. It adds
// sorting to every table, a filter to long ones, "show all" to long SQL and
// "copy" to SQL and DDL. The page reads the same without it.
(function () {
  var UNITS = { ms: 1, s: 1000, min: 60000, h: 3600000, B: 1, KiB: 1024, MiB: 1048576, GiB: 1073741824, TiB: 1099511627776, kB: 1000, MB: 1e6, GB: 1e9 };

  // A cell's sort value: its data-v, else a number with its unit, else its text.
  function value(cell) {
    var v = cell.getAttribute('data-v');
    if (v !== null) return v;
    var t = cell.textContent.trim();
    var m = /^(-?[\d,]*\.?\d+)\s*(ms|s|min|h|B|KiB|MiB|GiB|TiB|kB|MB|GB|%)?(\s|$)/.exec(t);
    if (m) return String(parseFloat(m[1].replace(/,/g, '')) * (UNITS[m[2]] || 1));
    return t;
  }

  function button(text, onClick) {
    var b = document.createElement('button');
    b.type = 'button';
    b.textContent = text;
    b.addEventListener('click', onClick);
    return b;
  }

  document.querySelectorAll('main table').forEach(function (table) {
    var head = table.tHead, body = table.tBodies[0];
    if (!head || !body || body.rows.length < 2) return;
    var ths = head.rows[0].cells;
    Array.prototype.forEach.call(ths, function (th, idx) {
      th.style.cursor = 'pointer';
      th.title = 'Sort by this column';
      th.addEventListener('click', function () {
        var rows = Array.prototype.slice.call(body.rows).filter(function (r) { return r.cells.length === ths.length; });
        var vals = rows.map(function (r) { return value(r.cells[idx]); });
        var numeric = vals.every(function (x) { return x === '' || x === '-' || !isNaN(parseFloat(x)); });
        var desc = th.getAttribute('data-dir') !== 'desc';
        var order = rows.map(function (r, i) { return i; });
        order.sort(function (a, b) {
          var x = vals[a], y = vals[b];
          var r = numeric ? (parseFloat(x) || 0) - (parseFloat(y) || 0) : String(x).localeCompare(String(y));
          return desc ? -r : r;
        });
        order.forEach(function (i) {
          var r = rows[i], next = r.nextElementSibling;
          body.appendChild(r);
          // a detail row that belongs to the row moves with it
          if (next && next.cells.length !== ths.length) body.appendChild(next);
        });
        Array.prototype.forEach.call(ths, function (h) { h.classList.remove('sorted'); h.removeAttribute('data-dir'); });
        th.classList.add('sorted');
        th.setAttribute('data-dir', desc ? 'desc' : 'asc');
      });
    });
    if (body.rows.length > 15) {
      var box = document.createElement('div');
      box.className = 'filter';
      var input = document.createElement('input');
      input.type = 'search';
      input.placeholder = 'Filter these ' + body.rows.length + ' rows';
      input.addEventListener('input', function () {
        var q = input.value.toLowerCase();
        Array.prototype.forEach.call(body.rows, function (r) {
          r.style.display = !q || r.textContent.toLowerCase().indexOf(q) >= 0 ? '' : 'none';
        });
      });
      box.appendChild(input);
      table.parentNode.insertBefore(box, table);
    }
  });

  // Long SQL: clipped to a few lines; every SQL or DDL block can be copied.
  document.querySelectorAll('td.sql pre, td.sql code, pre.ddl, .advice-card pre, details.finding pre').forEach(function (block) {
    var tools = document.createElement('div');
    tools.className = 'tools';
    if (block.scrollHeight > 110) {
      block.classList.add('clip');
      tools.appendChild(button('show all', function (e) {
        var open = block.classList.toggle('open');
        e.target.textContent = open ? 'show less' : 'show all';
      }));
    }
    if (navigator.clipboard) {
      tools.appendChild(button('copy', function (e) {
        navigator.clipboard.writeText(block.textContent).then(function () { e.target.textContent = 'copied'; });
      }));
    }
    if (tools.childNodes.length) block.parentNode.insertBefore(tools, block);
  });

  // Printing: the findings open (they are the report); other details stay as they are.
  window.addEventListener('beforeprint', function () {
    document.querySelectorAll('details.finding').forEach(function (d) { d.open = true; });
  });
})();
