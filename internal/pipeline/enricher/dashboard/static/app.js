"use strict";
// The dashboard's only script: it polls /api/dashboard every second and
// refreshes what changed, without reloading the page.
(function () {
  const $ = (id) => document.getElementById(id);
  const seen = { batch: -1, sales: -1, failingSince: null };

  function utc(s) {
    if (!s) return "none";
    return s.replace("T", " ").replace(/(\.\d+)?Z$/, "");
  }
  function ago(from, now) {
    const s = Math.max(0, Math.round((Date.parse(now) - Date.parse(from)) / 1000));
    if (s < 120) return s + " s";
    if (s < 7200) return Math.round(s / 60) + " min";
    return Math.round(s / 3600) + " h";
  }
  function num(v, digits) {
    return Number(v).toLocaleString("en-US", { maximumFractionDigits: digits || 0 });
  }
  function set(id, text) { $(id).textContent = text; }

  function committedAt(p) {
    return new Date(Date.parse(p.timestamp) + p.durationMs.total).toISOString();
  }

  function status(d) {
    const el = $("status");
    if (!d.broker.up) {
      el.className = "status down";
      el.textContent = "Kafka unreachable since " + utc(d.broker.downSince) + " UTC (" + ago(d.broker.downSince, d.now) + ")";
      el.title = d.broker.error || "";
      return;
    }
    el.className = "status up";
    el.title = "";
    el.textContent = d.last
      ? "Kafka up · batch " + d.last.batchId + " committed " + ago(committedAt(d.last), d.now) + " ago"
      : "Kafka up · waiting for the first batch";
  }

  function kpis(d) {
    const p = d.last;
    set("kpi-batch", p ? String(p.batchId) : "–");
    set("kpi-input", p ? num(p.inputRowsPerSecond, 1) : "–");
    set("kpi-processed", p ? num(p.processedRowsPerSecond, 1) : "–");
    set("kpi-duration", p ? num(p.durationMs.total) + " ms" : "–");
    set("kpi-watermark", p ? utc(p.eventTime.watermark) : "–");
    set("kpi-max", p ? utc(p.eventTime.max) : "–");
    set("kpi-state", p ? num(p.stateOperators.numRowsTotal) : "–");
    set("kpi-late", num(d.lateEvents));
    set("kpi-dead", num(d.deadLetters));
    set("kpi-lag", num(d.lag));
  }

  function refreshCharts(d, names, version) {
    for (const name of names) {
      const img = $("chart-" + name);
      if (img) img.src = "/charts/" + name + ".svg?v=" + version;
    }
  }

  function salesTable(s) {
    const table = $("sales-table");
    const thead = table.tHead, tbody = table.tBodies[0];
    thead.replaceChildren();
    tbody.replaceChildren();
    const head = thead.insertRow();
    const corner = document.createElement("th");
    corner.textContent = "region";
    head.appendChild(corner);
    const windows = s.windows || [];
    for (const w of windows) {
      const th = document.createElement("th");
      const start = utc(w);
      const day = document.createElement("small");
      day.textContent = start.slice(0, 10);
      th.append(day, start.slice(11, 16));
      th.title = "window starting " + start + " UTC";
      head.appendChild(th);
    }
    const cells = new Map();
    for (const r of s.rows || []) cells.set(r.region + "\u0000" + r.window_start, r);
    for (const region of s.regions || []) {
      const tr = tbody.insertRow();
      const th = document.createElement("td");
      th.textContent = region;
      tr.appendChild(th);
      for (const w of windows) {
        const td = tr.insertCell();
        const r = cells.get(region + "\u0000" + w);
        td.dataset.region = region;
        td.dataset.start = w;
        if (r) {
          td.textContent = r.sales;
          td.dataset.sales = r.sales;
          td.title = r.orders + " orders, " + utc(r.window_start) + " to " + utc(r.window_end) + " UTC";
        } else {
          td.textContent = "–";
          td.className = "empty";
        }
      }
    }
    table.dataset.version = String(s.version);
    const note = $("sales-note");
    if (!s.loaded) note.textContent = "reading the summary topic…";
    else if (s.error) note.textContent = "last error reading the summary topic (" + utc(s.errorAt) + " UTC): " + s.error;
    else note.textContent = "";
  }

  function render(d) {
    status(d);
    kpis(d);
    const batch = d.last ? d.last.batchId : 0;
    if (batch !== seen.batch) {
      seen.batch = batch;
      refreshCharts(d, d.charts.filter((c) => c !== "sales"), batch);
    }
    if (d.sales.version !== seen.sales) {
      seen.sales = d.sales.version;
      salesTable(d.sales);
      refreshCharts(d, ["sales"], d.sales.version);
    }
  }

  async function poll() {
    try {
      const resp = await fetch("/api/dashboard", { cache: "no-store" });
      if (!resp.ok) throw new Error("HTTP " + resp.status);
      render(await resp.json());
      seen.failingSince = null;
    } catch (e) {
      if (!seen.failingSince) seen.failingSince = new Date().toISOString();
      const el = $("status");
      el.className = "status down";
      el.textContent = "enricher unreachable since " + utc(seen.failingSince) + " UTC: " + e.message;
    } finally {
      setTimeout(poll, 1000);
    }
  }
  poll();
})();
