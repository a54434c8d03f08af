/* percept training view: renders a ViewState (see the view module's schema) into #app.
 * Static report: the state is embedded in <script id="percept-state">. Live dashboard: the state
 * comes from GET /state and then from the server-sent events of GET /events.
 * Plain ES2018, no modules; uPlot (global `uPlot`) is loaded before this script.
 * Every string from the state goes into the page through textContent or setAttribute. */
(function () {
  'use strict';

  // Errors of this script, kept for whoever inspects the page (the browser tests read them).
  window.__perceptErrors = [];
  window.addEventListener('error', (e) => window.__perceptErrors.push(String(e.message)));

  // ---------------------------------------------------------------- small helpers

  const SVGNS = 'http://www.w3.org/2000/svg';
  const COLORS = { train: '#2f6fde', val: '#e8793a', bar: '#7d8da1', other: '#c3ccd6',
    right: '#2f6fde', wrong: '#d64545', truth: '#2e9e5b', point: '#2f6fde' };
  // Light (early epochs) to dark (late epochs), per kind of tensor, as TensorBoard's overlay.
  const RAMPS = { weight: ['#fdd0a2', '#8c2d04'], bias: ['#c7e9c0', '#00441b'],
    gradient: ['#c6dbef', '#08306b'] };

  function setAttrs(e, attrs) {
    for (const k in attrs || {}) {
      const v = attrs[k];
      if (v == null || v === false) continue;
      if (k === 'text') e.textContent = String(v);
      else if (k === 'style') e.style.cssText = v; // only ever built here from numbers
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, String(v));
    }
  }
  function append(e, children) {
    if (children == null) return;
    for (const c of Array.isArray(children) ? children : [children]) {
      if (c == null || c === false) continue;
      if (Array.isArray(c)) append(e, c); // nested lists of children, flattened
      else e.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
    }
  }
  const make = (e, attrs, children) => { setAttrs(e, attrs); append(e, children); return e; };
  const h = (tag, attrs, children) => make(document.createElement(tag), attrs, children);
  const svg = (tag, attrs, children) => make(document.createElementNS(SVGNS, tag), attrs, children);

  const isNum = (v) => typeof v === 'number' && isFinite(v);
  const isIdx = (v) => Number.isInteger(v) && v >= 0;
  const arr = (a) => (Array.isArray(a) ? a : []);
  const num = (v, d) => (isNum(v) ? v : d);
  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
  // `a` cut or padded with nulls to length n, non-finite values as null (gaps in the charts).
  const fitTo = (a, n) => Array.from({ length: n }, (_, i) => (isNum(arr(a)[i]) ? a[i] : null));

  function fmt(v) {
    if (!isNum(v)) return '—';
    if (Number.isInteger(v)) return String(v);
    const a = Math.abs(v);
    if (a >= 1e5 || a < 1e-3) return v.toExponential(2);
    return a >= 100 ? v.toFixed(1) : v.toFixed(4);
  }
  function fmtTick(v) {
    if (!isNum(v)) return '';
    const a = Math.abs(v);
    if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(1);
    return String(+v.toPrecision(4));
  }
  const fmt3 = (v) => (isNum(v) ? v.toFixed(3) : '—');
  const pct = (v) => (isNum(v) ? (v * 100).toFixed(1) + ' %' : '—');
  const metricText = (metric, v) => (metric === 'accuracy' ? pct(v) : fmt(v));
  const pad2 = (n) => (n < 10 ? '0' : '') + n;
  function dur(s) {
    if (!isNum(s)) return '—';
    s = Math.max(0, Math.round(s));
    if (s < 60) return s + ' s';
    const m = Math.floor(s / 60);
    if (m < 60) return m + ' min ' + pad2(s % 60) + ' s';
    return Math.floor(m / 60) + ' h ' + pad2(m % 60) + ' min';
  }
  function mix(a, b, t) { // two '#rrggbb' colours
    const p = (c, i) => parseInt(c.slice(1 + 2 * i, 3 + 2 * i), 16);
    return 'rgb(' + [0, 1, 2].map((i) => Math.round(p(a, i) + (p(b, i) - p(a, i)) * t)).join(',') + ')';
  }
  // The kind of a component, for its colour (as PerceptiLabs colours its component groups).
  function category(className) {
    const c = String(className || '');
    if (/data|input/i.test(c)) return 'data';
    if (/train|loss|optim/i.test(c)) return 'training';
    if (/conv|dense|linear|fc|lstm|gru|rnn|attention|embed|norm/i.test(c)) return 'learning';
    return 'processing';
  }

  // ---------------------------------------------------------------- charts (uPlot)

  // Charts live in a registry by id so that a new state updates them with setData; a chart is
  // rebuilt only when its signature (kind, title, series, labels) changes. chart() returns the
  // container at once; the uPlot instance is made in flushCharts(), once the container is in the
  // page and its width is known. Charts whose container left the page are destroyed there.
  const charts = new Map();

  function countPoints(data) {
    let n = 0;
    for (let s = 1; s < data.length; s++) for (const v of data[s]) if (isNum(v)) n++;
    return n;
  }

  // spec: { title, kind: 'line'|'bars'|'points', x, y (axis titles), series: [{label, color}],
  //         height, xLabels (bars), small, showTitle, legend, yFrom0, zeroLine }
  function chart(id, spec, data) {
    const sig = JSON.stringify(spec);
    let c = charts.get(id);
    if (!c) charts.set(id, (c = { sig, spec, plot: null, box: h('div') }));
    if (c.sig !== sig) { // the same container, a new uPlot
      if (c.plot) c.plot.destroy();
      Object.assign(c, { sig, spec, plot: null });
    }
    c.box.className = 'chart' + (spec.small ? ' small' : '');
    c.data = data;
    c.box.setAttribute('data-title', spec.title || '');
    c.box.setAttribute('data-points', String(countPoints(data)));
    if (c.plot) c.plot.setData(data);
    return c.box;
  }

  function flushCharts() {
    for (const [id, c] of charts) {
      if (!c.box.isConnected) { if (c.plot) c.plot.destroy(); charts.delete(id); continue; }
      const w = Math.max(140, c.box.clientWidth || 300);
      if (!c.plot) c.plot = new uPlot(plotOptions(c.spec, w), c.data, c.box);
      else if (Math.abs(c.plot.width - w) > 1) c.plot.setSize({ width: w, height: c.plot.height });
    }
  }

  function axis(label, small, extra) {
    return Object.assign({
      label, stroke: '#5b6675', labelSize: small ? 14 : 18, labelGap: 0,
      font: (small ? '10px' : '11px') + ' system-ui, sans-serif',
      labelFont: '600 ' + (small ? '10px' : '11px') + ' system-ui, sans-serif',
      size: small ? 34 : 44, gap: 3,
      grid: { stroke: '#e9edf2', width: 1 }, ticks: { stroke: '#d5dbe3', width: 1, size: 4 },
      values: (u, splits) => splits.map(fmtTick),
    }, extra);
  }

  function plotOptions(sp, width) {
    const small = !!sp.small;
    const bars = sp.kind === 'bars';
    // Off the chart, the legend of a curve shows the latest values (idx is null there).
    const latest = (u, v, si, idx) => {
      if (idx != null || !sp.latest) return v;
      const d = u.data[si] || [];
      for (let i = d.length - 1; i >= 0; i--) if (isNum(d[i])) return d[i];
      return null;
    };
    const series = [{ label: sp.x, value: (u, v, si, idx) => {
      v = latest(u, v, si, idx);
      return v == null ? '—' : bars && sp.xLabels ? sp.xLabels[v] : fmtTick(v);
    } }];
    for (const s of sp.series) {
      const o = { label: s.label, stroke: s.color, width: s.width || 1.5, spanGaps: false,
        value: (u, v, si, idx) => fmt(latest(u, v, si, idx)) };
      if (bars) {
        Object.assign(o, { fill: s.color, width: 0, points: { show: false },
          paths: uPlot.paths.bars({ size: [0.7, 48], align: 0 }) });
      } else if (sp.kind === 'points') {
        Object.assign(o, { paths: () => null, points: { show: true, size: 4, stroke: s.color, fill: s.color } });
      } else if (s.noPoints) {
        o.points = { show: false };
      }
      series.push(o);
    }
    const xAxis = axis(sp.x, small);
    xAxis.size = small ? 26 : 32;
    // steps and epochs are whole numbers: no ticks at 1.5
    if (sp.x === 'step' || sp.x === 'epoch') xAxis.incrs = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1e3, 2e3, 2500, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6];
    if (bars) {
      const n = arr(sp.xLabels).length;
      xAxis.grid = { show: false };
      // every label when they fit, otherwise every k-th
      xAxis.splits = (u) => {
        const each = 4 + 6 * Math.max(1, ...sp.xLabels.map((l) => l.length)); // px per label
        const room = Math.max(1, Math.floor(u.bbox.width / (window.devicePixelRatio || 1) / each));
        const k = Math.max(1, Math.ceil(n / room));
        const out = [];
        for (let i = 0; i < n; i += k) out.push(i);
        return out;
      };
      xAxis.values = (u, splits) => splits.map((i) => sp.xLabels[i] || '');
    }
    const yRange = (u, lo, hi) => {
      if (!isNum(lo) || !isNum(hi)) return [0, 1];
      if (sp.yFrom0) { lo = Math.min(0, lo); hi = Math.max(0, hi); }
      if (hi === lo) {
        const d = Math.abs(hi) * 0.1 || 0.5;
        if (!sp.yFrom0) return [lo - d, hi + d];
        return hi > 0 ? [0, hi + d] : hi < 0 ? [lo - d, 0] : [0, 1];
      }
      const padding = (hi - lo) * 0.06;
      return [sp.yFrom0 && lo === 0 ? 0 : lo - padding, sp.yFrom0 && hi === 0 ? 0 : hi + padding];
    };
    const hooks = {};
    if (sp.zeroLine) { // a dashed line at y = 0 (residuals)
      hooks.draw = [(u) => {
        const y = u.valToPos(0, 'y', true), ctx = u.ctx, b = u.bbox;
        if (!(y >= b.top && y <= b.top + b.height)) return;
        ctx.save();
        Object.assign(ctx, { strokeStyle: '#8a97a8', lineWidth: window.devicePixelRatio || 1 });
        ctx.setLineDash([5, 4]);
        ctx.beginPath(); ctx.moveTo(b.left, y); ctx.lineTo(b.left + b.width, y); ctx.stroke();
        ctx.restore();
      }];
    }
    return {
      title: sp.showTitle === false ? undefined : sp.title,
      width, height: sp.height || 220, series, hooks,
      legend: { show: sp.legend !== false },
      cursor: { points: { size: 6 } },
      scales: {
        // bars stand at x = 0 .. n-1 (uPlot pre-widens a single x value, so not from lo, hi)
        x: { time: false, range: bars ? () => [-0.5, Math.max(1, arr(sp.xLabels).length) - 0.5] : undefined },
        y: { range: yRange },
      },
      axes: [xAxis, axis(sp.y, small)],
    };
  }

  // ---------------------------------------------------------------- previews

  const imageCache = new Map(); // the same capture arrives in every live update: encode it once

  // A data: URL of channel `ch` (or, with ch < 0, the grey or RGB image) of an h x w x c tensor,
  // min..max scaled to 0..255 and upscaled with nearest-neighbour to about `target` pixels.
  function imageURL(shape, values, ch, target, valuesKey) {
    const [hh, w, c] = shape;
    const key = shape.join('x') + '/' + ch + '/' + target + '/' + valuesKey;
    if (imageCache.has(key)) return imageCache.get(key);
    const rgb = ch < 0 && c === 3, chans = rgb ? [0, 1, 2] : [ch < 0 ? 0 : ch];
    let lo = Infinity, hi = -Infinity;
    for (let p = 0; p < hh * w; p++) {
      for (const k of chans) {
        const v = values[p * c + k];
        if (isNum(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      }
    }
    const span = hi > lo ? hi - lo : 1;
    const byte = (v) => (isNum(v) ? Math.round(((v - lo) / span) * 255) : 0);
    const small = Object.assign(document.createElement('canvas'), { width: w, height: hh });
    const sctx = small.getContext('2d');
    const img = sctx.createImageData(w, hh);
    for (let p = 0; p < hh * w; p++) {
      const g = chans.map((k) => byte(values[p * c + k]));
      img.data.set(rgb ? [g[0], g[1], g[2], 255] : [g[0], g[0], g[0], 255], 4 * p);
    }
    sctx.putImageData(img, 0, 0);
    const s = Math.max(1, Math.round(target / Math.max(w, hh)));
    const big = Object.assign(document.createElement('canvas'), { width: w * s, height: hh * s });
    const bctx = big.getContext('2d');
    bctx.imageSmoothingEnabled = false;
    bctx.drawImage(small, 0, 0, w * s, hh * s);
    if (imageCache.size > 400) imageCache.clear();
    imageCache.set(key, big.toDataURL('image/png'));
    return imageCache.get(key);
  }

  function validShape(p) {
    const s = arr(p.shape);
    return s.length === 3 && s.every(isIdx) && s[0] * s[1] * s[2] > 0 &&
      s[0] * s[1] * s[2] <= arr(p.values).length;
  }

  // The preview of a component's output or of a test element's input. `id` names its chart.
  function preview(p, id, opts) {
    opts = opts || {};
    if (!p) return h('p', { class: 'empty', text: 'no capture yet' });
    const valuesKey = () => arr(p.values).join(',');
    switch (p.view) {
      case 'image':
        if (!validShape(p)) break;
        return h('img', { class: 'preview', alt: 'image ' + p.shape.join('×'),
          src: imageURL(p.shape, p.values, -1, opts.size || 140, valuesKey()) });
      case 'channels': {
        if (!validShape(p)) break;
        const c = p.shape[2], size = c > 32 ? 40 : 56, vk = valuesKey();
        return h('div', { class: 'channels' }, Array.from({ length: c }, (_, k) => h('figure', { class: 'channel' }, [
          h('img', { class: 'preview', alt: 'channel ' + k, src: imageURL(p.shape, p.values, k, size, vk) }),
          h('figcaption', { text: String(k) })])));
      }
      case 'bars':
        return barsPreview(p, id, opts);
      case 'scalar':
        return h('p', { class: 'scalar' }, [
          h('span', { class: 'scalar-label', text: p.label || 'value' }), ' ',
          h('span', { class: 'scalar-value', text: fmt(p.value) })]);
      case 'values':
        return barsPreview({ values: p.values }, id, opts);
    }
    // a malformed preview (wrong shape) still shows its numbers
    return arr(p.values).length ? barsPreview({ values: p.values }, id, opts)
      : h('p', { class: 'empty', text: 'nothing to show' });
  }

  function barsPreview(p, id, opts) {
    const vals = arr(p.values).map((v) => (isNum(v) ? v : null));
    const n = vals.length;
    const labels = arr(p.labels).length === n ? p.labels.map(String) : vals.map((_, i) => String(i));
    const xs = vals.map((_, i) => i);
    const pr = isIdx(p.predicted) && p.predicted < n ? p.predicted : null;
    const tr = isIdx(p.truth) && p.truth < n ? p.truth : null;
    const spec = { kind: 'bars', title: opts.title || 'values', showTitle: false, small: true, legend: !opts.noLegend,
      x: pr == null && tr == null ? 'index' : 'class', y: opts.y || 'value', xLabels: labels,
      height: opts.height || 130, yFrom0: true };
    if (pr == null && tr == null) {
      spec.series = [{ label: 'value', color: COLORS.bar }];
      return chart(id, spec, [xs, vals]);
    }
    const right = tr == null || pr === tr;
    spec.series = [{ label: 'other', color: COLORS.other },
      { label: 'predicted', color: right ? COLORS.right : COLORS.wrong },
      { label: 'label', color: COLORS.truth }];
    const box = chart(id, spec, [xs,
      vals.map((v, i) => (i === pr || i === tr ? null : v)),
      vals.map((v, i) => (i === pr ? v : null)),
      vals.map((v, i) => (i === tr && i !== pr ? v : null))]);
    if (opts.noCaption) return box;
    const both = pr != null && tr != null;
    const text = [pr != null ? 'predicted ' + labels[pr] : null, tr != null ? 'label ' + labels[tr] : null].filter(Boolean).join(', ');
    return h('div', { class: 'bars' }, [box, h('p', { class: 'caption' + (both ? (right ? ' right' : ' wrong') : ''),
      text: (both ? (right ? '✓ ' : '✗ ') : '') + text })]);
  }

  // ---------------------------------------------------------------- histograms

  // `count` indices spread evenly over 0..n-1, the last included.
  function spread(n, count) {
    if (n <= count) return Array.from({ length: n }, (_, i) => i);
    const out = [];
    for (let k = 0; k < count; k++) {
      const i = Math.round((k * (n - 1)) / (count - 1));
      if (out[out.length - 1] !== i) out.push(i);
    }
    return out;
  }

  // An epoch's 20 bins (equal, from its min to its max) spread onto the common grid lo + g*dx:
  // each bin's count is shared among the grid cells in proportion to the overlap.
  function resample(e, lo, dx, G) {
    const out = new Array(G).fill(0);
    const counts = arr(e.counts);
    const w = (e.max - e.min) / (counts.length || 1);
    counts.forEach((cnt, b) => {
      if (!isNum(cnt) || cnt === 0) return;
      if (!(w > 0)) { // all values equal
        out[clamp(Math.floor((e.min - lo) / dx), 0, G - 1)] += cnt;
        return;
      }
      const a = e.min + b * w, z = a + w;
      const g1 = Math.min(G - 1, Math.floor((z - lo) / dx));
      for (let g = Math.max(0, Math.floor((a - lo) / dx)); g <= g1; g++) {
        const overlap = Math.min(z, lo + (g + 1) * dx) - Math.max(a, lo + g * dx);
        if (overlap > 0) out[g] += (cnt * overlap) / w;
      }
    });
    return out;
  }

  function histogramChart(id, hg) {
    const title = (hg.kind || 'tensor') + ' ' + (hg.name || '');
    const eps = arr(hg.epochs).filter((e) => e && isNum(e.min) && isNum(e.max) && arr(e.counts).length);
    if (!eps.length) return h('p', { class: 'empty', text: title + ': no data yet' });
    const shown = spread(eps.length, 12).map((i) => eps[i]);
    let lo = Math.min(...shown.map((e) => e.min)), hi = Math.max(...shown.map((e) => e.max));
    if (!(hi > lo)) { const d = Math.abs(lo) * 0.1 || 0.5; lo -= d; hi += d; }
    const G = 40, dx = (hi - lo) / G;
    const xs = Array.from({ length: G }, (_, g) => lo + (g + 0.5) * dx);
    const ramp = RAMPS[hg.kind] || RAMPS.weight;
    const t = (k) => (shown.length > 1 ? k / (shown.length - 1) : 1);
    const box = chart(id, {
      kind: 'line', title, x: 'value', y: 'count', small: true, height: 120, yFrom0: true, legend: false,
      series: shown.map((e, k) => ({ label: 'epoch ' + e.epoch, color: mix(ramp[0], ramp[1], t(k)),
        width: 1.25, noPoints: true })),
    }, [xs].concat(shown.map((e) => resample(e, lo, dx, G))));
    // a 12-entry legend would dwarf the chart: a colour key and the last epoch's statistics
    const end = shown[shown.length - 1];
    return h('div', { class: 'hist' }, [box, h('div', { class: 'hist-key' }, [
      h('span', null, shown.length > 1 ? ['epoch ' + shown[0].epoch, h('span', { class: 'ramp',
        style: 'background:linear-gradient(90deg,' + ramp[0] + ',' + ramp[1] + ')' }), String(end.epoch)]
        : 'epoch ' + end.epoch),
      h('span', { title: 'epoch ' + end.epoch, text: 'mean ' + fmt(end.mean) + ' · std ' + fmt(end.std) })])]);
  }

  // ---------------------------------------------------------------- sections

  function tile(label, value, id) {
    return h('div', { class: 'tile' }, [h('div', { class: 'tile-label', text: label }),
      h('div', { class: 'tile-value', id, text: value })]);
  }

  let connection = ''; // the live connection state shown in the header; '' in a static report

  function setConnection(text) {
    connection = text;
    const e = document.getElementById('connection');
    if (e) { e.textContent = text; e.className = 'conn c-' + connClass(text); }
  }
  const connClass = (t) => (t === 'live' ? 'live' : /finished/.test(t) ? 'done' : /failed/.test(t) ? 'failed' : 'wait');

  function renderHeader(st) {
    const p = st.progress || {};
    const epoch = num(p.epoch, 0), epochs = num(p.epochs, 0), step = num(p.step, 0), steps = num(p.steps, 0);
    const status = String(st.status || 'waiting');
    const known = ['waiting', 'training', 'finished', 'failed'].includes(status) ? status : 'other';
    const frac = status === 'finished' ? 1
      : epochs * steps > 0 && epoch > 0 ? clamp(((epoch - 1) * steps + step) / (epochs * steps), 0, 1) : 0;
    const eta = status === 'finished' ? 'done' : status === 'training' && isNum(p.eta_s) ? 'about ' + dur(p.eta_s) + ' left' : '—';
    return h('header', { class: 'top' }, [
      h('div', { class: 'title-row' }, [
        h('h1', { text: st.model || 'model' }),
        st.backend ? h('span', { class: 'badge', text: st.backend }) : null,
        h('span', { class: 'spacer' }),
        connection ? h('span', { id: 'connection', class: 'conn c-' + connClass(connection), text: connection }) : null,
        h('span', { id: 'status', class: 'status s-' + known, text: status }),
      ]),
      h('div', { class: 'progress', title: (frac * 100).toFixed(1) + ' %' },
        h('div', { class: 'progress-bar s-' + known, style: 'width:' + (frac * 100).toFixed(2) + '%' })),
      h('div', { class: 'tiles' }, [
        tile('epoch', epoch + ' / ' + epochs, 'epoch'),
        tile('step', step + ' / ' + steps, 'step'),
        tile('elapsed', dur(p.elapsed_s), 'elapsed'),
        tile('remaining', eta, 'eta'),
        tile('throughput', isNum(p.samples_per_s) ? Math.round(p.samples_per_s).toLocaleString('en-US') + ' samples/s' : '—', 'throughput'),
      ]),
      st.message ? h('pre', { class: 'message', text: st.message }) : null,
    ]);
  }

  function renderSettings(settings) {
    const rows = arr(settings).filter(Array.isArray);
    if (!rows.length) return null;
    return h('section', { class: 'card settings-card' }, h('table', { id: 'settings' }, [
      h('thead', null, h('tr', null, rows.map((r) => h('th', { text: r[0] })))),
      h('tbody', null, h('tr', null, rows.map((r) => h('td', { text: r[1] })))),
    ]));
  }

  function renderCurves(st) {
    const m = st.metric || 'accuracy';
    const S = st.steps || {}, E = st.epochs || {};
    const sx = arr(S.x), ex = arr(E.x);
    const tv = () => [{ label: 'training', color: COLORS.train }, { label: 'validation', color: COLORS.val }];
    return [
      chart('loss-step', { kind: 'line', title: 'loss per step', latest: true, x: 'step', y: 'loss',
        series: [{ label: 'training', color: COLORS.train, width: 1.25 }] }, [sx, fitTo(S.loss, sx.length)]),
      chart('loss-epoch', { kind: 'line', title: 'loss per epoch', latest: true, x: 'epoch', y: 'loss', series: tv() },
        [ex, fitTo(E.loss_training, ex.length), fitTo(E.loss_validation, ex.length)]),
      chart('metric-epoch', { kind: 'line', title: m + ' per epoch', latest: true, x: 'epoch', y: m, series: tv() },
        [ex, fitTo(E.accuracy_training, ex.length), fitTo(E.accuracy_validation, ex.length)]),
      chart('metric-step', { kind: 'line', title: m + ' per step', latest: true, x: 'step', y: m,
        series: [{ label: 'training', color: COLORS.train, width: 1.25 }] }, [sx, fitTo(S.accuracy, sx.length)]),
    ];
  }

  const curvesSection = (boxes) => h('section', { id: 'curves' }, [h('h2', { text: 'Training' }),
    h('div', { class: 'grid two' }, boxes.map((b) => h('div', { class: 'card' }, b)))]);

  // A smooth path through the points (cubic Béziers with Catmull-Rom tangents). A tangent
  // component is zeroed where the polyline turns back or runs straight in that direction, so the
  // curve never bulges past its points; the path leaves its source and enters its target
  // vertically, so that the arrowhead points straight down into the box.
  function smoothPath(pts) {
    pts = arr(pts).filter((q) => Array.isArray(q) && isNum(q[0]) && isNum(q[1]));
    if (pts.length < 2) return '';
    const f = (q) => q[0].toFixed(1) + ',' + q[1].toFixed(1);
    const last = pts.length - 1;
    const tangent = (i) => [0, 1].map((c) => {
      const a = pts[i][c] - pts[i - 1][c], b = pts[i + 1][c] - pts[i][c];
      return a * b > 0 ? (a + b) / 6 : 0;
    });
    let d = 'M' + f(pts[0]);
    for (let i = 0; i < last; i++) {
      const p1 = pts[i], p2 = pts[i + 1], dy = Math.abs(p2[1] - p1[1]) / 2;
      const t1 = i === 0 ? [0, dy] : tangent(i), t2 = i + 1 === last ? [0, dy] : tangent(i + 1);
      d += 'C' + f([p1[0] + t1[0], p1[1] + t1[1]]) + ' ' + f([p2[0] - t2[0], p2[1] - t2[1]]) + ' ' + f(p2);
    }
    return d;
  }

  const clip = (s, chars) => (s.length > chars ? s.slice(0, Math.max(1, chars - 1)) + '…' : s);

  function scrollToComponent(instance) {
    for (const e of document.querySelectorAll('section.component')) {
      if (e.getAttribute('data-instance') === instance) { e.scrollIntoView({ behavior: 'smooth', block: 'start' }); return; }
    }
  }

  function renderGraph(g) {
    const nodes = arr(g && g.nodes);
    const head = h('h2', { text: 'Model' });
    if (!nodes.length) return h('section', { id: 'graph' }, [head, h('div', { class: 'card' }, h('p', { class: 'empty', text: 'no graph' }))]);
    const W = num(g.width, 400), H = num(g.height, 300);
    const root = svg('svg', { class: 'graph', viewBox: '0 0 ' + W + ' ' + H, width: W, height: H,
      role: 'img', 'aria-label': 'model graph' }, [
      svg('defs', null, svg('marker', { id: 'percept-arrow', viewBox: '0 0 10 10', refX: 9, refY: 5,
        markerWidth: 7, markerHeight: 7, markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse' },
      svg('path', { d: 'M0,0L10,5L0,10z', class: 'arrow-head' }))),
    ]);
    for (const e of arr(g.edges)) {
      const d = smoothPath(e.points);
      if (d) root.appendChild(svg('path', { class: 'edge', d, 'marker-end': 'url(#percept-arrow)' },
        svg('title', { text: e.from + ' → ' + e.to })));
    }
    for (const n of nodes) {
      const x = num(n.x, 0), y = num(n.y, 0), w = num(n.w, 120), hh = num(n.h, 48);
      const chars = Math.floor((w - 12) / 6.5), cx = x + w / 2;
      const params = isNum(n.parameters) && n.parameters > 0 ? ', ' + n.parameters.toLocaleString('en-US') + ' parameters' : '';
      root.appendChild(svg('g', { class: 'node cat-' + category(n.class_name), onclick: () => scrollToComponent(n.instance) }, [
        svg('title', { text: n.instance + ' (' + n.class_name + '): ' + n.output + params }),
        svg('rect', { x, y, width: w, height: hh, rx: 6 }),
        svg('rect', { class: 'stripe', x, y: y + 4, width: 4, height: hh - 8, rx: 2 }),
        svg('text', { class: 'n-inst', x: cx, y: y + hh * 0.3, text: clip(String(n.instance), chars - 1) }),
        svg('text', { class: 'n-class', x: cx, y: y + hh * 0.56, text: clip(String(n.class_name), chars) }),
        svg('text', { class: 'n-out', x: cx, y: y + hh * 0.8, text: clip(String(n.output), chars) }),
      ]));
    }
    return h('section', { id: 'graph' }, [head, h('div', { class: 'card graph-card' }, root)]);
  }

  function renderComponents(list) {
    list = arr(list);
    const head = h('h2', { text: 'Components' });
    if (!list.length) return h('section', { id: 'components' }, [head, h('p', { class: 'empty', text: 'no components' })]);
    return h('section', { id: 'components' }, [head, h('div', { class: 'grid comps' }, list.map((c, i) => {
      const key = 'comp/' + i + '/' + c.instance;
      const hists = arr(c.histograms);
      // a card with histograms spans two grid columns: its preview left, its histograms right
      return h('section', { class: 'component card cat-' + category(c.class_name) + (hists.length ? ' wide' : ''),
        'data-instance': c.instance }, [
        h('div', { class: 'comp-head' }, [h('span', { class: 'comp-name', text: c.instance }),
          h('span', { class: 'comp-class', text: c.class_name }), h('span', { class: 'shape', text: c.output })]),
        h('div', { class: 'comp-body' }, [
          h('div', { class: 'preview-box' }, preview(c.preview, key + '/preview', { title: c.instance + ' output' })),
          hists.length ? h('div', { class: 'hists' }, hists.map((hg, j) => histogramChart(key + '/hist/' + j, hg))) : null]),
      ]);
    }))]);
  }

  function metricsTable(cls, labels) {
    const row = (name, m) => h('tr', null, [h('th', { text: name }), h('td', { text: fmt3(m.precision) }),
      h('td', { text: fmt3(m.recall) }),
      h('td', { class: 'f1', style: 'background-size:' + clamp(num(m.f1, 0), 0, 1) * 100 + '% 100%', text: fmt3(m.f1) }),
      h('td', { text: isNum(m.support) ? String(m.support) : '—' })]);
    const totals = [cls.macro_average, cls.weighted_average].filter(Boolean);
    return h('table', { id: 'per-class', class: 'metrics' }, [
      h('thead', null, h('tr', null, ['class', 'precision', 'recall', 'F1', 'support'].map((t) => h('th', { text: t })))),
      h('tbody', null, arr(cls.classes).map((m, i) => row(labels[i] != null ? labels[i] : String(i), m || {}))),
      h('tfoot', null, [
        h('tr', null, [h('th', { text: 'accuracy' }), h('td'), h('td'),
          h('td', { text: fmt3(cls.accuracy) }), h('td', { text: totals[0] && isNum(totals[0].support) ? String(totals[0].support) : '' })]),
        cls.macro_average ? row('macro average', cls.macro_average) : null,
        cls.weighted_average ? row('weighted average', cls.weighted_average) : null,
      ]),
    ]);
  }

  // Rows: the true label, columns: the prediction. The diagonal is shaded blue by its share of
  // the largest diagonal count, the mistakes red by their share of the largest mistake, so that
  // small confusions stay visible next to large correct counts.
  function confusionTable(cm, labels) {
    const n = cm.length;
    let maxDiag = 0, maxOff = 0;
    cm.forEach((r, i) => arr(r).forEach((v, j) => {
      if (!isNum(v)) return;
      if (i === j) maxDiag = Math.max(maxDiag, v); else maxOff = Math.max(maxOff, v);
    }));
    const name = (i) => (labels[i] != null ? String(labels[i]) : String(i));
    const cell = (v, i, j) => {
      v = isNum(v) ? v : 0;
      const diag = i === j, t = v / ((diag ? maxDiag : maxOff) || 1);
      const alpha = v > 0 ? 0.1 + 0.85 * t : 0;
      const style = v > 0 ? 'background:rgba(' + (diag ? '47,111,222,' : '214,69,69,') + alpha.toFixed(3) + ')' : null;
      return h('td', { class: (v === 0 ? 'zero' : '') + (alpha > 0.55 ? ' dark' : ''), style,
        title: 'label ' + name(i) + ', predicted ' + name(j) + ': ' + v, text: String(v) });
    };
    return h('table', { id: 'confusion' }, [
      h('thead', null, [
        h('tr', null, [h('th', { class: 'corner', colspan: 2, rowspan: 2 }), h('th', { class: 'axis-title', colspan: n, text: 'predicted' })]),
        h('tr', null, cm.map((_, j) => h('th', { class: 'col-label', text: name(j) }))),
      ]),
      h('tbody', null, cm.map((r, i) => h('tr', null, [
        i === 0 ? h('th', { class: 'axis-title vertical', rowspan: n }, h('span', { text: 'true label' })) : null,
        h('th', { class: 'row-label', text: name(i) }),
      ].concat(cm.map((_, j) => cell(arr(r)[j], i, j)))))),
    ]);
  }

  function renderClassification(cls) {
    const labels = arr(cls.labels).map(String);
    const name = (i) => (labels[i] != null ? labels[i] : String(i));
    const cm = arr(cls.confusion).map(arr);
    const confusions = arr(cls.confusions).filter((c) => c && isNum(c.count) && c.count > 0).slice(0, 10);
    const worst = arr(cls.worst);
    return [
      h('div', { class: 'grid two' }, [
        h('div', { class: 'card' }, [h('h3', { text: 'confusion matrix' }),
          cm.length ? h('div', { class: 'scroll' }, confusionTable(cm, labels)) : h('p', { class: 'empty', text: 'no confusion matrix' })]),
        h('div', { class: 'card' }, [h('h3', { text: 'per class' }), h('div', { class: 'scroll' }, metricsTable(cls, labels)),
          h('h3', { text: 'most frequent confusions' }),
          confusions.length
            ? h('ol', { class: 'confusions' }, confusions.map((c) => h('li', {
              text: name(c.label) + ' taken for ' + name(c.predicted) + ': ' + c.count + (c.count === 1 ? ' time' : ' times') })))
            : h('p', { class: 'empty', text: 'no confusions' })]),
      ]),
      worst.length ? h('h3', { class: 'outside', text: 'worst classified' }) : null,
      worst.length ? h('div', { class: 'grid worst' }, worst.map((w, i) => {
        const right = w.label === w.predicted;
        return h('div', { class: 'card worst-card', 'data-element': w.element }, [
          h('div', { class: 'worst-head' }, [h('span', { class: 'comp-name', text: 'element ' + w.element }),
            h('span', { class: 'loss', text: 'loss ' + fmt(w.loss) })]),
          h('div', { class: 'worst-body' }, [
            h('div', { class: 'preview-box' }, preview(w.input, 'worst/' + i + '/input', { size: 96, title: 'input' })),
            h('p', { class: 'caption ' + (right ? 'right' : 'wrong'),
              text: (right ? '✓ ' : '✗ ') + 'label ' + name(w.label) + ', predicted ' + name(w.predicted) }),
          ]),
          arr(w.probabilities).length ? barsPreview({ values: w.probabilities, labels, predicted: w.predicted, truth: w.label },
            'worst/' + i + '/probabilities', { title: 'probabilities', y: 'probability', height: 110, noCaption: true, noLegend: true }) : null,
        ]);
      })) : null,
    ];
  }

  function renderRegression(r) {
    const pred = arr(r.predicted), res = arr(r.residuals);
    // uPlot wants x ascending: sort the (prediction, residual) pairs by prediction
    const pairs = pred.map((p, i) => [p, res[i]]).filter((q) => isNum(q[0]) && isNum(q[1])).sort((a, b) => a[0] - b[0]);
    return [
      h('div', { class: 'tiles light' }, [tile('MAE', fmt(r.mae), 'mae'), tile('RMSE', fmt(r.rmse), 'rmse'), tile('R²', fmt(r.r2), 'r2')]),
      h('div', { class: 'card' }, chart('residuals', {
        kind: 'points', title: 'residuals vs prediction', x: 'prediction', y: 'residual (label − prediction)',
        series: [{ label: 'residual', color: COLORS.point }], height: 280, zeroLine: true,
      }, [pairs.map((q) => q[0]), pairs.map((q) => q[1])])),
    ];
  }

  function renderTest(ev) {
    if (!ev) return null;
    const metric = ev.metric || 'accuracy';
    const summary = (isNum(ev.samples) ? ev.samples + ' test samples' : 'test set') +
      ' · loss ' + fmt(ev.loss) + ' · ' + metric + ' ' + metricText(metric, ev.accuracy);
    return h('section', { id: 'test-view' }, [h('h2', { text: 'Test' }), h('p', { class: 'summary', id: 'test-summary', text: summary }),
      ev.classification ? renderClassification(ev.classification) : null,
      ev.regression ? renderRegression(ev.regression) : null]);
  }

  // ---------------------------------------------------------------- rendering in place

  // Each section is rebuilt only when its part of the state changed (compared as JSON); charts
  // inside a rebuilt section are reused from the registry, so they only get new data.
  const SLOTS = ['header', 'settings', 'curves', 'graph', 'components', 'test'];
  const slots = {};

  function slot(name, key, build) {
    const s = slots[name];
    if (s.key === key) return;
    s.key = key;
    s.el.textContent = '';
    append(s.el, build());
  }

  function render(st) {
    if (!st || typeof st !== 'object') throw new Error('the view state is not an object');
    const app = document.getElementById('app') || document.body.appendChild(h('div', { id: 'app' }));
    const waiting = document.getElementById('waiting');
    if (waiting) waiting.remove();
    if (!slots.header) for (const n of SLOTS) slots[n] = { key: null, el: app.appendChild(h('div', { class: 'slot slot-' + n })) };
    const p = st.progress || {};
    document.title = (st.model || 'model') + ' · ' + (st.status === 'training' ? 'epoch ' + num(p.epoch, 0) + ' / ' + num(p.epochs, 0) : st.status || '') + ' · percept';
    const json = (v) => JSON.stringify(v === undefined ? null : v);
    slot('header', json([st.model, st.backend, st.status, st.message, p, connection]), () => renderHeader(st));
    slot('settings', json(st.settings), () => renderSettings(st.settings));
    // the curve charts always get the new data; their section is built once per metric
    const boxes = renderCurves(st);
    slot('curves', json(st.metric), () => curvesSection(boxes));
    slot('graph', json(st.graph), () => renderGraph(st.graph));
    slot('components', json(st.components), () => renderComponents(st.components));
    slot('test', json(st.evaluation), () => renderTest(st.evaluation));
    flushCharts();
  }

  let resizeTimer = 0;
  window.addEventListener('resize', () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(flushCharts, 100); });

  function start() {
    const embedded = document.getElementById('percept-state');
    if (embedded) { render(JSON.parse(embedded.textContent)); return; }
    // live dashboard
    const app = document.getElementById('app');
    if (app) app.appendChild(h('p', { class: 'empty', id: 'waiting', text: 'connecting to the training…' }));
    let last = null, gotEvent = false;
    const update = (st) => {
      last = st;
      if (st.status === 'finished') setConnection('training finished');
      else if (st.status === 'failed') setConnection('training failed');
      else setConnection('live');
      render(st);
    };
    setConnection('connecting…');
    // `null` until a run starts. The stream stays open after a run ends: a test view (from
    // `evaluate()`) or another run may follow, and the server keeps the connection alive.
    const waitForRun = () => {
      const w = document.getElementById('waiting');
      if (w) w.textContent = 'waiting for training to start…';
    };
    fetch('/state', { cache: 'no-store' }).then((r) => (r.ok ? r.json() : null))
      .then((st) => { if (st && !gotEvent) update(st); else if (!st) waitForRun(); }).catch(() => {});
    const es = new EventSource('/events');
    es.onopen = () => { if (last) update(last); else setConnection('live'); };
    es.onmessage = (ev) => {
      gotEvent = true;
      const st = JSON.parse(ev.data);
      if (st) update(st);
      else waitForRun();
    };
    es.onerror = () => setConnection('reconnecting…'); // EventSource retries by itself
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
