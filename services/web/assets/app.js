// Canopy's own script, and all of it: live SLA countdowns. Pages work without it; the server
// writes each countdown's words and its due time, this only keeps the words current.
(function () {
  "use strict";
  var body = document.body;
  var units = (body.getAttribute("data-units") || "d|h|min|s|in %s|%s overdue").split("|");
  // The server's clock, so that countdowns agree with the page whatever the device's time.
  var skew = Date.parse(body.getAttribute("data-now") || "") - Date.now();
  if (isNaN(skew)) { skew = 0; }

  function span(secs) {
    var d = Math.floor(secs / 86400), h = Math.floor(secs % 86400 / 3600), m = Math.floor(secs % 3600 / 60);
    if (d > 0) { return d + " " + units[0] + " " + h + " " + units[1]; }
    if (h > 0) { return h + " " + units[1] + " " + m + " " + units[2]; }
    if (m > 0) { return m + " " + units[2]; }
    return secs + " " + units[3];
  }

  function tick() {
    var now = Date.now() + skew;
    var clocks = document.querySelectorAll("time.countdown");
    for (var i = 0; i < clocks.length; i++) {
      var due = Date.parse(clocks[i].getAttribute("datetime"));
      if (isNaN(due)) { continue; }
      var secs = Math.round((due - now) / 1000);
      var text = secs >= 0 ? units[4].replace("%s", span(secs)) : units[5].replace("%s", span(-secs));
      if (clocks[i].textContent !== text) { clocks[i].textContent = text; }
      var risk = secs <= 0 ? "risk-breached" : secs <= 3600 ? "risk-warning" : "risk-ok";
      var holder = clocks[i].closest(".due");
      if (holder) { holder.className = "due " + risk; }
    }
  }
  tick();
  setInterval(tick, 1000);
})();
