// The treemap of strata's HTML report: reads the data block (see treemap.rs for its form),
// draws the children of the directory in view as a squarified treemap (each directory cell
// with its own children inside), and zooms on a click. Every name is put in the page with
// textContent or setAttribute, never parsed as markup.
//
// One way in: a click on a directory cell calls `open`, and so does the page's fragment
// (#zoom=/usr/lib), which replays the clicks on the cells one level at a time, so a link
// to a directory and a click behave the same.
(function () {
  'use strict';
  var block = document.getElementById('strata-data');
  var map = document.getElementById('map');
  if (!block || !map) { return; }
  var data = JSON.parse(block.textContent);
  var root = data.tree;
  var marks = data.marks || {};
  var crumbs = document.getElementById('crumbs');
  var info = document.getElementById('mapinfo');
  var current = '/';

  function isDir(n) { return n.length === 4; }
  function isOther(n) { return n[0] === 0; }
  function listed(n) { return isDir(n) && Array.isArray(n[3]); }
  function join(dir, name) { return dir === '/' ? '/' + name : dir + '/' + name; }
  function parentOf(path) {
    var i = path.lastIndexOf('/');
    return i <= 0 ? '/' : path.slice(0, i);
  }
  function count(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ','); }
  function size(b) {
    var units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
    var i = 0;
    while (b >= 1000 && i < units.length - 1) { b /= 1000; i++; }
    return i === 0 ? b + ' B' : b.toFixed(2) + ' ' + units[i];
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  // The nodes from the root to `path`, as far as the data lists them.
  function chain(path) {
    var out = [root];
    var parts = path.split('/');
    for (var i = 0; i < parts.length; i++) {
      if (!parts[i]) { continue; }
      var at = out[out.length - 1];
      if (!listed(at)) { break; }
      var next = null;
      for (var k = 0; k < at[3].length; k++) {
        if (at[3][k][0] === parts[i] && isDir(at[3][k])) { next = at[3][k]; break; }
      }
      if (!next) { break; }
      out.push(next);
    }
    return out;
  }

  // Squarified treemap (Bruls, Huizing, van Wijk): `values` largest first, all > 0; the
  // rectangles [x, y, w, h] in the same order, tiling the w x h box.
  function squarify(values, w, h) {
    var total = 0, i;
    for (i = 0; i < values.length; i++) { total += values[i]; }
    var rects = new Array(values.length);
    if (total <= 0 || w <= 0 || h <= 0) { return rects.fill([0, 0, 0, 0]); }
    var scale = (w * h) / total, x = 0, y = 0;
    var areas = values.map(function (v) { return v * scale; });
    function worst(sum, max, min, side) {
      var s2 = sum * sum, side2 = side * side;
      return Math.max((side2 * max) / s2, s2 / (side2 * min));
    }
    i = 0;
    while (i < areas.length) {
      var side = Math.min(w, h), sum = areas[i], j = i + 1;
      var best = worst(sum, areas[i], areas[i], side);
      while (j < areas.length) {
        var s = sum + areas[j], r = worst(s, areas[i], areas[j], side);
        if (r > best) { break; }
        best = r; sum = s; j++;
      }
      var k, at;
      if (w >= h) {
        var rw = h > 0 ? sum / h : 0;
        for (k = i, at = y; k < j; k++) { var rh = rw > 0 ? areas[k] / rw : 0; rects[k] = [x, at, rw, rh]; at += rh; }
        x += rw; w -= rw;
      } else {
        var rh2 = w > 0 ? sum / w : 0;
        for (k = i, at = x; k < j; k++) { var rw2 = rh2 > 0 ? areas[k] / rh2 : 0; rects[k] = [at, y, rw2, rh2]; at += rw2; }
        y += rh2; h -= rh2;
      }
      i = j;
    }
    return rects;
  }

  function describe(n, path) {
    if (isOther(n)) {
      return count(n[2]) + ' smaller entries (' + size(n[1]) + ')';
    }
    var t = path + '\n' + size(n[1]);
    if (isDir(n)) {
      t += ' in ' + count(n[2]) + (n[2] === 1 ? ' file' : ' files');
      if (!listed(n)) { t += '\n(contents too small or too deep to list here)'; }
    }
    if (marks[path]) { t += '\nwaste: ' + marks[path]; }
    return t;
  }

  // Cells drawn inside the top-level ones, per view: enough for a detailed picture, few
  // enough to draw at once.
  var NESTED_CELLS = 3000, NEST_DEPTH = 5, MIN_NESTED_AREA = 300;
  var budget = 0;

  // Draws `nodes` (the children of `dir`) into `box`, w x h pixels. Every top-level cell is
  // drawn; inside a directory's cell its children are drawn while they have room, down to
  // NEST_DEPTH levels.
  function draw(box, nodes, dir, w, h, depth, hue) {
    var shown = nodes.filter(function (n) { return n[1] > 0; });
    var rects = squarify(shown.map(function (n) { return n[1]; }), w, h);
    for (var i = 0; i < shown.length; i++) {
      var n = shown[i], r = rects[i];
      if (depth > 0) {
        if (r[2] * r[3] < MIN_NESTED_AREA || r[2] < 8 || r[3] < 8 || budget <= 0) { continue; }
        budget--;
      }
      var path = isOther(n) ? dir : join(dir, n[0]);
      var cell = el('div', depth === 0 ? 'cell' : 'sub');
      // A hue per top-level cell; its children's shift a little, so neighbours part.
      var h0 = depth === 0 ? (i * 47) % 360 : depth === 1 ? hue + ((i * 29) % 50) - 25 : hue;
      cell.style.left = (100 * r[0] / w) + '%';
      cell.style.top = (100 * r[1] / h) + '%';
      cell.style.width = (100 * r[2] / w) + '%';
      cell.style.height = (100 * r[3] / h) + '%';
      cell.style.backgroundColor = 'hsl(' + h0 + ',' + (isDir(n) ? 50 : 34) + '%,' +
        Math.min(70 + depth * 4, 90) + '%)';
      cell.setAttribute('title', describe(n, path));
      if (isOther(n)) {
        cell.classList.add('other');
        cell.setAttribute('data-other', String(n[2]));
      } else {
        cell.setAttribute('data-path', path);
        cell.setAttribute('data-name', n[0]);
        cell.classList.add(isDir(n) ? 'dir' : 'file');
        if (marks[path]) { cell.classList.add('mark-' + marks[path]); }
      }
      if (r[2] > 34 && r[3] > 13) {
        var label = el('span', 'label', isOther(n) ? count(n[2]) + ' more' : n[0]);
        if (r[3] > 28 || r[2] > 140) { label.appendChild(el('small', null, size(n[1]))); }
        cell.appendChild(label);
      }
      if (isDir(n) && listed(n)) {
        cell.classList.add('listed');
        cell.addEventListener('click', clickTo(path));
        if (depth === 0) {
          cell.tabIndex = 0;
          cell.addEventListener('keydown', keyTo(path));
        }
        if (depth < NEST_DEPTH && r[2] > 44 && r[3] > 36) {
          var inner = el('div', 'inner');
          cell.appendChild(inner);
          draw(inner, n[3], path, r[2] - 6, r[3] - 21, depth + 1, h0);
        }
      }
      box.appendChild(cell);
    }
  }

  function clickTo(path) {
    return function (event) {
      event.stopPropagation();
      go(path);
    };
  }
  function keyTo(path) {
    return function (event) {
      if (event.key === 'Enter' || event.key === ' ') { event.preventDefault(); go(path); }
    };
  }

  // Shows `path` (as far as the data lists it) and says where the view is.
  function zoom(path) {
    var nodes = chain(path);
    var node = nodes[nodes.length - 1];
    var names = nodes.slice(1).map(function (n) { return n[0]; });
    current = names.length ? '/' + names.join('/') : '/';
    while (map.firstChild) { map.removeChild(map.firstChild); }
    var w = map.clientWidth || 1200, h = map.clientHeight || 540;
    budget = NESTED_CELLS;
    draw(map, listed(node) ? node[3] : [], current, w, h, 0, 0);
    map.setAttribute('data-zoom', current);
    while (crumbs.firstChild) { crumbs.removeChild(crumbs.firstChild); }
    var at = '/';
    for (var i = 0; i < nodes.length; i++) {
      if (i > 0) { at = join(at, names[i - 1]); }
      var label = i === 0 ? '/' : names[i - 1];
      if (i === nodes.length - 1) {
        crumbs.appendChild(el('span', 'here', label));
      } else {
        var b = el('button', null, label);
        b.setAttribute('data-path', at);
        b.addEventListener('click', clickTo(at));
        crumbs.appendChild(b);
      }
    }
    var kids = listed(node) ? node[3] : [];
    var other = kids.filter(isOther)[0];
    var text = current + ': ' + size(node[1]) + ' in ' + count(node[2]) + ' files';
    if (other) { text += '; ' + count(other[2]) + ' smaller entries shown as one hatched cell'; }
    info.textContent = text;
  }

  // A click on a directory: zoom, and keep the place in the address (so Back goes up).
  function go(path) {
    zoom(path);
    if (target() !== current) {
      location.hash = '#zoom=' + encodeURIComponent(current).replace(/%2F/g, '/');
    }
  }

  // The fragment's directory: `#zoom=/usr/lib`; null for any other fragment.
  function target() {
    var m = /^#zoom=(.*)$/.exec(location.hash);
    if (!m) { return null; }
    try { return decodeURIComponent(m[1]) || '/'; } catch (e) { return '/'; }
  }

  function cellFor(path) {
    for (var c = map.firstChild; c; c = c.nextSibling) {
      if (c.getAttribute('data-path') === path) { return c; }
    }
    return null;
  }

  // Opens `path` by clicking down to it from the root, one level at a time.
  function open(path) {
    zoom('/');
    var at = '/';
    var parts = path.split('/');
    for (var i = 0; i < parts.length; i++) {
      if (!parts[i]) { continue; }
      var cell = cellFor(join(at, parts[i]));
      if (!cell || !cell.classList.contains('listed')) { break; }
      cell.click();
      at = current;
    }
  }

  document.addEventListener('keydown', function (event) {
    if ((event.key === 'Backspace' || event.key === 'Escape') && current !== '/' &&
        !/^(INPUT|TEXTAREA)$/.test(event.target.tagName)) {
      event.preventDefault();
      go(parentOf(current));
    }
  });
  window.addEventListener('hashchange', function () {
    var t = target();
    if (t !== null && t !== current) { open(t); }
  });
  var resized = null;
  window.addEventListener('resize', function () {
    clearTimeout(resized);
    resized = setTimeout(function () { zoom(current); }, 100);
  });
  open(target() || '/');
}());
