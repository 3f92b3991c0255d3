// Page strings from torii's message catalog (package i18n). The layout
// embeds the page language's "js.*" messages as JSON in
// <script type="application/json" id="torii-i18n">; t() looks them up:
//
//   t("js.chat.send")                      → "Send" / "送信"
//   t("js.chat.minutesAgo", { Count: 5 })  → "5 minutes ago" / "5分前"
//
// {{.Name}} fields are filled from the second argument; a message with
// plural forms picks one with Intl.PluralRules on Count. A missing key
// returns the key itself (the catalog test finds it first).
(function () {
  "use strict";
  var messages = null;
  var lang = document.documentElement.lang || "en";
  function load() {
    if (messages) return messages;
    var el = document.getElementById("torii-i18n");
    try { messages = el ? JSON.parse(el.textContent) : {}; } catch (e) { messages = {}; }
    return messages;
  }
  function t(key, vars) {
    var m = load()[key];
    if (m === undefined) return key;
    vars = vars || {};
    if (typeof m === "object") {
      var form = "other";
      try { form = new Intl.PluralRules(lang).select(Number(vars.Count)); } catch (e) { /* old browser */ }
      m = m[form] !== undefined ? m[form] : m.other;
    }
    return String(m).replace(/\{\{\s*\.(\w+)\s*\}\}/g, function (_, name) {
      return vars[name] === undefined ? "" : String(vars[name]);
    });
  }
  window.t = t;
  window.toriiLang = lang;

  // Times: the server writes <time datetime="…Z">, in UTC, for pages read
  // without JavaScript; here each is shown in the reader's own time zone
  // and the page's locale (Intl.DateTimeFormat), the exact time in its
  // title. data-format="relative" shows "5 minutes ago" / "5分前",
  // data-format="date" the date only.
  var styles = {
    short: { dateStyle: "medium", timeStyle: "short" },
    full: { dateStyle: "full", timeStyle: "long" },
    date: { dateStyle: "long" }
  };
  function format(date, style) {
    var d = date instanceof Date ? date : new Date(date);
    if (isNaN(d)) return "";
    try { return new Intl.DateTimeFormat(lang, styles[style || "short"]).format(d); } catch (e) { return d.toLocaleString(); }
  }
  function relative(date, now) {
    var d = date instanceof Date ? date : new Date(date);
    var secs = Math.round((d - (now || Date.now())) / 1000), abs = Math.abs(secs);
    var units = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400], ["hour", 3600], ["minute", 60]];
    try {
      var rtf = new Intl.RelativeTimeFormat(lang, { numeric: "auto" });
      for (var i = 0; i < units.length; i++) {
        if (abs >= units[i][1]) return rtf.format(Math.round(secs / units[i][1]), units[i][0]);
      }
      return rtf.format(0, "second");
    } catch (e) { return format(d); }
  }
  function localizeTimes(root) {
    var list = (root || document).querySelectorAll("time[datetime]");
    for (var i = 0; i < list.length; i++) {
      var el = list[i], when = el.getAttribute("datetime"), kind = el.dataset.format;
      if (isNaN(new Date(when))) continue;
      el.textContent = kind === "relative" ? relative(when) : format(when, kind === "date" ? "date" : "short");
      el.title = format(when, "full");
    }
  }
  window.toriiTime = { format: format, relative: relative, localize: localizeTimes };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { localizeTimes(); });
  else localizeTimes();
})();
