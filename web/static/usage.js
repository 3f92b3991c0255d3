// Gemini usage on /account (one's own, with budgets) and /admin (everyone's
// per user, group, model or day, the CSV link, and the quota overrides).
// Text goes in with textContent only.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  function get(path) {
    return fetch(path, { credentials: "same-origin" }).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) throw new Error((j.error && j.error.message) || r.statusText);
        return j;
      });
    });
  }

  function num(n) { return Number(n).toLocaleString(window.toriiLang); }

  function fillTable(table, head, rows) {
    var thead = el("thead"), tr = el("tr");
    head.forEach(function (h) { tr.appendChild(el("th", null, h)); });
    thead.appendChild(tr);
    var tbody = el("tbody");
    rows.forEach(function (r) {
      var row = el("tr");
      r.forEach(function (c) { row.appendChild(el("td", null, c)); });
      tbody.appendChild(row);
    });
    table.replaceChildren(thead, tbody);
  }

  function usageRows(j) {
    var total = { requests: 0, promptTokens: 0, outputTokens: 0, totalTokens: 0 };
    var rows = j.rows.map(function (r) {
      ["requests", "promptTokens", "outputTokens", "totalTokens"].forEach(function (k) { total[k] += r[k]; });
      return [r.label ? r.label + " (" + r.key + ")" : r.key, num(r.requests), num(r.promptTokens), num(r.outputTokens), num(r.totalTokens)];
    });
    rows.push([t("js.gemini.total"), num(total.requests), num(total.promptTokens), num(total.outputTokens), num(total.totalTokens)]);
    return rows;
  }

  var head = function () {
    return [t("js.gemini.key"), t("js.gemini.requests"), t("js.gemini.promptTokens"), t("js.gemini.outputTokens"), t("js.gemini.totalTokens")];
  };

  function budget(n) { return n > 0 ? num(n) : t("js.gemini.noLimit"); }

  // /account: one's own usage by day and the budgets.
  if ($("gemini-usage")) {
    get("/api/v1/me/usage?by=day").then(function (j) {
      $("gemini-usage").hidden = false;
      $("gemini-quota").textContent = t("js.gemini.quotaLine", {
        Today: num(j.quota.usedToday), Daily: budget(j.quota.daily),
        Month: num(j.quota.usedThisMonth), Monthly: budget(j.quota.monthly)
      });
      fillTable($("gemini-usage-table"), head(), usageRows(j));
    }).catch(function () { /* the assistant is off */ });
  }

  // /admin: everyone's usage and the overrides.
  if ($("gemini-admin-usage")) {
    var query = function () {
      var q = "by=" + encodeURIComponent($("gemini-usage-by").value);
      if ($("gemini-usage-from").value) q += "&from=" + encodeURIComponent($("gemini-usage-from").value);
      if ($("gemini-usage-to").value) q += "&to=" + encodeURIComponent($("gemini-usage-to").value);
      return q;
    };
    var load = function () {
      $("gemini-usage-csv").href = "/api/v1/admin/usage?" + query() + "&format=csv";
      return get("/api/v1/admin/usage?" + query()).then(function (j) {
        $("gemini-admin-usage").hidden = false;
        fillTable($("gemini-usage-table"), head(), usageRows(j));
      });
    };
    var loadQuotas = function () {
      return get("/api/v1/admin/quotas").then(function (j) {
        var rows = [[t("js.gemini.defaults"), budget(j.defaults.daily), budget(j.defaults.monthly)]];
        j.overrides.forEach(function (o) {
          var v = function (x) { return x == null ? "—" : budget(x); };
          rows.push([t(o.subject === "user" ? "js.gemini.userN" : "js.gemini.groupN", { ID: o.id }), v(o.daily), v(o.monthly)]);
        });
        fillTable($("gemini-quota-table"), [t("js.gemini.who"), t("js.gemini.perDay"), t("js.gemini.perMonth")], rows);
      });
    };
    $("gemini-usage-form").addEventListener("submit", function (ev) { ev.preventDefault(); load(); });
    $("gemini-quota-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var val = function (id) { return $(id).value === "" ? null : Number($(id).value); };
      var note = $("gemini-quota-error");
      note.hidden = true;
      fetch("/api/v1/admin/quotas/" + $("gemini-quota-subject").value + "/" + Number($("gemini-quota-id").value), {
        method: "PUT", credentials: "same-origin", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ daily: val("gemini-quota-daily"), monthly: val("gemini-quota-monthly") })
      }).then(function (r) {
        return r.json().then(function (j) {
          if (!r.ok) throw new Error((j.error && j.error.message) || r.statusText);
          return loadQuotas();
        });
      }).catch(function (e) { note.textContent = e.message; note.hidden = false; });
    });
    load().then(loadQuotas).catch(function () { /* the assistant is off */ });
  }
})();
