// The Sluice web console: plain JavaScript over the public API (docs/openapi.yaml), nothing else.
// Rules this file keeps (ConsoleAssetsTest checks the first two):
// - every string from the API becomes DOM text (textContent, the el() helper); the file never assigns innerHTML or
//   outerHTML, never calls insertAdjacentHTML, document.write or eval;
// - the API key lives in this tab's sessionStorage only: never in a URL (the routes are #/… fragments without it),
//   never logged, never sent anywhere but this origin's /v1/ in the Authorization header;
// - a link from the API (result files) is followed only when it is http(s).
"use strict";

(function () {
  const STORE = "sluice.console";
  const TERMINAL_JOB = ["Finished", "Cancelled", "TimedOut", "Failed"];
  const TERMINAL_EXECUTION = ["Finished", "Failed", "Cancelled", "TimedOut"];
  const POLL_MS = 1000;
  let timers = [];
  let generation = 0; // a page load bumps it; answers for an older page are dropped

  // ---------- DOM ----------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (k === "class") node.className = v;
      else if (k === "text") node.textContent = String(v);
      else if (k in node && typeof v !== "string") node[k] = v;
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat()) {
      if (c === undefined || c === null || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }
  const main = () => document.getElementById("main");
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function show(...nodes) { const m = main(); clear(m); m.append(...nodes); }
  function alertText(text) { document.getElementById("alert").textContent = text || ""; }
  function time(ms) { return ms ? new Date(ms).toISOString().replace("T", " ").slice(0, 19) + " UTC" : "—"; }
  function num(n) { return n === undefined || n === null ? "—" : Number(n).toLocaleString("en-US"); }
  function status(text) { return el("span", { class: "status status-" + String(text).replace(/[^A-Za-z]/g, ""), text }); }
  function safeHref(url) {
    try { const u = new URL(url, location.href); return u.protocol === "https:" || u.protocol === "http:" ? u.href : null; }
    catch (e) { return null; }
  }
  function table(headers, rows, empty) {
    if (!rows.length) return el("p", { class: "muted", text: empty || "None yet." });
    return el("table", {},
      el("thead", {}, el("tr", {}, headers.map(h => el("th", { scope: "col", class: h.num ? "num" : null, text: h.label || h })))),
      el("tbody", {}, rows.map(r => el("tr", {}, r.map((c, i) => el("td", { class: headers[i].num ? "num" : null }, c))))));
  }
  function field(label, input) { return el("div", { class: "field" }, el("label", { for: input.id, text: label }), input); }
  function every(ms, fn) { const g = generation; const t = setInterval(() => { if (g === generation) fn(); }, ms); timers.push(t); }

  // ---------- session and API ----------
  function session() {
    try { return JSON.parse(sessionStorage.getItem(STORE) || "null"); } catch (e) { return null; }
  }
  class ApiError extends Error {
    constructor(status, code, message, requestId) { super(message); this.status = status; this.code = code; this.requestId = requestId; }
  }
  async function api(method, path, body, s) {
    s = s || session();
    const headers = { "Authorization": "Bearer " + s.key };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const res = await fetch("/v1/projects/" + encodeURIComponent(s.project) + path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer",
    });
    const text = await res.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch (e) { /* not JSON */ }
    if (!res.ok) {
      const e = (json && json.error) || {};
      const stored = session();
      if (res.status === 401 && stored && stored.key === s.key && stored.project === s.project) { signOut("Your API key was refused (401): sign in again."); }
      throw new ApiError(res.status, e.code || "http." + res.status, e.message || res.statusText, e.requestId || res.headers.get("Sluice-Request-Id"));
    }
    return json;
  }
  function report(e) {
    if (e instanceof ApiError) alertText(e.code + ": " + e.message + (e.requestId ? " (request " + e.requestId + ")" : ""));
    else alertText(String(e && e.message || e));
  }
  async function all(path) { // a listing's every page, for the select boxes of the forms
    let out = [], page = null;
    do {
      const r = await api("GET", path + "?limit=1000" + (page ? "&page=" + encodeURIComponent(page) : ""));
      out = out.concat(r.data); page = r.nextPage;
    } while (page && out.length < 5000);
    return out;
  }
  async function action(fn) { alertText(""); try { return await fn(); } catch (e) { report(e); return undefined; } }

  function signOut(message) {
    sessionStorage.removeItem(STORE);
    location.hash = "#/signin";
    route();
    if (message) alertText(message);
  }

  // ---------- pages ----------
  function signInPage() {
    const project = el("input", { id: "project", name: "project", required: true, autocomplete: "off", placeholder: "proj_…", spellcheck: "false" });
    const key = el("input", { id: "apikey", name: "apikey", type: "password", required: true, autocomplete: "off", placeholder: "sk_…" });
    const form = el("form", { class: "card", onsubmit: async (ev) => {
      ev.preventDefault();
      const s = { project: project.value.trim(), key: key.value.trim() };
      alertText("");
      try {
        await api("GET", "/batch/jobs?limit=1", undefined, s);
        sessionStorage.setItem(STORE, JSON.stringify(s));
        location.hash = "#/jobs";
      } catch (e) { report(e); }
    } },
      el("div", { class: "row" }, field("Project id", project), field("API key", key),
        el("button", { class: "primary", type: "submit", text: "Sign in" })),
      el("p", { class: "muted", text: "The key stays in this browser tab (session storage) and is sent only to this site's /v1/ API. `sluice local` prints both when it starts." }));
    show(el("h1", { text: "Sign in" }), form);
    project.focus();
  }

  function jobProgress(job) {
    const c = (job.status && job.status.items) || {};
    const done = (c.delivered || 0) + (c.failedGather || 0) + (c.failedProcess || 0) + (c.failedPredict || 0) + (c.failedDeliver || 0) + (c.skipped || 0);
    const total = job.status.itemCount || 0;
    const pct = total ? Math.floor(100 * done / total) : (TERMINAL_JOB.includes(job.status.overview) ? 100 : 0);
    return { done, total, pct,
      node: el("span", {}, el("progress", { max: total || 1, value: total ? done : (pct ? 1 : 0), "aria-label": "items done" }),
        " ", el("span", { class: "pct", text: num(done) + " / " + num(total) + " (" + pct + "%)" })) };
  }
  function failedCount(c) { return (c.failedGather || 0) + (c.failedProcess || 0) + (c.failedPredict || 0) + (c.failedDeliver || 0); }

  async function jobsPage() {
    const statusFilter = el("select", { id: "f-status" }, el("option", { value: "", text: "Any status" }),
      ["Waiting", "Running", "Finished", "Cancelled", "TimedOut", "Failed"].map(s => el("option", { value: s, text: s })));
    const nameFilter = el("input", { id: "f-name", type: "search", placeholder: "part of a name" });
    const list = el("div", { id: "jobs" });
    const pager = el("div", { class: "pager" });
    let pages = [null], index = 0, jobs = [];

    function render() {
      const want = statusFilter.value, q = nameFilter.value.trim().toLowerCase();
      const shown = jobs.filter(j => (!want || j.status.overview === want) && (!q || j.name.toLowerCase().includes(q)));
      clear(list);
      list.append(table(["Name", "Status", "Progress", { label: "Predicted", num: true }, { label: "Failed", num: true }, "Created", "Updated"],
        shown.map(j => {
          const c = j.status.items || {};
          return [el("a", { href: "#/jobs/" + encodeURIComponent(j.id), text: j.name }), status(j.status.overview), jobProgress(j).node,
            num(c.predicted || 0), num(failedCount(c)), time(j.createTime), time(j.updateTime)];
        }), jobs.length ? "No job matches the filters." : "No jobs yet: start one above."));
    }
    async function load() {
      const r = await api("GET", "/batch/jobs?limit=50" + (pages[index] ? "&page=" + encodeURIComponent(pages[index]) : ""));
      jobs = r.data; pages[index + 1] = r.nextPage || undefined;
      clear(pager);
      pager.append(el("button", { type: "button", disabled: index === 0, onclick: () => { index--; action(load); }, text: "Previous page" }),
        el("button", { type: "button", disabled: !r.nextPage, onclick: () => { index++; action(load); }, text: "Next page" }));
      render();
    }
    statusFilter.addEventListener("change", render);
    nameFilter.addEventListener("input", render);

    show(el("h1", { text: "Jobs" }), await newJobForm(),
      el("h2", { text: "All jobs" }),
      el("div", { class: "row filters" }, field("Status", statusFilter), field("Name contains", nameFilter)),
      list, pager);
    await action(load);
    every(2 * POLL_MS, () => action(load));
  }

  async function newJobForm() {
    const [datasets, models, deployments, webhooks] = await Promise.all([all("/batch/datasets"), all("/models"), all("/deployments"), all("/batch/webhooks")]);
    const name = el("input", { id: "job-name", required: true, maxlength: 200 });
    const dataset = el("select", { id: "job-dataset", required: true },
      datasets.filter(d => d.status.overview === "Ready").map(d => el("option", { value: d.id, text: d.name + " (" + num(d.status.itemCount) + " items)" })));
    const runner = el("select", { id: "job-model", required: true },
      models.filter(m => m.status.overview === "Ready" && m.task !== "Tabular").map(m => el("option", { value: "model:" + m.id, text: "Model " + m.name + " (" + m.task + ")" })),
      deployments.map(d => el("option", { value: "deployment:" + d.id, text: "Deployment " + d.name + " (" + d.target + ")" })));
    const batch = el("input", { id: "job-batch", type: "number", min: 1, max: 256, value: "32" });
    const webhook = el("select", { id: "job-webhook" }, el("option", { value: "", text: "None (results in the data bucket)" }),
      webhooks.map(w => el("option", { value: w.id, text: w.name })));
    return el("form", { class: "card", "aria-label": "Start a job", onsubmit: async (ev) => {
      ev.preventDefault();
      const [kind, id] = runner.value.split(/:(.*)/s);
      const spec = { datasetId: dataset.value, deployment: kind === "model" ? { modelId: id } : { deploymentId: id }, batchSize: Number(batch.value) };
      if (webhook.value) spec.resultDelivery = { destinations: [{ kind: "Webhook", webhookId: webhook.value }] };
      const job = await action(() => api("POST", "/batch/jobs", { name: name.value, spec }));
      if (job) location.hash = "#/jobs/" + encodeURIComponent(job.id);
    } },
      el("h2", { text: "Start a job" }),
      el("div", { class: "row" }, field("Name", name), field("Dataset (Ready)", dataset), field("Model or deployment", runner),
        field("Batch size", batch), field("Webhook", webhook), el("button", { class: "primary", type: "submit", text: "Start job" })));
  }

  async function jobPage(id) {
    const path = "/batch/jobs/" + encodeURIComponent(id);
    const head = el("div"), funnel = el("div"), results = el("div"), logs = el("div", { id: "logs" });
    const level = el("select", { id: "log-level" }, el("option", { value: "", text: "All levels" }), el("option", { value: "Error", text: "Errors only" }));
    const logPager = el("div", { class: "pager" });
    let cursors = [null], at = 0, resultsShown = false, resultTries = 0, job = null;
    const RESULT_TRIES = 30; // polls (one a POLL_MS) that ask again for the result files of an ended job

    function renderJob() {
      const p = jobProgress(job), c = job.status.items || {}, pr = job.status.progress || {};
      const running = !TERMINAL_JOB.includes(job.status.overview);
      clear(head);
      head.append(el("h1", {}, "Job ", el("span", { id: "job-title", text: job.name })),
        el("dl", { class: "facts" },
          el("dt", { text: "Status" }), el("dd", { id: "job-status" }, status(job.status.overview), job.status.message && job.status.message !== job.status.overview ? " " + job.status.message : "", job.status.reason ? " (" + job.status.reason + ")" : ""),
          el("dt", { text: "Progress" }), el("dd", { id: "job-progress" }, p.node),
          el("dt", { text: "ETA" }), el("dd", { id: "job-eta", text: running && pr.estimatedCompletionTime ? time(pr.estimatedCompletionTime) : "—" }),
          el("dt", { text: "Rate" }), el("dd", { text: pr.itemsPerSecond !== undefined ? pr.itemsPerSecond.toFixed(1) + " items/s, " + num(pr.batchesDone) + " batches done, " + num(pr.batchesQueued) + " queued" : "—" }),
          el("dt", { text: "Id" }), el("dd", { class: "mono", text: job.id }),
          el("dt", { text: "Dataset" }), el("dd", { class: "mono", text: job.spec.datasetId || "—" }),
          el("dt", { text: "Created" }), el("dd", { text: time(job.createTime) }),
          el("dt", { text: "Updated" }), el("dd", { text: time(job.updateTime) }),
          job.spec.retryOf ? [el("dt", { text: "Retry of" }), el("dd", {}, el("a", { href: "#/jobs/" + encodeURIComponent(job.spec.retryOf), text: job.spec.retryOf }))] : null),
        el("div", { class: "actions" },
          el("button", { type: "button", class: "danger", id: "cancel", disabled: !running, onclick: cancel, text: "Cancel job" }),
          el("button", { type: "button", id: "retry", disabled: running, onclick: retry, text: "Retry failed items" })));
      clear(funnel);
      const total = job.status.itemCount || 0;
      const stages = [["Gathered", c.gathered, c.failedGather], ["Preprocessed", c.preprocessed, c.failedProcess],
        ["Predicted", c.predicted, c.failedPredict], ["Delivered", c.delivered, c.failedDeliver]];
      funnel.append(el("h2", { text: "Stages" }), el("table", { class: "funnel", id: "funnel" },
        el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Stage" }), el("th", { scope: "col", text: "Of " + num(total) + " items" }),
          el("th", { scope: "col", class: "num", text: "Passed" }), el("th", { scope: "col", class: "num", text: "Failed" }))),
        el("tbody", {}, stages.map(([label, ok, bad]) => el("tr", { "data-stage": label },
          el("th", { scope: "row", text: label }), el("td", {}, el("progress", { max: total || 1, value: ok || 0, "aria-label": label })),
          el("td", { class: "num passed", text: num(ok || 0) }), el("td", { class: "num failed", text: num(bad || 0) }))),
        el("tr", { "data-stage": "Skipped" }, el("th", { scope: "row", text: "Skipped" }), el("td"), el("td", { class: "num", text: num(c.skipped || 0) }), el("td")))));
    }
    async function refresh() {
      job = await api("GET", path);
      renderJob();
      // the result files are read once the job ended; a refusal (e.g. the manifest not written yet) is asked again on
      // the next polls, at most RESULT_TRIES times
      if (TERMINAL_JOB.includes(job.status.overview) && !resultsShown) { resultsShown = (await showResults()) || ++resultTries >= RESULT_TRIES; await loadLogs(); }
    }
    async function showResults() {
      clear(results);
      results.append(el("h2", { text: "Result files" }));
      try {
        const r = await api("GET", path + "/results");
        const links = [["Manifest", r.manifest], ...r.parts.map((p, i) => ["Part " + (i + 1), p]), ["Errors", r.errors]];
        results.append(el("ul", { id: "results" }, links.map(([label, link]) => {
          const href = safeHref(link.url);
          return el("li", {}, href ? el("a", { href, rel: "noopener noreferrer", target: "_blank", text: label }) : label, " ", el("span", { class: "mono muted", text: link.key }));
        })), el("p", { class: "muted", text: "Links expire at " + time(r.expiresAtTime) + "." }));
        return true;
      } catch (e) {
        results.append(el("p", { class: "muted", text: e.code ? e.code + ": " + e.message : String(e) }));
        return false;
      }
    }
    async function loadLogs() {
      const q = "?limit=50" + (level.value ? "&minLevel=" + level.value : "") + (cursors[at] ? "&page=" + encodeURIComponent(cursors[at]) : "");
      const r = await api("GET", path + "/logs" + q);
      cursors[at + 1] = r.nextPage || undefined;
      clear(logs);
      logs.append(table(["Time", "Level", "Kind", { label: "Index", num: true }, "Item", "Reason", { label: "ms", num: true }],
        r.data.map(e => [time(e.createTime), status(e.level), e.kind, num(e.index), el("span", { class: "mono", text: e.item || "" }), e.reason || "", e.timeMs !== undefined ? e.timeMs.toFixed(0) : ""]),
        "No log entries" + (level.value ? " at this level" : "") + "."));
      clear(logPager);
      logPager.append(el("button", { type: "button", disabled: at === 0, onclick: () => { at--; action(loadLogs); }, text: "Newer… previous page" }),
        el("span", { class: "muted", text: "Page " + (at + 1) }),
        el("button", { type: "button", id: "logs-next", disabled: !r.nextPage, onclick: () => { at++; action(loadLogs); }, text: "Next page" }));
    }
    async function cancel() {
      if (!confirm("Cancel job " + job.name + "? Items not done yet will not run.")) return;
      await action(async () => { job = await api("POST", path + ":cancel"); renderJob(); });
    }
    async function retry() {
      if (!confirm("Start a new job over the items of " + job.name + " that were not delivered?")) return;
      const next = await action(() => api("POST", path + ":retry"));
      if (next) location.hash = "#/jobs/" + encodeURIComponent(next.id);
    }
    level.addEventListener("change", () => { cursors = [null]; at = 0; action(loadLogs); });

    show(head, funnel, results, el("h2", { text: "Log" }),
      el("div", { class: "row" }, field("Level", level), el("button", { type: "button", id: "logs-refresh", onclick: () => action(loadLogs), text: "Refresh log" })),
      logs, logPager);
    await action(refresh);
    if (job) { await action(loadLogs); every(POLL_MS, () => { if (!TERMINAL_JOB.includes(job.status.overview) || !resultsShown) action(async () => { await refresh(); if (at === 0) await loadLogs(); }); }); }
  }

  async function executionsPage() {
    const models = (await all("/models")).filter(m => m.task === "Tabular" && m.status.overview === "Ready");
    const model = el("select", { id: "ex-model", required: true }, models.map(m => el("option", { value: m.id, text: m.name })));
    const bucket = el("input", { id: "ex-bucket", placeholder: "empty for file:// folders (local)" });
    const source = el("input", { id: "ex-source", required: true, placeholder: "in/ or file:///…" });
    const dest = el("input", { id: "ex-dest", required: true, placeholder: "out/ or file:///…" });
    const types = ["CSV", "PARQUET", "FEATHER", "NDJSON"];
    const input = el("select", { id: "ex-in" }, types.map(t => el("option", { value: t, text: t })));
    const output = el("select", { id: "ex-out" }, types.map(t => el("option", { value: t, text: t })));
    const list = el("div", { id: "executions" });
    async function load() {
      const r = await api("GET", "/executions?limit=50");
      clear(list);
      list.append(table(["Execution", "Status", "Model", { label: "Files", num: true }, { label: "Finished", num: true }, { label: "Failed", num: true }, "Created"],
        r.data.map(x => [el("a", { href: "#/executions/" + encodeURIComponent(x.id), text: x.id }), status(x.status.overview), el("span", { class: "mono", text: x.spec.modelId }),
          num(x.status.totalFiles), num(x.status.finishedFiles), num(x.status.failedFiles), time(x.createTime)])));
    }
    const form = el("form", { class: "card", "aria-label": "Run an execution", onsubmit: async (ev) => {
      ev.preventDefault();
      const body = { model: { id: model.value }, sourceFolder: source.value, destinationFolder: dest.value, inputFileType: input.value, outputFileType: output.value };
      if (bucket.value.trim()) body.bucket = bucket.value.trim();
      const x = await action(() => api("POST", "/executions", body));
      if (x) location.hash = "#/executions/" + encodeURIComponent(x.id);
    } }, el("h2", { text: "Run an execution (a folder in, a folder out)" }),
      el("div", { class: "row" }, field("Tabular model", model), field("Bucket", bucket), field("Source folder", source), field("Destination folder", dest),
        field("Input type", input), field("Output type", output), el("button", { class: "primary", type: "submit", text: "Run" })));
    show(el("h1", { text: "Executions" }), form, el("h2", { text: "All executions" }), list);
    await action(load);
    every(2 * POLL_MS, () => action(load));
  }

  async function executionPage(id) {
    const path = "/executions/" + encodeURIComponent(id);
    const head = el("div"), files = el("div", { id: "report" }), pager = el("div", { class: "pager" });
    let cursors = [null], at = 0, x = null;
    async function load() {
      const r = await api("GET", path + "/report" + (cursors[at] ? "?page=" + encodeURIComponent(cursors[at]) : ""));
      x = r.execution; cursors[at + 1] = r.nextPage || undefined;
      const s = x.status, running = !TERMINAL_EXECUTION.includes(s.overview);
      clear(head);
      head.append(el("h1", {}, "Execution ", el("span", { class: "mono", text: x.id })),
        el("dl", { class: "facts" },
          el("dt", { text: "Status" }), el("dd", { id: "ex-status" }, status(s.overview), s.reason ? " " + s.reason : ""),
          el("dt", { text: "Files" }), el("dd", { id: "ex-files", text: num(s.finishedFiles) + " finished, " + num(s.failedFiles) + " failed, " + num(s.skippedFiles) + " skipped of " + num(s.totalFiles) }),
          el("dt", { text: "Source" }), el("dd", { class: "mono", text: (x.spec.source.bucket ? x.spec.source.bucket + ": " : "") + x.spec.source.path }),
          el("dt", { text: "Destination" }), el("dd", { class: "mono", text: (x.spec.destination.bucket ? x.spec.destination.bucket + ": " : "") + x.spec.destination.path }),
          el("dt", { text: "Started" }), el("dd", { text: time(s.startTime) }), el("dt", { text: "Ended" }), el("dd", { text: time(s.endTime) })),
        el("div", { class: "actions" }, el("button", { type: "button", class: "danger", disabled: !running, onclick: cancel, text: "Cancel execution" })));
      clear(files);
      files.append(el("h2", { text: "Files" }), table(["#", "File", "Status", { label: "Rows", num: true }, { label: "Failed rows", num: true }, { label: "ms", num: true }, "Output", "Reason"],
        r.files.map(f => [num(f.index), el("span", { class: "mono", text: f.file }), status(f.status), num(f.rows), num(f.failedRows),
          f.timeMs !== undefined ? f.timeMs.toFixed(0) : "", el("span", { class: "mono", text: f.output || "" }), f.reason || ""]), "No files listed yet."));
      clear(pager);
      pager.append(el("button", { type: "button", disabled: at === 0, onclick: () => { at--; action(load); }, text: "Previous page" }),
        el("button", { type: "button", disabled: !r.nextPage, onclick: () => { at++; action(load); }, text: "Next page" }));
    }
    async function cancel() {
      if (!confirm("Cancel this execution? Files not started will not run.")) return;
      await action(async () => { await api("POST", path + ":cancel"); await load(); });
    }
    show(head, files, pager);
    await action(load);
    every(POLL_MS, () => { if (x && !TERMINAL_EXECUTION.includes(x.status.overview)) action(load); });
  }

  async function uploadTo(resource, file) {
    const u = resource.status.source && resource.status.source.uploadUrl;
    if (!u || !safeHref(u.url)) throw new Error("no upload URL in the answer");
    const res = await fetch(u.url, { method: u.method || "PUT", headers: u.headers || {}, body: file, credentials: "omit", referrerPolicy: "no-referrer" });
    if (!res.ok) throw new Error("the upload was refused: HTTP " + res.status);
  }

  async function datasetsPage() {
    const list = el("div", { id: "datasets" });
    const name = el("input", { id: "ds-name", required: true, maxlength: 200 });
    const file = el("input", { id: "ds-file", type: "file", required: true, accept: ".ndjson,.jsonl,application/x-ndjson" });
    async function load() {
      // a dataset's upload is noticed when the dataset is read (GET starts its validation, as the SDKs do)
      const data = await Promise.all((await all("/batch/datasets")).map(d => ["Uploading", "Validating"].includes(d.status.overview)
        ? api("GET", "/batch/datasets/" + encodeURIComponent(d.id)).catch(() => d) : d));
      clear(list);
      list.append(table(["Name", "Status", { label: "Items", num: true }, { label: "Bytes", num: true }, "Id", "Created"],
        data.map(d => [d.name, el("span", {}, status(d.status.overview), d.status.reason ? " " + d.status.reason : ""), num(d.status.itemCount), num(d.status.sizeBytes), el("span", { class: "mono", text: d.id }), time(d.createTime)])));
    }
    const form = el("form", { class: "card", "aria-label": "Upload a dataset", onsubmit: async (ev) => {
      ev.preventDefault();
      await action(async () => {
        const d = await api("POST", "/batch/datasets", { name: name.value, source: { kind: "UploadedNdjson" } });
        await uploadTo(d, file.files[0]);
        form.reset();
        await load();
      });
    } }, el("h2", { text: "Upload a dataset" }),
      el("div", { class: "row" }, field("Name", name), field("NDJSON file (one {\"kind\":\"Image\",\"url\":…} per line)", file),
        el("button", { class: "primary", type: "submit", text: "Upload" })));
    show(el("h1", { text: "Datasets" }), form, el("h2", { text: "All datasets" }), list);
    await action(load);
    every(2 * POLL_MS, () => action(load));
  }

  async function modelsPage() {
    const list = el("div", { id: "models" });
    const name = el("input", { id: "m-name", required: true, maxlength: 200 });
    const task = el("select", { id: "m-task" }, ["ImageClassification", "ObjectDetection", "Tabular"].map(t => el("option", { value: t, text: t })));
    const file = el("input", { id: "m-file", type: "file", required: true, accept: ".onnx" });
    const labels = el("textarea", { id: "m-labels", rows: 3, placeholder: "one class name per line" });
    async function load() {
      const data = await Promise.all((await all("/models")).map(m => m.status.overview === "Uploading"
        ? api("GET", "/models/" + encodeURIComponent(m.id)).catch(() => m) : m));
      clear(list);
      list.append(table(["Name", "Task", "Status", { label: "Labels", num: true }, { label: "Bytes", num: true }, "Id", "Created", ""],
        data.map(m => [m.name, m.task, el("span", {}, status(m.status.overview), m.status.reason ? " " + m.status.reason : ""), num((m.labels || []).length), num(m.status.sizeBytes),
          el("span", { class: "mono", text: m.id }), time(m.createTime),
          el("button", { type: "button", class: "danger", onclick: async () => {
            if (confirm("Delete model " + m.name + "?")) await action(async () => { await api("DELETE", "/models/" + encodeURIComponent(m.id)); await load(); });
          }, text: "Delete" })])));
    }
    const form = el("form", { class: "card", "aria-label": "Upload a model", onsubmit: async (ev) => {
      ev.preventDefault();
      await action(async () => {
        const body = { name: name.value, task: task.value, source: { kind: "UploadedOnnx" } };
        const l = labels.value.split("\n").map(s => s.trim()).filter(Boolean);
        if (l.length) body.labels = l;
        const m = await api("POST", "/models", body);
        await uploadTo(m, file.files[0]);
        form.reset();
        await load();
      });
    } }, el("h2", { text: "Upload a model (ONNX)" }),
      el("div", { class: "row" }, field("Name", name), field("Task", task), field("ONNX file", file), field("Labels", labels),
        el("button", { class: "primary", type: "submit", text: "Upload" })));
    show(el("h1", { text: "Models" }), form, el("h2", { text: "All models" }), list);
    await action(load);
    every(2 * POLL_MS, () => action(load));
  }

  async function deploymentsPage() {
    const models = await all("/models");
    const list = el("div", { id: "deployments" });
    const name = el("input", { id: "d-name", required: true, maxlength: 200 });
    const model = el("select", { id: "d-model", required: true }, models.map(m => el("option", { value: m.id, text: m.name })));
    const target = el("select", { id: "d-target" }, ["Lambda", "GpuPool"].map(t => el("option", { value: t, text: t })));
    const batch = el("input", { id: "d-batch", type: "number", min: 1, max: 256, value: "32" });
    const conc = el("input", { id: "d-conc", type: "number", min: 1, max: 1000, value: "10" });
    async function load() {
      const data = await all("/deployments");
      clear(list);
      list.append(table(["Name", "Model", "Target", { label: "Batch size", num: true }, { label: "Max concurrency", num: true }, "Created", ""],
        data.map(d => [d.name, el("span", { class: "mono", text: d.modelId }), d.target, num(d.batchSize), num(d.maxConcurrency), time(d.createTime),
          el("button", { type: "button", class: "danger", onclick: async () => {
            if (confirm("Delete deployment " + d.name + "?")) await action(async () => { await api("DELETE", "/deployments/" + encodeURIComponent(d.id)); await load(); });
          }, text: "Delete" })])));
    }
    const form = el("form", { class: "card", "aria-label": "Create a deployment", onsubmit: async (ev) => {
      ev.preventDefault();
      await action(async () => {
        await api("POST", "/deployments", { name: name.value, modelId: model.value, target: target.value, batchSize: Number(batch.value), maxConcurrency: Number(conc.value) });
        form.reset(); await load();
      });
    } }, el("h2", { text: "Create a deployment" }),
      el("div", { class: "row" }, field("Name", name), field("Model", model), field("Target", target), field("Batch size", batch), field("Max concurrency", conc),
        el("button", { class: "primary", type: "submit", text: "Create" })));
    show(el("h1", { text: "Deployments" }), form, el("h2", { text: "All deployments" }), list);
    await action(load);
  }

  function shownOnce(label, secret) {
    return el("div", { class: "once", role: "status" }, el("strong", { text: label + " (shown once, copy it now): " }), el("code", { class: "secret", text: secret }));
  }

  async function webhooksPage() {
    const list = el("div", { id: "webhooks" }), note = el("div", { id: "webhook-note" });
    const name = el("input", { id: "w-name", required: true, maxlength: 200 });
    const endpoint = el("input", { id: "w-endpoint", type: "url", required: true, placeholder: "https://example.com/hook" });
    const retries = el("input", { id: "w-retries", type: "number", min: 0, max: 10, value: "3" });
    async function load() {
      const data = await all("/batch/webhooks");
      clear(list);
      list.append(table(["Name", "Endpoint", { label: "Retries", num: true }, "Created", "Actions"],
        data.map(w => [w.name, el("span", { class: "mono", text: w.spec.endpoint }), num(w.spec.retries && w.spec.retries.maxRetries), time(w.createTime),
          el("span", { class: "actions" },
            el("button", { type: "button", onclick: () => action(async () => {
              const r = await api("POST", "/batch/webhooks/" + encodeURIComponent(w.id) + ":test");
              clear(note); note.append(el("p", { role: "status" }, "Test delivery to ", w.name, ": ", status(r.status), " HTTP " + r.responseCode + ", " + r.latencyMs + " ms, " + r.attemptCount + " attempt(s)", r.reason ? " — " + r.reason : ""));
            }), text: "Send test" }),
            el("button", { type: "button", onclick: () => action(async () => {
              if (!confirm("Rotate the secret of " + w.name + "? The old one stops working now.")) return;
              const r = await api("PUT", "/batch/webhooks/" + encodeURIComponent(w.id) + "/secret");
              clear(note); note.append(shownOnce("New secret of " + w.name, r.secret));
            }), text: "Rotate secret" }),
            el("button", { type: "button", class: "danger", onclick: () => action(async () => {
              if (!confirm("Delete webhook " + w.name + "?")) return;
              await api("DELETE", "/batch/webhooks/" + encodeURIComponent(w.id)); await load();
            }), text: "Delete" }))])));
    }
    const form = el("form", { class: "card", "aria-label": "Create a webhook", onsubmit: async (ev) => {
      ev.preventDefault();
      await action(async () => {
        const w = await api("POST", "/batch/webhooks", { name: name.value, spec: { endpoint: endpoint.value, retries: { maxRetries: Number(retries.value) } } });
        clear(note); note.append(shownOnce("Secret of " + w.name, w.secret));
        form.reset(); await load();
      });
    } }, el("h2", { text: "Create a webhook" }),
      el("div", { class: "row" }, field("Name", name), field("Endpoint", endpoint), field("Max retries", retries), el("button", { class: "primary", type: "submit", text: "Create" })));
    show(el("h1", { text: "Webhooks" }), form, note, el("h2", { text: "All webhooks" }), list);
    await action(load);
  }

  async function deadLettersPage() {
    const list = el("div", { id: "dead-letters" });
    async function load() {
      const data = await all("/dead-letters");
      list.replaceChildren(table(["Id", "Job", "Queue", "Lines", "Reason", "Created", "Redrive"],
        data.map(d => [el("span", { class: "mono", text: d.id }), el("a", { href: "#/jobs/" + encodeURIComponent(d.jobId), text: d.jobId }), d.queue,
          d.lines ? d.lines.length + " line(s)" : (d.fromLine !== undefined ? "from line " + d.fromLine : "—"), d.reason, time(d.createTime),
          d.redriveJobId ? el("a", { href: "#/jobs/" + encodeURIComponent(d.redriveJobId), text: "redriven: " + d.redriveJobId })
            : el("button", { type: "button", onclick: () => action(async () => {
              if (!confirm("Redrive the lines of " + d.id + " as a new job?")) return;
              const job = await api("POST", "/dead-letters/" + encodeURIComponent(d.id) + ":redrive");
              location.hash = "#/jobs/" + encodeURIComponent(job.id);
            }), text: "Redrive" })]), "No dead letters: every message was accounted for."));
    }
    show(el("h1", { text: "Dead letters" }), el("p", { class: "muted", text: "Messages that failed on every attempt. A redrive runs their lines again as a new job." }), list);
    await action(load);
  }

  async function apiKeysPage() {
    const list = el("div", { id: "api-keys" }), note = el("div");
    const name = el("input", { id: "k-name", maxlength: 200 });
    async function load() {
      const data = await all("/api-keys");
      list.replaceChildren(table(["Name", "Prefix", "Created", "Revoked", ""],
        data.map(k => [k.name, el("span", { class: "mono", text: k.prefix + "…" }), time(k.createTime), k.revokedTime ? time(k.revokedTime) : "—",
          k.revokedTime ? "" : el("button", { type: "button", class: "danger", onclick: () => action(async () => {
            if (!confirm("Revoke key " + k.name + " (" + k.prefix + "…)? Clients using it get 401 from now on.")) return;
            await api("DELETE", "/api-keys/" + encodeURIComponent(k.id)); await load();
          }), text: "Revoke" })])));
    }
    const form = el("form", { class: "card", "aria-label": "Create an API key", onsubmit: async (ev) => {
      ev.preventDefault();
      await action(async () => {
        const k = await api("POST", "/api-keys", name.value ? { name: name.value } : {});
        note.replaceChildren(shownOnce("Key " + k.name, k.key));
        form.reset(); await load();
      });
    } }, el("h2", { text: "Create an API key" }), el("div", { class: "row" }, field("Name", name), el("button", { class: "primary", type: "submit", text: "Create" })));
    show(el("h1", { text: "API keys" }), form, note, el("h2", { text: "Keys of this project" }), list);
    await action(load);
  }

  // ---------- router ----------
  const ROUTES = [
    [/^#\/jobs\/([^/]+)$/, jobPage, "#/jobs"], [/^#\/jobs$/, jobsPage, "#/jobs"],
    [/^#\/executions\/([^/]+)$/, executionPage, "#/executions"], [/^#\/executions$/, executionsPage, "#/executions"],
    [/^#\/datasets$/, datasetsPage, "#/datasets"], [/^#\/models$/, modelsPage, "#/models"],
    [/^#\/deployments$/, deploymentsPage, "#/deployments"], [/^#\/webhooks$/, webhooksPage, "#/webhooks"],
    [/^#\/dead-letters$/, deadLettersPage, "#/dead-letters"], [/^#\/api-keys$/, apiKeysPage, "#/api-keys"],
  ];

  async function route() {
    generation++;
    timers.forEach(clearInterval); timers = [];
    alertText("");
    const s = session();
    const signedIn = !!(s && s.key && s.project);
    document.getElementById("nav").hidden = !signedIn;
    document.getElementById("signout").hidden = !signedIn;
    document.getElementById("who").textContent = signedIn ? "Project " + s.project : "";
    if (!signedIn) { if (location.hash !== "#/signin") history.replaceState(null, "", "#/signin"); signInPage(); return; }
    const hash = location.hash || "#/jobs";
    for (const [re, page, section] of ROUTES) {
      const m = hash.match(re);
      if (!m) continue;
      document.querySelectorAll("nav a").forEach(a => a.toggleAttribute("aria-current", false));
      const current = document.querySelector('nav a[href="' + section + '"]');
      if (current) current.setAttribute("aria-current", "page");
      show(el("p", { class: "muted", text: "Loading…" }));
      try { await page(...m.slice(1).map(decodeURIComponent)); } catch (e) { report(e); }
      main().focus({ preventScroll: true });
      return;
    }
    location.hash = "#/jobs";
  }

  window.addEventListener("hashchange", route);
  document.addEventListener("DOMContentLoaded", () => {
    document.getElementById("signout").addEventListener("click", () => signOut());
    route();
  });
})();
