// supervisord-lite dashboard: live rows over server-sent events, live tails, filter, confirms.
// The page works without this file; it only improves it. No build step, no dependencies.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const skew = (+document.body.dataset.now || Date.now() / 1000) - Date.now() / 1000;
  const pad = (n) => (n < 10 ? "0" : "") + n;

  // uptime is supervise.FormatUptime: "0:00:03", "1 day, 2:03:04".
  function uptime(s) {
    s = Math.max(0, Math.floor(s));
    const d = Math.floor(s / 86400);
    s %= 86400;
    const hms = Math.floor(s / 3600) + ":" + pad(Math.floor(s / 60) % 60) + ":" + pad(s % 60);
    return d === 1 ? "1 day, " + hms : d > 1 ? d + " days, " + hms : hms;
  }
  // left is Go's Duration.String of whole seconds: "4m59s", "1h0m0s".
  function left(s) {
    s = Math.max(0, Math.floor(s));
    const h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60;
    return (h ? h + "h" : "") + (h || m ? m + "m" : "") + (s % 60) + "s";
  }
  function tick() {
    if (document.hidden) return;
    const now = Date.now() / 1000 + skew;
    for (const t of document.querySelectorAll("time[data-up]")) t.textContent = uptime(now - t.dataset.up);
    for (const t of document.querySelectorAll("time[data-until]")) t.textContent = left(t.dataset.until - now);
  }
  setInterval(tick, 1000);

  function msg(text, bad) {
    const m = $("msg");
    if (!m) return;
    m.textContent = text;
    m.hidden = false;
    m.classList.toggle("bad", !!bad);
  }
  function fragment(html) {
    const t = document.createElement("template");
    t.innerHTML = html;
    return t.content;
  }

  const rows = $("rows"), q = $("q");
  function applyFilter() {
    if (!rows || !q) return;
    const f = q.value.trim().toLowerCase(), shown = {};
    for (const tr of rows.querySelectorAll("tr:not(.g)")) {
      const hide = f !== "" && !tr.querySelector(".n").textContent.toLowerCase().includes(f);
      tr.hidden = hide;
      if (!hide) shown[tr.dataset.g] = true;
    }
    for (const g of rows.querySelectorAll("tr.g")) g.hidden = !shown[g.id.slice(2)];
  }
  if (q) {
    q.addEventListener("input", () => {
      applyFilter();
      const u = new URL(location.href);
      if (q.value) u.searchParams.set("q", q.value); else u.searchParams.delete("q");
      history.replaceState(null, "", u);
    });
    q.form.addEventListener("submit", (e) => e.preventDefault());
  }

  // Live rows: the server sends "row" (one changed <tr>) and "table" (every row) events, each
  // with the version of the whole table as its id; a reconnect sends the last one so that the
  // server sends the table only if something changed meanwhile.
  function live() {
    const dot = $("live");
    const csrf = document.querySelector("#f input[name=csrf]");
    const es = new EventSource("events?v=" + encodeURIComponent(rows.dataset.v) + "&t=" + encodeURIComponent(csrf.value));
    es.addEventListener("token", (e) => { csrf.value = e.data; });
    const seen = (e) => { if (e.lastEventId) rows.dataset.v = e.lastEventId; };
    es.addEventListener("row", (e) => {
      const n = fragment(e.data).firstElementChild;
      const old = n && document.getElementById(n.id);
      if (old) old.replaceWith(n);
      seen(e);
      applyFilter();
      tick();
    });
    es.addEventListener("table", (e) => {
      rows.replaceChildren(fragment(e.data));
      seen(e);
      applyFilter();
      tick();
    });
    es.onopen = () => { dot.className = "on"; };
    es.onerror = () => {
      dot.className = "off";
      es.close();
      setTimeout(live, 3000);
    };
  }
  if (rows) live();

  const form = $("f");
  if (form) form.addEventListener("submit", async (e) => {
    const b = e.submitter;
    if (!b || !b.value) return;
    e.preventDefault();
    const v = b.value, [op, ...rest] = v.split(" "), target = rest.join(" ");
    if (op === "clear" && !confirm("Clear the log of " + target + "?")) return;
    if ((op === "stopall" || op === "restartall") && !confirm(op === "stopall" ? "Stop all processes?" : "Restart all processes?")) return;
    const body = new URLSearchParams(new FormData(form));
    body.set("do", v);
    if (op === "clear") body.set("confirm", "1");
    b.disabled = true;
    msg(op + " " + target + " …");
    try {
      const r = await fetch("action", { method: "POST", body, headers: { "X-Dashboard": "1" } });
      if (!r.ok) {
        msg(r.status + ": " + (await r.text()).trim(), true);
        return;
      }
      const j = await r.json();
      msg(j.msg, !j.ok);
    } catch (err) {
      msg(String(err), true);
    } finally {
      b.disabled = false;
    }
  });

  // Tails: a live `tail -f` in a pre, at most maxTail characters kept.
  const maxTail = 256 * 1024;
  let tailES = null;
  function follow(pre, url) {
    if (tailES) tailES.close();
    const es = (tailES = new EventSource(url));
    es.onmessage = (e) => {
      const stick = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
      pre.append(JSON.parse(e.data));
      if (pre.textContent.length > maxTail) pre.textContent = pre.textContent.slice(-maxTail / 2);
      if (stick) pre.scrollTop = pre.scrollHeight;
    };
    es.onerror = () => {
      es.close();
      pre.append("\n[stream ended: reload to follow again]\n");
    };
  }
  const section = $("tail");
  document.addEventListener("click", (e) => {
    const a = e.target.closest && e.target.closest("a.t");
    if (!a || !section || e.ctrlKey || e.metaKey || e.shiftKey) return;
    e.preventDefault();
    const u = new URL(a.href), p = u.searchParams.get("p") || "", ch = u.searchParams.get("ch");
    $("tailname").textContent = (p ? p + " " : "") + ch;
    const pre = $("tailpre");
    pre.textContent = "";
    section.hidden = false;
    follow(pre, "follow" + u.search);
    section.scrollIntoView({ block: "nearest" });
  });
  const close = $("tailclose");
  if (close) close.addEventListener("click", () => {
    if (tailES) tailES.close();
    tailES = null;
    section.hidden = true;
  });
  const tp = document.querySelector("body.tailpage #tailpre");
  if (tp && tp.dataset.follow) {
    tp.scrollTop = tp.scrollHeight;
    follow(tp, tp.dataset.follow);
  }
})();
