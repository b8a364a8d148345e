// The status page: polls /status/summary every few seconds and draws tiles, charts and tables from it.
"use strict";
(function () {
  const SUMMARY = "/status/summary";
  const REFRESH_MS = 5000;
  const $ = id => document.getElementById(id);

  const fmt = n => Number(n).toLocaleString("en-US");
  const pct = share => {
    const v = share * 100;
    return (v === 100 || v === 0 ? String(v) : v >= 99 ? v.toFixed(3).replace(/0+$/, "") : v.toFixed(2).replace(/\.?0+$/, "")) + "%";
  };
  const time = iso => iso ? iso.substring(11, 19) : "–";
  const age = seconds => {
    if (seconds === null) return "never";
    if (seconds < 90) return Math.round(seconds) + " s";
    if (seconds < 5400) return Math.round(seconds / 60) + " min";
    const h = Math.floor(seconds / 3600);
    return h < 48 ? `${h} h ${Math.round((seconds - h * 3600) / 60)} min` : Math.floor(h / 24) + " days";
  };

  function node(tag, attrs, content) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    if (content instanceof Node) e.appendChild(content);
    else if (content !== undefined && content !== null) e.textContent = String(content);
    return e;
  }

  function row(tbody, attrs, cells) {
    const tr = node("tr", attrs);
    cells.forEach(c => tr.appendChild(c instanceof Node && c.tagName === "TD" ? c : node("td", {}, c)));
    tbody.appendChild(tr);
    return tr;
  }

  function legend(id, items) {
    const ul = $(id);
    ul.replaceChildren(...items.map(i => node("li", { class: i.cls + (i.dashed ? " dashed" : "") }, node("span", {}, i.name))));
  }

  function tile(metric, value, shown, state) {
    const t = document.querySelector(`.tile[data-metric="${metric}"]`);
    t.setAttribute("data-value", value === null ? "" : value);
    t.setAttribute("data-state", state || "");
    t.querySelector(".value").textContent = shown;
  }

  function tiles(s) {
    const sum = (k) => s.datasets.reduce((a, d) => a + d[k], 0);
    tile("uploads", sum("uploads"), fmt(sum("uploads")));
    tile("rows", sum("rows_loaded"), fmt(sum("rows_loaded")));
    $("rows-note").textContent = `last hour · ${fmt(sum("rows_rejected"))} rejected`;
    const p95 = s.posts.p95_ms;
    tile("p95", p95, p95 === null ? "–" : `${p95} ms`, p95 === null ? "" : p95 < 300 ? "ok" : "breached");
    const rate = s.posts.total ? s.posts.server_errors / s.posts.total : null;
    tile("post-5xx", rate, rate === null ? "–" : pct(rate), rate === null ? "" : rate < 0.01 ? "ok" : "breached");
    const avail = s.objectives.find(o => o.id === "availability");
    tile("availability", avail.good, avail.good === null ? "–" : pct(avail.good), avail.good === null ? "" : avail.met ? "ok" : "breached");
  }

  function charts(s) {
    const ds = s.datasets.map((d, i) => ({ d: d, cls: "c" + (i % 6) }));
    legend("legend-uploads", ds.map(x => ({ name: x.d.name, cls: x.cls })));
    legend("legend-rows", ds.map(x => ({ name: x.d.name, cls: x.cls })));
    TarmacChart.bars($("chart-uploads"), {
      id: "uploads", title: "Uploads per minute by dataset", minutes: s.minutes, yTitle: "uploads / min", empty: "No uploads in the last hour",
      series: ds.map(x => ({ name: x.d.name, cls: x.cls, values: x.d.uploads_per_minute })),
    });
    TarmacChart.bars($("chart-rows"), {
      id: "rows", title: "Rows loaded per minute by dataset", minutes: s.minutes, yTitle: "rows / min", empty: "No rows loaded in the last hour",
      series: ds.map(x => ({ name: x.d.name, cls: x.cls, values: x.d.rows_loaded_per_minute })),
    });
    legend("legend-latency", [{ name: "p50", cls: "c0" }, { name: "p95", cls: "c1" }, { name: "objective p95 < 300 ms", cls: "cslo", dashed: true }]);
    TarmacChart.lines($("chart-latency"), {
      id: "latency", title: "POST latency p50 and p95 per minute", minutes: s.minutes, yTitle: "milliseconds", unit: " ms", empty: "No POSTs in the last hour",
      slo: { value: 300, label: "SLO 300 ms" },
      series: [{ name: "p50", cls: "c0", values: s.posts.p50_ms_per_minute }, { name: "p95", cls: "c1", values: s.posts.p95_ms_per_minute }],
    });
    const share = (bad, all) => bad.map((b, i) => all[i] ? Math.round(b / all[i] * 10000) / 100 : null);
    legend("legend-errors", [{ name: "POSTs", cls: "c4" }, { name: "all requests", cls: "c5" }, { name: "objective < 1%", cls: "cslo", dashed: true }]);
    TarmacChart.lines($("chart-errors"), {
      id: "errors", title: "Share of requests answered 5xx per minute", minutes: s.minutes, yTitle: "% answered 5xx", unit: "%", empty: "No requests in the last hour",
      slo: { value: 1, label: "SLO 1%" },
      series: [
        { name: "POST 5xx %", cls: "c4", values: share(s.posts.server_errors_per_minute, s.posts.total_per_minute) },
        { name: "all 5xx %", cls: "c5", values: share(s.requests.server_errors_per_minute, s.requests.total_per_minute) },
      ],
    });
  }

  function objectives(s) {
    const tbody = $("objectives").tBodies[0];
    tbody.replaceChildren();
    s.objectives.forEach(o => {
      const burn = node("td");
      const box = node("div", { class: "burn" });
      const track = node("div", { class: "track" });
      // Under 1x the budget lasts the period; at the alert's rate it is gone in days.
      const fill = node("div", { class: "fill" + (o.burn_rate >= o.burn_rate_alert ? " hot" : o.burn_rate > 1 ? " warm" : "") });
      fill.style.width = Math.min(100, o.burn_rate / o.burn_rate_alert * 100) + "%";
      track.appendChild(fill);
      box.append(track, node("span", {}, `${o.burn_rate}×`));
      burn.appendChild(box);
      row(tbody, { "data-objective": o.id, "data-burn-rate": o.burn_rate, "data-met": o.met }, [
        o.title, node("td", { class: "num" }, o.good === null ? "–" : pct(o.good)), node("td", { class: "num" }, `${fmt(o.bad)} / ${fmt(o.total)}`),
        burn, node("td", {}, node("span", { class: "badge " + (o.met ? "met" : "breached") }, o.met ? "met" : "breached")),
      ]);
    });
    const breached = s.objectives.filter(o => !o.met).length;
    const pill = $("overall");
    pill.setAttribute("data-state", breached ? "breached" : "ok");
    pill.textContent = breached ? `${breached} objective${breached > 1 ? "s" : ""} breached` : "All objectives met";
  }

  function datasets(s) {
    const tbody = $("datasets").tBodies[0];
    tbody.replaceChildren();
    s.datasets.forEach(d => row(tbody, { "data-dataset": d.name, "data-seconds-since-last-load": d.seconds_since_last_load ?? "" }, [
      node("td", {}, node("code", {}, d.name)), d.last_loaded_at ? d.last_loaded_at.substring(0, 19).replace("T", " ") : "never",
      node("td", { class: "num" }, age(d.seconds_since_last_load)), node("td", { class: "num" }, fmt(d.uploads)),
      node("td", { class: "num" }, fmt(d.rows_loaded)), node("td", { class: "num" }, fmt(d.rows_rejected)),
    ]));
  }

  function uploads(s) {
    const tbody = $("uploads").tBodies[0];
    tbody.replaceChildren();
    $("uploads-empty").hidden = s.recent_uploads.length > 0;
    s.recent_uploads.forEach(u => {
      const errors = node("td");
      if (u.error_count > 0) {
        errors.appendChild(node("a", { href: u.status_url }, `${fmt(u.error_count)} row error${u.error_count > 1 ? "s" : ""}`));
        errors.appendChild(node("div", { class: "error-text" }, u.first_error));
      } else if (u.status === "failed") {
        errors.appendChild(node("a", { href: u.status_url }, "internal error, see status"));
      } else errors.textContent = "–";
      row(tbody, { "data-upload-id": u.upload_id, "data-status": u.status, "data-rows-loaded": u.rows_loaded, "data-rows-rejected": u.rows_rejected }, [
        time(u.received_at), node("td", {}, node("a", { href: u.status_url, title: u.upload_id }, node("code", {}, u.upload_id.substring(0, 12) + "…"))),
        u.dataset, node("td", {}, node("span", { class: "badge " + u.status }, u.status.replace("_", " "))),
        node("td", { class: "num" }, fmt(u.rows_loaded)), node("td", { class: "num" }, fmt(u.rows_rejected)), errors,
      ]);
    });
  }

  function render(s) {
    $("problem").hidden = true;
    $("subtitle").textContent = `Last 60 minutes on this host · updated ${time(s.generated_at)} UTC · refreshed every ${REFRESH_MS / 1000} s`;
    tiles(s);
    charts(s);
    objectives(s);
    datasets(s);
    uploads(s);
    document.body.setAttribute("data-rendered", s.generated_at);
  }

  async function poll() {
    try {
      const response = await fetch(SUMMARY, { cache: "no-store", headers: { Accept: "application/json" } });
      if (!response.ok) {
        const problem = await response.json().catch(() => ({}));
        throw new Error(`${response.status} ${problem.title || response.statusText}${problem.detail ? ": " + problem.detail : ""}`);
      }
      render(await response.json());
    } catch (e) {
      const banner = $("problem");
      banner.textContent = `Could not refresh from ${SUMMARY}: ${e.message}`;
      banner.hidden = false;
      $("overall").setAttribute("data-state", "error");
      $("overall").textContent = "No data";
    } finally {
      setTimeout(poll, REFRESH_MS);
    }
  }

  poll();
})();
