/* rangemap page code: shared by every page of a maps folder (assets/rangemap.js),
 * or inlined in a single-file page (build --self-contained).
 *
 * Pages call RM.taxon / RM.index / RM.view with data written by rangemap.maps.
 * Every string that came from a document was HTML-escaped in Python before it got
 * here; this code only ever inserts those strings, numbers and file names it was
 * given, never anything read from the URL (the URL hash is parsed as numbers and
 * compared with known keys).
 */
(function () {
  'use strict';
  var RM = window.RM = window.RM || {};
  RM.state = {taxon: null, unit: null};
  RM._detail = {};
  RM._waiting = {};
  RM._units = {};     // unit key -> function opening its popup
  RM._highlight = null;

  /* ------------------------------------------------------------ detail levels */

  // A detail file (detail/<stem>.js) or a single-file page calls this with the
  // feature collections at the finer tolerance, in the order of the page's layers.
  RM.detail = function (key, fcs) {
    RM._detail[key] = fcs;
    var cbs = RM._waiting[key] || [];
    delete RM._waiting[key];
    for (var i = 0; i < cbs.length; i++) cbs[i](fcs);
  };

  RM.loadDetail = function (key, src, cb) {
    if (RM._detail[key]) { cb(RM._detail[key]); return; }
    if (RM._waiting[key]) { RM._waiting[key].push(cb); return; }
    RM._waiting[key] = [cb];
    if (!src) return;
    var s = document.createElement('script');
    s.src = src;  // a relative file name written by rangemap (slugged)
    s.onerror = function () { RM.detailError = key; };
    document.head.appendChild(s);
  };

  /* ------------------------------------------------------------ taxon pages */

  // cfg: {key, info: [[popup, tooltip, unitKey], ...], layers: [{data, style, group}],
  //       detail: "detail/<stem>.js" | null, detailZoom}
  RM.taxon = function (map, cfg) {
    RM.state.taxon = cfg.key;
    function bind(feature, layer) {
      var p = cfg.info[feature.id];
      if (!p) return;
      layer.bindPopup(p[0], {maxWidth: 420, maxHeight: 360});
      layer.bindTooltip(p[1], {sticky: true});
      layer.on('popupopen', function () { RM.state.unit = p[2]; RM.writeHash(map); });
      layer.on('popupclose', function () {
        if (RM.state.unit === p[2]) { RM.state.unit = null; RM.writeHash(map); }
      });
    }
    var geo = [];
    for (var i = 0; i < cfg.layers.length; i++) {
      var l = cfg.layers[i];
      geo.push(L.geoJson(l.data, {style: l.style, onEachFeature: bind}).addTo(l.group));
    }
    // the first layer holds the range units: a unit key opens the unit's popup
    function opener(id) {
      return function () {
        var found = null;
        geo[0].eachLayer(function (lyr) { if (lyr.feature && lyr.feature.id === id) found = lyr; });
        if (!found) return;
        // the view in the URL wins: the popup opens without panning the map
        var pop = found.getPopup(), pan = pop.options.autoPan;
        pop.options.autoPan = false;
        found.openPopup();
        pop.options.autoPan = pan;
      };
    }
    for (var k = 0; k < cfg.info.length; k++) RM._units[cfg.info[k][2]] = opener(k);
    var level = 0;
    function show(fcs) {
      RM.level = level;
      // a detail file may hold fewer layers (range, habitat): the others keep their data
      var n = fcs ? Math.min(fcs.length, geo.length) : geo.length;
      for (var j = 0; j < n; j++) {
        geo[j].clearLayers();
        geo[j].addData(fcs ? fcs[j] : cfg.layers[j].data);
      }
    }
    function check() {
      if (!cfg.detailZoom) return;
      var want = map.getZoom() >= cfg.detailZoom ? 1 : 0;
      if (want === level) return;
      if (want) {
        RM.loadDetail(cfg.key, cfg.detail, function (fcs) {
          if (level === 0 && map.getZoom() >= cfg.detailZoom) { level = 1; show(fcs); }
        });
      } else {
        level = 0;
        show(null);
      }
    }
    map.on('zoomend', check);
    RM._check = check;
  };

  /* ------------------------------------------------------------ geometry tests */

  function inRing(x, y, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if (((yi > y) !== (yj > y)) && (x < (xj - xi) * (y - yi) / (yj - yi) + xi)) inside = !inside;
    }
    return inside;
  }
  function inPolygon(x, y, rings) {
    if (!rings.length || !inRing(x, y, rings[0])) return false;
    for (var k = 1; k < rings.length; k++) if (inRing(x, y, rings[k])) return false;
    return true;
  }
  function bbox(g) {
    var b = [Infinity, Infinity, -Infinity, -Infinity];
    var polys = g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : [];
    for (var p = 0; p < polys.length; p++) {
      var ring = polys[p][0] || [];
      for (var i = 0; i < ring.length; i++) {
        var c = ring[i];
        if (c[0] < b[0]) b[0] = c[0];
        if (c[1] < b[1]) b[1] = c[1];
        if (c[0] > b[2]) b[2] = c[0];
        if (c[1] > b[3]) b[3] = c[1];
      }
    }
    return b;
  }
  RM.contains = function (g, b, x, y) {
    // a view unwrapped across the antimeridian draws western parts at x + 360
    var xs = [x, x + 360, x - 360];
    for (var t = 0; t < 3; t++) {
      var px = xs[t];
      if (px < b[0] || px > b[2] || y < b[1] || y > b[3]) continue;
      if (g.type === 'Polygon' && inPolygon(px, y, g.coordinates)) return true;
      if (g.type === 'MultiPolygon') {
        for (var p = 0; p < g.coordinates.length; p++) if (inPolygon(px, y, g.coordinates[p])) return true;
      }
    }
    return false;
  };

  /* ------------------------------------------------------------ index page */

  // cfg: {geoms: [geometry, ...], taxa: [[stem, nameHtml, colour, [range ix], [habitat ix]]],
  //       groups: [[rangeGroup, habitatGroup], ...] (one per taxon, few taxa) or
  //       shared: {range: group, habitat: group}, styles: {...}}
  RM.index = function (map, cfg) {
    var boxes = cfg.geoms.map(function (g) { return g ? bbox(g) : null; });
    RM._index = {map: map, cfg: cfg, boxes: boxes};
    function fc(ix) {
      var feats = [];
      for (var i = 0; i < ix.length; i++) {
        if (cfg.geoms[ix[i]]) feats.push({type: 'Feature', geometry: cfg.geoms[ix[i]], properties: {}});
      }
      return {type: 'FeatureCollection', features: feats};
    }
    if (cfg.groups) {
      cfg.taxa.forEach(function (t, i) {
        var c = t[2], g = cfg.groups[i];
        L.geoJson(fc(t[3]), {style: RM.style(cfg.styles.range, c), interactive: false}).addTo(g[0]);
        L.geoJson(fc(t[4]), {style: RM.style(cfg.styles.habitat, c), interactive: false}).addTo(g[1]);
      });
    } else {
      var all = function (k) {
        var seen = {}, ix = [];
        cfg.taxa.forEach(function (t) {
          t[k].forEach(function (j) { if (!seen[j]) { seen[j] = 1; ix.push(j); } });
        });
        return ix;
      };
      L.geoJson(fc(all(3)), {style: cfg.styles.sharedRange, interactive: false}).addTo(cfg.shared.range);
      L.geoJson(fc(all(4)), {style: cfg.styles.sharedHabitat, interactive: false}).addTo(cfg.shared.habitat);
    }
    RM._hl = new L.FeatureGroup().addTo(map);
    map.on('click', function (e) { RM.pointList(e.latlng); });
    RM.table();
  };

  RM.style = function (base, colour) {
    var s = {};
    for (var k in base) if (Object.prototype.hasOwnProperty.call(base, k)) s[k] = base[k];
    s.color = colour;
    s.fillColor = colour;
    return s;
  };

  // Every taxon whose range or habitat contains the point, as a popup list.
  RM.taxaAt = function (lat, lng) {
    var ix = RM._index, out = [];
    ix.cfg.taxa.forEach(function (t, i) {
      var where = null;
      for (var a = 0; a < t[4].length && !where; a++) {
        var h = t[4][a];
        if (ix.cfg.geoms[h] && RM.contains(ix.cfg.geoms[h], ix.boxes[h], lng, lat)) where = 'habitat';
      }
      for (var b = 0; b < t[3].length && !where; b++) {
        var r = t[3][b];
        if (ix.cfg.geoms[r] && RM.contains(ix.cfg.geoms[r], ix.boxes[r], lng, lat)) where = 'range';
      }
      if (where) out.push([i, where]);
    });
    return out;
  };

  RM.pointList = function (latlng) {
    var ix = RM._index, hits = RM.taxaAt(latlng.lat, latlng.lng);
    RM.lastHits = hits.length;
    if (!hits.length) return;
    var rows = hits.map(function (h) {
      var t = ix.cfg.taxa[h[0]];
      return "<li><span class='rm-sw' style='background:" + t[2] + "'></span>" +
        "<a href='" + t[0] + ".html'>" + t[1] + "</a> <small>(" + h[1] + ")</small> " +
        "<a href='#' class='rm-show' data-i='" + h[0] + "'>show</a></li>";
    });
    var html = "<div class='rm-pop'><b>" + hits.length + (hits.length === 1 ? ' taxon' : ' taxa') +
      " here</b><ul class='rm-here'>" + rows.join('') + '</ul></div>';
    var pop = L.popup({maxWidth: 420, maxHeight: 360}).setLatLng(latlng).setContent(html).openOn(ix.map);
    var el = pop.getElement();
    if (el) {
      var links = el.querySelectorAll('a.rm-show');
      for (var i = 0; i < links.length; i++) {
        links[i].addEventListener('click', function (ev) {
          ev.preventDefault();
          RM.highlight(ix.cfg.taxa[+this.getAttribute('data-i')][0], false);
        });
      }
    }
  };

  // Draw one taxon on top in its colour; optionally zoom to it.
  RM.highlight = function (stem, fit) {
    var ix = RM._index;
    if (!ix) return false;
    var i = -1;
    for (var k = 0; k < ix.cfg.taxa.length; k++) if (ix.cfg.taxa[k][0] === stem) i = k;
    RM._hl.clearLayers();
    var rows = document.querySelectorAll('#rm-taxa tbody tr');
    for (var r = 0; r < rows.length; r++) {
      rows[r].classList.toggle('rm-sel', rows[r].getAttribute('data-stem') === stem);
    }
    if (i < 0) { RM.state.taxon = null; RM.writeHash(ix.map); return false; }
    var t = ix.cfg.taxa[i];
    var feats = function (list) {
      return {type: 'FeatureCollection', features: list.filter(function (j) { return ix.cfg.geoms[j]; })
        .map(function (j) { return {type: 'Feature', geometry: ix.cfg.geoms[j], properties: {}}; })};
    };
    var rng = L.geoJson(feats(t[3]), {style: RM.style(ix.cfg.styles.highlightRange, t[2]), interactive: false});
    var hab = L.geoJson(feats(t[4]), {style: RM.style(ix.cfg.styles.highlightHabitat, t[2]), interactive: false});
    RM._hl.addLayer(rng).addLayer(hab);
    RM.state.taxon = stem;
    var b = rng.getBounds();
    if (fit && b.isValid()) ix.map.fitBounds(b, {padding: [12, 12], animate: false});
    RM.writeHash(ix.map);
    return true;
  };

  /* ------------------------------------------------------------ taxon table */

  RM.table = function () {
    var table = document.getElementById('rm-taxa');
    if (!table) return;
    var body = table.tBodies[0];
    var search = document.getElementById('rm-search');
    var count = document.getElementById('rm-count');
    function filter() {
      var q = (search && search.value || '').toLowerCase().trim(), shown = 0;
      for (var i = 0; i < body.rows.length; i++) {
        var row = body.rows[i];
        var ok = !q || row.getAttribute('data-q').indexOf(q) >= 0;
        row.style.display = ok ? '' : 'none';
        if (ok) shown++;
      }
      if (count) count.textContent = shown + ' of ' + body.rows.length;
      RM.shownRows = shown;
    }
    if (search) search.addEventListener('input', filter);
    RM.filter = filter;
    var heads = table.tHead.rows[0].cells;
    for (var h = 0; h < heads.length; h++) {
      (function (col, th) {
        th.addEventListener('click', function () { RM.sortBy(col); });
      })(h, heads[h]);
    }
    body.addEventListener('click', function (ev) {
      var el = ev.target;
      if (el && el.tagName === 'A') return;  // the name opens the taxon's page
      while (el && el.tagName !== 'TR') el = el.parentNode;
      if (el) RM.highlight(el.getAttribute('data-stem'), true);
    });
    filter();
  };

  RM.sortBy = function (col) {
    var table = document.getElementById('rm-taxa'), body = table.tBodies[0];
    var th = table.tHead.rows[0].cells[col];
    var dir = th.getAttribute('data-dir') === 'asc' ? 'desc' : 'asc';
    var heads = table.tHead.rows[0].cells;
    for (var h = 0; h < heads.length; h++) heads[h].removeAttribute('data-dir');
    th.setAttribute('data-dir', dir);
    var rows = Array.prototype.slice.call(body.rows);
    function key(row) {
      var cell = row.cells[col], v = cell.getAttribute('data-v');
      return v === null ? cell.textContent.toLowerCase() : parseFloat(v);
    }
    rows.sort(function (a, b) {
      var ka = key(a), kb = key(b), c;
      if (typeof ka === 'number' || typeof kb === 'number') {
        ka = isNaN(ka) ? -Infinity : ka;
        kb = isNaN(kb) ? -Infinity : kb;
        c = ka - kb;
      } else {
        c = ka < kb ? -1 : ka > kb ? 1 : 0;
      }
      return dir === 'asc' ? c : -c;
    });
    for (var i = 0; i < rows.length; i++) body.appendChild(rows[i]);
  };

  /* ------------------------------------------------------------ URL state */

  RM.parseHash = function () {
    var out = {}, h = (location.hash || '').replace(/^#/, '');
    if (!h) return out;
    h.split('&').forEach(function (kv) {
      var i = kv.indexOf('=');
      if (i <= 0) return;
      try { out[decodeURIComponent(kv.slice(0, i))] = decodeURIComponent(kv.slice(i + 1)); } catch (e) { /* bad escape */ }
    });
    return out;
  };

  RM.hashFor = function (map) {
    var c = map.getCenter();
    var parts = ['z=' + map.getZoom(), 'c=' + c.lat.toFixed(4) + ',' + c.lng.toFixed(4)];
    if (RM.state.taxon) parts.push('taxon=' + encodeURIComponent(RM.state.taxon));
    if (RM.state.unit) parts.push('unit=' + encodeURIComponent(RM.state.unit));
    return '#' + parts.join('&');
  };

  RM.writeHash = function (map) {
    if (!RM._ready) return;
    var h = RM.hashFor(map);
    if (location.hash === h) return;
    try { history.replaceState(null, '', h); } catch (e) { location.hash = h; }
  };

  // Last call on every page: apply the view in the URL, then keep the URL current.
  RM.view = function (map) {
    var h = RM.parseHash(), z = parseInt(h.z, 10), c = (h.c || '').split(',').map(Number);
    if (isFinite(z) && c.length === 2 && isFinite(c[0]) && isFinite(c[1])) {
      map.setView([Math.max(-85, Math.min(85, c[0])), c[1]], Math.max(0, Math.min(18, z)),
                  {animate: false});
    }
    if (RM._check) RM._check();
    RM._ready = true;
    if (h.taxon && RM._index) RM.highlight(h.taxon, !(isFinite(z) && c.length === 2));
    if (h.unit && Object.prototype.hasOwnProperty.call(RM._units, h.unit)) RM._units[h.unit]();
    map.on('moveend', function () { RM.writeHash(map); });
    RM.writeHash(map);
    RM.started = true;
  };
})();
