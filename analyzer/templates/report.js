(function () {
  "use strict";
  // Bundle text is only ever read with textContent and never parsed as markup: no HTML
  // setters, no writing into the document stream (a unit test in html.rs checks).
  var doc = document, root = doc.documentElement, body = doc.body;
  var SEVS = ["critical", "warning", "info"];
  var violations = 0;
  doc.addEventListener("securitypolicyviolation", function () { violations++; selftest(); });

  function $$(sel, el) { return Array.prototype.slice.call((el || doc).querySelectorAll(sel)); }
  function label(name) { return body.getAttribute("data-l-" + name) || ""; }

  // Theme: auto (follows the system) → light → dark.
  var themeBtn = doc.getElementById("theme-toggle"), themeLabel = doc.getElementById("theme-label");
  function setTheme(t) {
    root.setAttribute("data-theme", t);
    if (themeLabel) themeLabel.textContent = label("theme-" + t);
    try { localStorage.setItem("aksbundle-theme", t); } catch (e) { /* file:// may forbid storage */ }
  }
  try { var saved = localStorage.getItem("aksbundle-theme"); if (saved === "light" || saved === "dark") setTheme(saved); } catch (e) { /* ignore */ }
  if (themeBtn) themeBtn.addEventListener("click", function () {
    var cur = root.getAttribute("data-theme");
    setTheme(cur === "auto" ? "light" : cur === "light" ? "dark" : "auto");
  });

  // Filter: severities and a search text, kept in the URL fragment
  // (#severity=critical,warning&q=text) so a filtered view can be linked and tested.
  var findings = $$("article.finding"), rows = $$("tr[data-finding]");
  var toggles = $$("button[data-filter]"), search = doc.getElementById("search");
  var shown = doc.getElementById("shown-count"), noMatch = doc.getElementById("no-match");
  var shownSuffix = shown ? shown.textContent.replace(/^[0-9]+ \/ [0-9]+ /, "") : "";
  var state = { sev: SEVS.slice(), q: "" };

  function readHash() {
    var h = (location.hash || "").replace(/^#/, "");
    if (!/(^|&)(severity|q)=/.test(h)) return false;
    var sev = SEVS.slice(), q = "";
    h.split("&").forEach(function (part) {
      var i = part.indexOf("="); if (i < 0) return;
      var k = part.slice(0, i), v;
      try { v = decodeURIComponent(part.slice(i + 1).replace(/\+/g, " ")); } catch (e) { v = ""; }
      if (k === "severity") sev = v.split(",").filter(function (s) { return SEVS.indexOf(s) >= 0; });
      if (k === "q") q = v;
    });
    state = { sev: sev, q: q };
    return true;
  }
  function writeHash() {
    var parts = [];
    if (state.sev.length !== SEVS.length) parts.push("severity=" + state.sev.join(","));
    if (state.q) parts.push("q=" + encodeURIComponent(state.q));
    try { history.replaceState(null, "", parts.length ? "#" + parts.join("&") : location.pathname + location.search); } catch (e) { /* ignore */ }
  }
  function apply() {
    var words = state.q.toLowerCase().split(/\s+/).filter(Boolean), visible = 0;
    findings.forEach(function (f) {
      if (f.searchText === undefined) f.searchText = f.textContent.toLowerCase();
      var text = f.searchText;
      var ok = state.sev.indexOf(f.getAttribute("data-severity")) >= 0 &&
        words.every(function (w) { return text.indexOf(w) >= 0; });
      f.hidden = !ok;
      if (ok) visible++;
    });
    rows.forEach(function (r) {
      var f = doc.getElementById(r.getAttribute("data-finding"));
      r.hidden = !!(f && f.hidden);
    });
    toggles.forEach(function (b) {
      b.setAttribute("aria-pressed", state.sev.indexOf(b.getAttribute("data-filter")) >= 0 ? "true" : "false");
    });
    if (search && search.value !== state.q) search.value = state.q;
    if (shown) shown.textContent = visible + " / " + findings.length + " " + shownSuffix;
    if (noMatch) noMatch.hidden = visible > 0 || findings.length === 0;
    selftest();
  }
  toggles.forEach(function (b) {
    b.addEventListener("click", function () {
      var s = b.getAttribute("data-filter"), i = state.sev.indexOf(s);
      if (i >= 0) state.sev.splice(i, 1); else state.sev.push(s);
      state.sev = SEVS.filter(function (x) { return state.sev.indexOf(x) >= 0; });
      writeHash(); apply();
    });
  });
  if (search) search.addEventListener("input", function () { state.q = search.value; writeHash(); apply(); });
  // "/" focuses the search box, as on GitHub; Escape clears it.
  doc.addEventListener("keydown", function (e) {
    var t = e.target && e.target.tagName;
    if (search && e.key === "/" && t !== "INPUT" && t !== "TEXTAREA") { e.preventDefault(); search.focus(); }
    if (search && e.key === "Escape" && e.target === search && search.value) { search.value = ""; state.q = ""; writeHash(); apply(); }
  });
  window.addEventListener("hashchange", function () { if (readHash()) apply(); });

  // Expand / collapse every section.
  var toggleAll = doc.getElementById("toggle-all");
  if (toggleAll) toggleAll.addEventListener("click", function () {
    var open = !$$("details.sec").every(function (d) { return d.open; });
    $$("details.sec").forEach(function (d) { d.open = open; });
    toggleAll.textContent = label(open ? "collapse" : "expand");
  });

  // A link to a finding inside a closed section (the recovered ones start collapsed)
  // opens the sections around it first.
  function reveal(id) {
    var el = id ? doc.getElementById(id) : null;
    var d = el && el.closest ? el.closest("details") : null;
    while (d) { d.open = true; d = d.parentElement ? d.parentElement.closest("details") : null; }
  }
  doc.addEventListener("click", function (e) {
    var a = e.target && e.target.closest ? e.target.closest("a[href^='#']") : null;
    if (a) reveal(a.getAttribute("href").slice(1));
  });

  // Printing shows every section; afterwards the reader's view comes back.
  var printOpened = [];
  window.addEventListener("beforeprint", function () {
    printOpened = $$("details:not([open])");
    printOpened.forEach(function (d) { d.open = true; });
  });
  window.addEventListener("afterprint", function () {
    printOpened.forEach(function (d) { d.open = false; });
    printOpened = [];
  });

  // Copy buttons: the clipboard API where allowed (file:// often is), else a selection.
  function flash(btn, text, ok) {
    btn.textContent = text;
    btn.classList.toggle("done", ok);
    setTimeout(function () { btn.textContent = label("copy"); btn.classList.remove("done"); }, 1600);
  }
  function fallbackCopy(text) {
    var ta = doc.createElement("textarea");
    ta.value = text;
    ta.setAttribute("readonly", "");
    ta.className = "sr-only";
    body.appendChild(ta);
    ta.select();
    var ok = false;
    try { ok = doc.execCommand("copy"); } catch (e) { ok = false; }
    body.removeChild(ta);
    return ok;
  }
  $$("button.copy").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var code = btn.parentNode.querySelector("code"), text = code ? code.textContent : "";
      var done = function () { flash(btn, label("copied"), true); };
      var fail = function () {
        if (fallbackCopy(text)) { done(); return; }
        var range = doc.createRange(); range.selectNodeContents(code);
        var sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(range);
        flash(btn, label("copy-failed"), false);
      };
      if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, fail);
      else fail();
    });
  });

  // Self-test hook for the browser test: what loaded, what was blocked, what shows.
  var hook = doc.getElementById("selftest");
  function selftest() {
    if (!hook) return;
    var res = (window.performance && performance.getEntriesByType) ? performance.getEntriesByType("resource") : [];
    hook.setAttribute("data-ready", "yes");
    hook.setAttribute("data-resources", String(res.length));
    hook.setAttribute("data-csp-violations", String(violations));
    hook.setAttribute("data-filter", state.sev.join(","));
    hook.setAttribute("data-query", state.q);
    hook.setAttribute("data-visible", String(findings.filter(function (f) { return !f.hidden; }).length));
    hook.setAttribute("data-total", String(findings.length));
    hook.setAttribute("data-pwned", typeof window.__pwned === "undefined" ? "no" : "yes");
    var recovered = doc.getElementById("recovered");
    hook.setAttribute("data-recovered", recovered ? (recovered.open ? "open" : "closed") : "none");
    hook.setAttribute("data-timeline-dots", String($$("svg.timeline circle.dot").length));
    hook.setAttribute("data-timeline-rows", String($$("#timeline tr[data-kind]").length));
  }

  readHash();
  apply();
  window.addEventListener("load", function () { selftest(); setTimeout(selftest, 300); });
})();
