(() => {
  const form = document.getElementById("build-form");
  const box = document.getElementById("build-status");
  const rebuild = document.getElementById("rebuild-status");
  const generation = document.body.dataset.generation;
  let touched = false, busy = false;
  const esc = (s) => String(s ?? "").replace(/[&<>"']/g,
    (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"})[c]);
  const problems = (list) => `<pre class="problems">${esc((list || []).join("\n"))}</pre>`;
  function show(job) {
    box.hidden = false;
    const head = `<p><strong>${esc(job.label)}</strong></p>`;
    if (job.state === "error") {
      box.className = "status error";
      box.innerHTML = head + "<p>The build failed:</p>" + problems(job.problems);
    } else if (job.state === "done") {
      box.className = "status ok";
      const d = job.download;
      box.innerHTML = head + `<p>${esc(job.summary)}</p>` + (d ?
        `<p><a class="button" id="download-link" href="${esc(d.url)}" download="${esc(d.name)}">` +
        `Download ${esc(d.name)}</a> <span class="sub">${esc(d.facts)}</span> ` +
        (d.preview ? `<a href="${esc(d.preview)}" target="_blank" rel="noopener">Preview</a>` : "") +
        "</p>" : "");
    } else {
      box.className = "status";
      const text = job.state === "queued" ? "Waiting for another build to finish…" :
        job.total ? `Building ${job.done} of ${job.total}` +
          (job.current ? ` — ${esc(job.current)}` : "") : "Starting…";
      box.innerHTML = head + `<p>${text}</p>` +
        `<progress max="${Math.max(job.total, 1)}" value="${job.done}"></progress>`;
    }
  }
  async function follow(url) {
    for (;;) {
      const response = await fetch(url, {headers: {Accept: "application/json"}});
      const job = await response.json();
      show(job);
      if (job.state === "done" || job.state === "error") return;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }
  form.addEventListener("input", () => { touched = true; });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    touched = busy = true;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const response = await fetch(form.action, {method: "POST",
        body: new URLSearchParams(new FormData(form)), headers: {Accept: "application/json"}});
      const data = await response.json();
      if (!response.ok) {
        show({state: "error", label: "The form needs a correction", problems: data.problems});
      } else {
        show(data);
        await follow(data.status_url);
      }
    } catch (error) {
      show({state: "error", label: "The server cannot be reached", problems: [String(error)]});
    } finally {
      button.disabled = false;
      busy = false;
    }
  });
  function describe(job) {
    if (!job) return "";
    if (job.state === "error") {
      const above = document.querySelector("#problems pre");
      const list = job.problems || [];
      if (above && list.length && list.every((p) => above.textContent.includes(p)))
        return '<strong class="bad">Last rebuild failed</strong>: see the problems above.';
      return '<strong class="bad">Last rebuild failed</strong>' + problems(list);
    }
    if (job.state === "queued" || job.state === "running")
      return `<strong>Rebuilding…</strong> ${job.total ? `${job.done} of ${job.total}` : ""}`;
    return `<span class="good">${esc(job.summary)}</span>`;
  }
  async function watch() {
    try {
      const response = await fetch("/status", {headers: {Accept: "application/json"}});
      const status = await response.json();
      let html = describe(status.rebuild);
      if (String(status.generation) !== generation) {
        if (!touched && !busy) { location.reload(); return; }
        html += ' <a class="stale" href="/">Files have changed: reload the list</a>';
      }
      if (rebuild.innerHTML !== html) rebuild.innerHTML = html;
    } catch (error) { /* the server is restarting; try again */ }
    setTimeout(watch, 1500);
  }
  setTimeout(watch, 1500);
})();
