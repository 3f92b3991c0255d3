// torii's Gemini conversations (issue 18): the room header's model,
// instruction and Google Search settings (and the conversation's name,
// export and deletion), and under each reply its model, tokens, the web
// sources it used and a "Copy" button (its Markdown); a copy button on
// every code block; "Regenerate" under the last reply and "Edit and
// resend" under the last question, for the person who asked it.
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
      if (r.status === 204) return {};
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

  // fresh returns the open room as chat.js has it now (a room.update
  // replaces chat.js's object: the name changes with a generated title).
  function fresh() {
    var c = window.toriiChat && window.toriiChat.current();
    if (c && room && c.id === room.id) room = c;
    return room;
  }

  function showSettings(a) {
    fresh();
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
    $("assistant-name").value = room.name;
    var owner = room.createdBy === me;
    Array.prototype.forEach.call(panel.querySelectorAll("select, textarea, input, button[type=submit]"), function (x) { x.disabled = !owner; });
    $("assistant-owner-note").hidden = owner;
    $("assistant-delete").hidden = !owner;
    var base = "/api/v1/rooms/" + room.id + "/export?format=";
    $("assistant-export-md").href = base + "markdown";
    $("assistant-export-json").href = base + "json";
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
      if (!room || room.id !== r.id) return;
      models = j.models;
      showSettings(j.assistant);
    }).catch(function () { /* the assistant is off: nothing to show */ });
  }

  function setup() {
    var btn = $("assistant-settings"), panel = $("assistant-panel");
    if (!btn) return;
    btn.addEventListener("click", function () {
      if (panel.hidden && fresh()) $("assistant-name").value = room.name;
      panel.hidden = !panel.hidden;
      btn.setAttribute("aria-expanded", String(!panel.hidden));
    });
    panel.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var r = fresh(), note = $("assistant-panel-error");
      note.hidden = true;
      var body = {
        model: $("assistant-model").value,
        systemPrompt: $("assistant-prompt").value,
        grounding: $("assistant-grounding").checked
      };
      var name = $("assistant-name").value.trim();
      if (name && name !== r.name) body.name = name; // a rename (PATCH's room fields)
      api("PATCH", "/api/v1/rooms/" + r.id, body).then(function (j) {
        if (!room || room.id !== r.id) return;
        if (j.room) r.name = j.room.name;
        showSettings(j.assistant);
        panel.hidden = true;
        btn.setAttribute("aria-expanded", "false");
      }).catch(function (e) { note.textContent = e.message; note.hidden = false; });
    });
    $("assistant-delete").addEventListener("click", function () {
      var r = room, note = $("assistant-panel-error");
      if (!r || !window.confirm(t("js.gemini.deleteConfirm", { Name: r.name }))) return;
      // The room list hears room.remove and opens another room.
      api("DELETE", "/api/v1/rooms/" + r.id).catch(function (e) { note.textContent = e.message; note.hidden = false; });
    });
    var list = $("messages");
    if (list && window.MutationObserver) new MutationObserver(markLast).observe(list, { childList: true });
  }

  // --- Replies ----------------------------------------------------------------

  // copyText puts text on the clipboard; where the Clipboard API is
  // refused (an insecure origin), through a selected textarea.
  function copyText(text) {
    if (navigator.clipboard && navigator.clipboard.writeText) {
      return navigator.clipboard.writeText(text).catch(function () { return legacyCopy(text); });
    }
    return legacyCopy(text);
  }
  function legacyCopy(text) {
    var ta = el("textarea");
    ta.value = text;
    ta.setAttribute("readonly", "");
    ta.className = "sr-only";
    document.body.appendChild(ta);
    ta.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { /* not allowed */ }
    ta.remove();
    return ok ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  function copyButton(text) {
    var b = el("button", "secondary small copy-reply", t("js.gemini.copy"));
    b.type = "button";
    b.title = t("js.gemini.copyTitle");
    b.addEventListener("click", function () {
      copyText(text).then(function () {
        b.textContent = t("js.gemini.copied");
        setTimeout(function () { b.textContent = t("js.gemini.copy"); }, 1500);
      });
    });
    return b;
  }

  // codeButtons gives every code block of a message a copy button (the
  // code's text, as markdown.js rendered it, highlighted or not).
  function codeButtons(li) {
    Array.prototype.forEach.call(li.querySelectorAll(".body pre"), function (pre) {
      if (pre.parentNode.classList.contains("code-block")) return;
      var code = pre.querySelector("code") || pre;
      var box = el("div", "code-block");
      pre.replaceWith(box);
      box.appendChild(pre);
      var b = el("button", "code-copy", t("js.gemini.copyCode"));
      b.type = "button";
      b.addEventListener("click", function () {
        var text = code.textContent;
        copyText(text).then(function () {
          b.dataset.copied = "true";
          b.textContent = t("js.gemini.copied");
          setTimeout(function () { b.textContent = t("js.gemini.copyCode"); delete b.dataset.copied; }, 1500);
        });
      });
      box.appendChild(b);
    });
  }

  function showError(msg) {
    var e = $("chat-error");
    if (!e) return;
    e.textContent = msg;
    e.hidden = !msg;
  }

  // --- Regenerate, edit and resend ----------------------------------------------

  // markLast marks the last exchange of a Gemini conversation: its
  // question (.last-question) and reply (.last-reply) show their actions
  // when the reader asked it and no reply is streaming (docs/api.md:
  // only the last exchange can be answered again).
  function markLast() {
    var list = $("messages");
    if (!list) return;
    Array.prototype.forEach.call(list.querySelectorAll(".last-question, .last-reply"), function (x) {
      x.classList.remove("last-question", "last-reply");
    });
    if (!room || !room.assistant || list.querySelector("li.streaming")) return;
    var items = list.querySelectorAll("li.message[data-id]:not(.deleted)");
    if (!items.length) return;
    var last = items[items.length - 1], q = last, reply = null;
    if (last.classList.contains("assistant")) {
      reply = last;
      q = null;
      for (var i = items.length - 2; i >= 0 && !q; i--) if (!items[i].classList.contains("assistant")) q = items[i];
    }
    if (!q || !q.classList.contains("mine")) return;
    q.classList.add("last-question");
    if (reply) reply.classList.add("last-reply");
  }

  function regenerate(b) {
    var r = room;
    b.disabled = true;
    showError("");
    api("POST", "/api/v1/rooms/" + r.id + "/assistant/regenerate")
      .catch(function (e) { showError(e.message); })
      .then(function () { b.disabled = false; });
  }

  function editQuestion(li, m) {
    var body = li.querySelector(".body");
    if (!body || li.querySelector(".question-editor")) return;
    var form = el("form", "question-editor");
    var ta = el("textarea");
    ta.value = m.body;
    ta.setAttribute("aria-label", t("js.gemini.editLabel"));
    var row = el("div", "row");
    var send = el("button", "primary small", t("js.gemini.resend"));
    send.type = "submit";
    var cancel = el("button", "secondary small", t("js.gemini.cancel"));
    cancel.type = "button";
    row.append(send, cancel);
    form.append(ta, row);
    body.hidden = true;
    body.after(form);
    ta.focus();
    function close() { form.remove(); body.hidden = false; }
    cancel.addEventListener("click", close);
    ta.addEventListener("keydown", function (e) { if (e.key === "Escape") { e.stopPropagation(); close(); } });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      send.disabled = true;
      showError("");
      api("POST", "/api/v1/rooms/" + room.id + "/assistant/resend", { messageId: m.id, body: ta.value })
        .then(close) // message.edit shows the new text
        .catch(function (err) { showError(err.message); send.disabled = false; });
    });
  }

  function questionActions(li, m) {
    var box = el("div", "question-actions");
    var b = el("button", "secondary small edit-question", "✎ " + t("js.gemini.edit"));
    b.type = "button";
    b.title = t("js.gemini.editTitle");
    b.addEventListener("click", function () { editQuestion(li, m); });
    box.appendChild(b);
    beforeTools(li.querySelector(".message-main"), box);
  }

  // beforeTools puts node above the message's tool bar: on a touch screen
  // the bar joins the flow when the message takes focus (style.css), and
  // must not push a button away between the tap and its click.
  function beforeTools(main, node) {
    main.insertBefore(node, main.querySelector(":scope > .message-tools"));
  }

  function decorate(li, m) {
    if (!m.id || m.deleted) return;
    codeButtons(li);
    if (m.author !== "assistant") {
      if (room && room.assistant && m.user && m.user.id === me) questionActions(li, m);
      return;
    }
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
      beforeTools(main, box);
    }
    var meta = el("div", "reply-meta");
    if (m.model) {
      var tokens = m.usage ? " · " + t("js.gemini.tokens", { Tokens: m.usage.totalTokens.toLocaleString(window.toriiLang) }) : "";
      meta.appendChild(el("span", "muted small", m.model + tokens));
    }
    meta.appendChild(copyButton(m.body));
    if (room && room.assistant) {
      var regen = el("button", "secondary small regen-reply", "↻ " + t("js.gemini.regenerate"));
      regen.type = "button";
      regen.title = t("js.gemini.regenerateTitle");
      regen.addEventListener("click", function () { regenerate(regen); });
      meta.appendChild(regen);
    }
    beforeTools(main, meta);
  }

  window.toriiAssistant = { openRoom: openRoom, decorate: decorate };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
