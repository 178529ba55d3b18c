// lethe serve: the page's only script (served from this server; CSP allows no other).
// It shows times in the viewer's time zone and adds a few keys. Pages work without it
// (times then stay in UTC).
"use strict";
(function () {
  // The token is in the address only for the first request (the cookie carries it after):
  // take it out of the address bar and history.
  if (location.search.indexOf("token=") >= 0) {
    var params = new URLSearchParams(location.search);
    params.delete("token");
    var rest = params.toString();
    history.replaceState(null, "", location.pathname + (rest ? "?" + rest : "") + location.hash);
  }
  var clock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
  var full = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
  document.querySelectorAll("time[datetime]").forEach(function (t) {
    var d = new Date(t.getAttribute("datetime"));
    if (isNaN(d)) return;
    t.title = d.toString();
    t.textContent = t.hasAttribute("data-full") ? full.format(d) : clock.format(d);
  });
  document.addEventListener("keydown", function (e) {
    var tag = (e.target && e.target.tagName) || "";
    if (tag === "INPUT" || tag === "TEXTAREA" || e.ctrlKey || e.metaKey || e.altKey) return;
    var go = function (id) { var a = document.getElementById(id); if (a) { location.href = a.href; e.preventDefault(); } };
    if (e.key === "/") { var q = document.getElementById("q"); if (q) { q.focus(); q.select(); e.preventDefault(); } }
    else if (e.key === "[") go("prev");
    else if (e.key === "]") go("next");
    else if (e.key === "Escape") go("close-thread");
    else if (e.key === "j" || e.key === "k") {
      var items = Array.prototype.slice.call(document.querySelectorAll(".msg"));
      if (!items.length) return;
      var i = items.indexOf(document.activeElement);
      i = e.key === "j" ? Math.min(items.length - 1, i + 1) : Math.max(0, i - 1);
      items[i].focus();
      e.preventDefault();
    }
  });
  var target = location.hash && document.getElementById(location.hash.slice(1));
  if (target && target.scrollIntoView) target.scrollIntoView({ block: "center" });
})();
