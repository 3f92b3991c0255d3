// torii's Gemini conversations (issue 18): the room header's model,
// instruction and Google Search settings, and under each reply its model,
// tokens, the web sources it used and a "Copy" button (its Markdown).
// chat.js calls toriiAssistant.openRoom when a room opens and
// toriiAssistant.decorate for every message it shows. Text is put in the
// page with textContent only.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var room = null, me = 0, models = [];

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  function api(method, path, body) {
    var opts = { method: method, headers: {}, credentials: "same-origin" };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(path, opts).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) {
          // Field messages come translated; the field's JSON name is
          // English, so only an English reader sees it.
          var en = (window.toriiLang || "en") === "en";
          var f = j.error && j.error.fields ? " (" + Object.keys(j.error.fields).map(function (k) { return (en ? k + " " : "") + j.error.fields[k]; }).join(en ? ", " : " ") + ")" : "";
          throw new Error(((j.error && j.error.message) || r.statusText) + f);
        }
        return j;
      });
    });
  }

  // --- The room header --------------------------------------------------------

  function showSettings(a) {
    var btn = $("assistant-settings"), panel = $("assistant-panel");
    btn.hidden = false;
    btn.textContent = "✦ " + a.model + (a.grounding ? " · " + t("js.gemini.search") : "") + (a.systemPrompt ? " · " + t("js.gemini.customInstructions") : "");
    btn.title = a.systemPrompt ? t("js.gemini.instructionsAre", { Prompt: a.systemPrompt }) : t("js.gemini.defaultInstructions");
    var sel = $("assistant-model");
    sel.replaceChildren();
    var names = models.map(function (m) { return m.name; });
    if (names.indexOf(a.model) < 0) names.unshift(a.model);
    names.forEach(function (n) {
      var o = el("option", null, n);
      o.value = n;
      o.selected = n === a.model;
      sel.appendChild(o);
    });
    $("assistant-prompt").value = a.systemPrompt;
    $("assistant-grounding").checked = a.grounding;
    var owner = room.createdBy === me;
    Array.prototype.forEach.call(panel.querySelectorAll("select, textarea, input, button[type=submit]"), function (x) { x.disabled = !owner; });
    $("assistant-owner-note").hidden = owner;
  }

  function openRoom(r, user) {
    room = r; me = user;
    var btn = $("assistant-settings"), panel = $("assistant-panel");
    if (!btn) return;
    btn.hidden = true;
    panel.hidden = true;
    btn.setAttribute("aria-expanded", "false");
    if (!r.assistant) return;
    api("GET", "/api/v1/rooms/" + r.id + "/assistant").then(function (j) {
      if (room !== r) return;
      models = j.models;
      showSettings(j.assistant);
    }).catch(function () { /* the assistant is off: nothing to show */ });
  }

  function setup() {
    var btn = $("assistant-settings"), panel = $("assistant-panel");
    if (!btn) return;
    btn.addEventListener("click", function () {
      panel.hidden = !panel.hidden;
      btn.setAttribute("aria-expanded", String(!panel.hidden));
    });
    panel.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var r = room, note = $("assistant-panel-error");
      note.hidden = true;
      api("PATCH", "/api/v1/rooms/" + r.id, {
        model: $("assistant-model").value,
        systemPrompt: $("assistant-prompt").value,
        grounding: $("assistant-grounding").checked
      }).then(function (j) {
        if (room !== r) return;
        showSettings(j.assistant);
        panel.hidden = true;
        btn.setAttribute("aria-expanded", "false");
      }).catch(function (e) { note.textContent = e.message; note.hidden = false; });
    });
  }

  // --- Replies ----------------------------------------------------------------

  function copyButton(text) {
    var b = el("button", "secondary small copy-reply", t("js.gemini.copy"));
    b.type = "button";
    b.title = t("js.gemini.copyTitle");
    b.addEventListener("click", function () {
      navigator.clipboard.writeText(text).then(function () {
        b.textContent = t("js.gemini.copied");
        setTimeout(function () { b.textContent = t("js.gemini.copy"); }, 1500);
      });
    });
    return b;
  }

  function decorate(li, m) {
    if (m.author !== "assistant" || !m.id) return;
    var main = li.querySelector(".message-main");
    if (m.sources && m.sources.length) {
      var box = el("div", "reply-sources");
      box.appendChild(el("span", "muted small", t("js.gemini.sources")));
      var ul = el("ol");
      m.sources.forEach(function (s) {
        if (!/^https?:\/\//i.test(s.uri)) return; // links to the web only
        var a = el("a", null, s.title || s.uri);
        a.href = s.uri;
        a.rel = "noopener noreferrer nofollow"; // as every link a reply shows (markdown.js)
        a.target = "_blank";
        var item = el("li");
        item.appendChild(a);
        ul.appendChild(item);
      });
      box.appendChild(ul);
      main.appendChild(box);
    }
    var meta = el("div", "reply-meta");
    if (m.model) {
      var tokens = m.usage ? " · " + t("js.gemini.tokens", { Tokens: m.usage.totalTokens.toLocaleString(window.toriiLang) }) : "";
      meta.appendChild(el("span", "muted small", m.model + tokens));
    }
    meta.appendChild(copyButton(m.body));
    main.appendChild(meta);
  }

  window.toriiAssistant = { openRoom: openRoom, decorate: decorate };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
