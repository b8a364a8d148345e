// SVG charts for the status page: stacked bars and lines over the window's minutes, with axes, gridlines and an
// optional objective (SLO) line. Everything is built with DOM calls and textContent, never from HTML strings.
"use strict";
(function () {
  const NS = "http://www.w3.org/2000/svg";
  const W = 560, H = 232, L = 56, R = 16, T = 16, B = 42;
  const plotW = W - L - R, plotH = H - T - B;

  function el(name, attrs, parent) {
    const e = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    if (parent) parent.appendChild(e);
    return e;
  }

  function text(parent, x, y, content, attrs) {
    const t = el("text", Object.assign({ x: x, y: y }, attrs), parent);
    t.textContent = content;
    return t;
  }

  // A round axis maximum and step covering max with about four gridlines; whole steps for counts.
  function scale(max, whole) {
    if (!(max > 0)) return { max: whole ? 4 : 1, step: whole ? 1 : 0.25 };
    const raw = max / 4;
    const pow = Math.pow(10, Math.floor(Math.log10(raw)));
    let step = [1, 2, 2.5, 5, 10].map(m => m * pow).find(s => s >= raw);
    if (whole) step = Math.max(1, Math.ceil(step));
    return { max: Math.ceil(max / step - 1e-9) * step, step: step };
  }

  function label(v) {
    return Math.abs(v) >= 1000 ? v.toLocaleString("en-US") : String(Math.round(v * 100) / 100);
  }

  function hhmm(iso) {
    return iso.substring(11, 16);
  }

  // Frame, gridlines, axes and their titles; returns the SVG and the y mapping.
  function frame(container, opts, yScale) {
    container.replaceChildren();
    const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": opts.title, "data-chart": opts.id }, container);
    const y = v => T + plotH - (Math.min(v, yScale.max) / yScale.max) * plotH;
    for (let v = 0; v <= yScale.max + 1e-9; v += yScale.step) {
      el("line", { class: "grid-line", x1: L, x2: W - R, y1: y(v), y2: y(v) }, svg);
      text(svg, L - 6, y(v) + 4, label(v), { "text-anchor": "end" });
    }
    const band = plotW / opts.minutes.length;
    opts.minutes.forEach((m, i) => {
      if (Number(m.substring(14, 16)) % 10 !== 0) return;
      const x = L + band * (i + 0.5);
      el("line", { class: "axis-line", x1: x, x2: x, y1: T + plotH, y2: T + plotH + 4 }, svg);
      text(svg, x, T + plotH + 16, hhmm(m), { "text-anchor": "middle" });
    });
    el("line", { class: "axis-line", x1: L, x2: W - R, y1: T + plotH, y2: T + plotH }, svg);
    el("line", { class: "axis-line", x1: L, x2: L, y1: T, y2: T + plotH }, svg);
    text(svg, L + plotW / 2, H - 4, "time (UTC), one column per minute", { class: "axis-title", "text-anchor": "middle" });
    text(svg, 0, 0, opts.yTitle, { class: "axis-title", "text-anchor": "middle", transform: `translate(14 ${T + plotH / 2}) rotate(-90)` });
    return { svg: svg, y: y, band: band };
  }

  function objective(f, slo) {
    if (!slo) return;
    const line = el("line", { class: "slo", x1: L, x2: W - R, y1: f.y(slo.value), y2: f.y(slo.value), "data-value": slo.value }, f.svg);
    line.setAttribute("data-role", "slo");
    text(f.svg, W - R - 4, f.y(slo.value) - 5, slo.label, { class: "slo-label", "text-anchor": "end" });
  }

  function emptyNote(f, empty, note) {
    if (empty) text(f.svg, L + plotW / 2, T + plotH / 2, note, { class: "empty-note", "text-anchor": "middle" });
  }

  // Stacked bars: one column per minute, one segment per series.
  function bars(container, opts) {
    const totals = opts.minutes.map((_, i) => opts.series.reduce((s, x) => s + x.values[i], 0));
    const f = frame(container, opts, scale(Math.max(0, ...totals), true));
    f.svg.setAttribute("data-total", totals.reduce((a, b) => a + b, 0));
    const width = Math.max(1, f.band * 0.72);
    opts.minutes.forEach((m, i) => {
      let base = 0;
      opts.series.forEach(s => {
        const v = s.values[i];
        if (v <= 0) return;
        const top = f.y(base + v), bottom = f.y(base);
        const r = el("rect", { class: "bar " + s.cls, fill: "currentColor", x: L + f.band * i + (f.band - width) / 2, y: top, width: width, height: Math.max(1, bottom - top) }, f.svg);
        r.setAttribute("data-series", s.name);
        r.setAttribute("data-minute", m);
        r.setAttribute("data-value", v);
        el("title", {}, r).textContent = `${s.name} ${hhmm(m)}: ${v.toLocaleString("en-US")}`;
        base += v;
      });
    });
    emptyNote(f, totals.every(t => t === 0), opts.empty);
    return f.svg;
  }

  // Lines with a marker per minute that has a value; a minute without one breaks the line.
  function lines(container, opts) {
    const values = opts.series.flatMap(s => s.values.filter(v => v !== null));
    const top = Math.max(0, ...values, opts.slo ? opts.slo.value * 1.25 : 0);
    const f = frame(container, opts, scale(top, false));
    objective(f, opts.slo);
    opts.series.forEach(s => {
      let d = "";
      s.values.forEach((v, i) => {
        if (v === null) { d += " "; return; }
        const x = L + f.band * (i + 0.5);
        d += (i === 0 || s.values[i - 1] === null ? "M" : "L") + x.toFixed(1) + " " + f.y(v).toFixed(1);
      });
      const path = el("path", { class: "series " + s.cls, d: d.trim() || "M0 0", fill: "none", stroke: "currentColor", "stroke-width": 2 }, f.svg);
      path.setAttribute("data-series", s.name);
      s.values.forEach((v, i) => {
        if (v === null) return;
        const c = el("circle", { class: s.cls, fill: "currentColor", cx: L + f.band * (i + 0.5), cy: f.y(v), r: 3 }, f.svg);
        c.setAttribute("data-series", s.name);
        c.setAttribute("data-minute", opts.minutes[i]);
        c.setAttribute("data-value", v);
        el("title", {}, c).textContent = `${s.name} ${hhmm(opts.minutes[i])}: ${label(v)}${opts.unit}`;
      });
    });
    emptyNote(f, values.length === 0, opts.empty);
    return f.svg;
  }

  window.TarmacChart = { bars: bars, lines: lines };
})();
