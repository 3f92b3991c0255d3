// torii chat page (issue 17). One live connection per browser tab,
// GET /api/v1/events, carries every event the user may see: messages of all
// their rooms, edits, deletions, reactions, room-list changes, read markers,
// presence and typing. EventSource reconnects by itself with Last-Event-ID,
// so nothing is lost while "reconnecting…"; there is no polling.
//
// How a message looks is chat-render.js (every body through markdown.js:
// markdown-it, then DOMPurify; security.md H.39). This file decides what is
// shown and wires the controls. Gemini's page code (assistant.js) hooks in
// through window.toriiChat (below): toriiChat.on("message", fn(node, m))
// after a message is rendered, on("room", fn(room)) after a room opens,
// on("event", fn(type, data)) for every event of the live connection, and
// the room header's #room-tools area for its own controls.
//
// Gemini lives in the chat: "New Gemini conversation" creates a private
// assistant room; in any room a message starting with @gemini is answered.
// While a reply streams (assistant.delta) it shows in a pending bubble that
// the stored message replaces; Stop (or Esc) cancels it; assistant.error
// becomes a line in the room. A streaming reply is not rendered on every
// delta: see paintStream.
(function () {
  "use strict";
  var R = window.toriiChatRender, el = R.el;
  var $ = function (id) { return document.getElementById(id); };
  var chat = $("chat"), list = $("messages"), roomList = $("room-list"), state = $("conn-state");
  var ta = $("composer-body"), sendBtn = $("send"), stopBtn = $("assistant-stop");
  var me = Number(chat.dataset.userId), myName = chat.dataset.userName || "";
  var isAdmin = chat.dataset.admin === "true", assistantOn = chat.dataset.assistant === "on";
  var maxBytes = Number(chat.dataset.maxMessageBytes) || 8192;
  var t = window.t; // i18n.js: the page language's "js.*" messages

  var rooms = {}; // id → room, every room the user can see
  var current = null, oldest = null, loadingOlder = false;
  var seen = {}; // message id → message, in the current room
  var replied = {}; // replyTo → true once the stored reply is shown
  var finished = {}; // replyTo → true once assistant.done/error came
  var inflight = null; // replyTo of the reply streaming in the current room
  var streams = {}; // replyTo → {text, timer, last, cost} of a streaming reply
  var askers = {}; // replyTo → the user id who asked (assistant.delta's askedBy)
  var people = {}; // user id → {id, name, avatarUrl}: everyone the page has seen
  var members = []; // the current room's members
  var membersLoaded = false; // members is the current room's (not still loading)
  var online = {}; // user id → true while they have an open connection
  var typing = {}; // user id → timer, in the current room
  var replyingTo = null; // the message the composer answers
  var baseTitle = document.title;
  var es = null, legacy = null; // the user's stream; a room stream if the server has none

  // --- API --------------------------------------------------------------

  // leaving is set once the page navigates away (Sign out is a form post).
  // Signing out ends this page's streams, and a request they start next
  // answers 401: sending the page to /login then would cut short the
  // sign-out's own answer (which goes to /login anyway).
  var leaving = false;
  window.addEventListener("beforeunload", function () { leaving = true; });

  // api calls the JSON API. A refusal becomes an Error whose message is
  // what the API said (with the reason of the field it names), and which
  // carries the code and status.
  function api(method, path, body) {
    var opts = { method: method, headers: {}, credentials: "same-origin" };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(path, opts).then(function (r) {
      if (r.status === 401) { if (!leaving) location.href = "/login"; throw new Error(t("js.chat.signedOut")); }
      if (r.status === 204) return null;
      return r.json().then(function (j) {
        if (!r.ok) {
          var e = j.error || {}, msg = e.message || t("js.common.requestFailed", { Status: r.status });
          var f = e.fields && Object.keys(e.fields).map(function (k) { return e.fields[k]; }).join(" ");
          var err = new Error(f && msg.indexOf(f) < 0 ? msg + " " + f : msg);
          err.code = e.code; err.status = r.status; err.fields = e.fields || {};
          throw err;
        }
        return j;
      });
    });
  }

  function showError(msg) {
    var e = $("chat-error");
    e.textContent = msg || "";
    e.hidden = !msg;
  }
  function fail(e) { showError(e.message); }

  // --- Hooks for assistant.js -----------------------------------------------

  var hooks = { message: [], room: [], event: [] };
  function fire(name) {
    var args = Array.prototype.slice.call(arguments, 1);
    hooks[name].forEach(function (fn) { try { fn.apply(null, args); } catch (e) { console.error(e); } });
  }

  // --- People and rooms -------------------------------------------------------

  function learn(u) {
    if (u && u.id) people[u.id] = { id: u.id, name: u.name, avatarUrl: u.avatarUrl };
  }

  // roomTitle: a DM is named after the others in it.
  function roomTitle(r) {
    if (r.kind === "dm") {
      var others = (r.members || []).filter(function (u) { return (u.id || u.userId) !== me; })
        .map(function (u) { return u.name; });
      return others.length ? others.join(", ") : (r.name || t("js.chatui.justYou"));
    }
    return r.name;
  }
  function canManage(r) {
    return !!r && (isAdmin || r.canManage === true || r.ownerId === me || (r.ownerId == null && r.createdBy === me));
  }
  function sortedRooms() {
    return Object.keys(rooms).map(function (k) { return rooms[k]; }).sort(function (a, b) {
      return roomTitle(a).localeCompare(roomTitle(b)) || a.id - b.id;
    });
  }

  function roomButton(r) {
    var li = document.createElement("li");
    var active = current && r.id === current.id;
    var b = el("button", "room-link" + (active ? " active" : "") + (r.unread ? " has-unread" : ""));
    b.type = "button";
    b.dataset.roomId = r.id;
    if (active) b.setAttribute("aria-current", "true");
    var icon;
    if (r.kind === "dm") {
      var other = (r.members || []).filter(function (u) { return (u.id || u.userId) !== me; });
      icon = other.length === 1 ? R.avatar({ id: other[0].id || other[0].userId, name: other[0].name, avatarUrl: other[0].avatarUrl }, "tiny")
        : el("span", "room-icon", String(other.length + 1));
      if (other.length === 1 && online[other[0].id || other[0].userId]) icon.classList.add("online");
    } else {
      icon = el("span", "room-icon", r.assistant ? "✦" : r.visibility === "private" ? "🔒" : r.visibility === "group" ? "⁂" : "#");
    }
    icon.setAttribute("aria-hidden", "true");
    b.append(icon, el("span", "room-title", roomTitle(r)));
    if (r.assistant) b.appendChild(el("span", "sr-only", " " + t("js.chat.geminiConversation")));
    else if (r.kind !== "dm" && r.visibility !== "public") b.appendChild(el("span", "sr-only", " " + (r.visibility === "group" ? t("js.chatui.groupRoom") : t("js.chat.privateRoom"))));
    if (r.archived) b.appendChild(el("span", "badge muted-badge", t("js.chatui.archived")));
    if (r.mentions) {
      var m = el("span", "mention-count", "@" + r.mentions);
      m.title = t("js.chatui.mentions", { Count: r.mentions });
      b.append(m, el("span", "sr-only", " " + t("js.chatui.mentions", { Count: r.mentions })));
    }
    if (r.unread && !(active && !document.hidden)) {
      var c = el("span", "unread", String(r.unread > 99 ? "99+" : r.unread));
      c.setAttribute("aria-hidden", "true");
      b.append(c, el("span", "sr-only", " " + t("js.chatui.unread", { Count: r.unread })));
    }
    b.addEventListener("click", function () { openRoom(r); setPanel(false); });
    li.appendChild(b);
    return li;
  }

  function renderRooms() {
    var chans = $("room-list"), dms = $("dm-list");
    chans.replaceChildren(); dms.replaceChildren();
    sortedRooms().forEach(function (r) {
      (r.kind === "dm" ? dms : chans).appendChild(roomButton(r));
    });
    $("dm-empty").hidden = dms.children.length > 0;
    updateBadge();
  }

  // updateBadge: the tab title counts unread messages ("(3) torii"), and
  // the Rooms button on a phone shows that some are waiting.
  function updateBadge() {
    var n = 0, mentions = 0;
    Object.keys(rooms).forEach(function (k) {
      var r = rooms[k];
      if (current && r.id === current.id && !document.hidden) return;
      n += r.unread || 0; mentions += r.mentions || 0;
    });
    document.title = n ? "(" + (n > 99 ? "99+" : n) + ") " + baseTitle : baseTitle;
    var tog = $("rooms-toggle-unread");
    tog.hidden = !n;
    tog.replaceChildren();
    if (n) {
      var mark = el("span", "", " " + (mentions ? "@" + mentions : "•"));
      mark.setAttribute("aria-hidden", "true");
      tog.append(mark, el("span", "sr-only", " " + t("js.chat.unread")));
    }
  }

  // On a narrow screen the rooms list is a panel the Rooms button opens.
  function setPanel(open) {
    chat.classList.toggle("rooms-open", open);
    $("rooms-toggle").setAttribute("aria-expanded", String(open));
  }
  $("rooms-toggle").addEventListener("click", function () {
    var open = !chat.classList.contains("rooms-open");
    setPanel(open);
    if (open) { var a = document.querySelector(".rooms .room-link.active") || document.querySelector(".rooms .room-link"); if (a) a.focus(); }
  });

  // The room list is read once, a page of 100 at a time; after that the
  // live connection keeps it current (room.add, room.update, room.remove).
  function fetchRooms() {
    var all = [];
    function page(after) {
      return api("GET", "/api/v1/rooms?limit=100" + (after ? "&after=" + after : "")).then(function (j) {
        all = all.concat(j.rooms);
        return j.nextAfter ? page(j.nextAfter) : all;
      });
    }
    return page(0);
  }

  function putRoom(r) {
    var old = rooms[r.id];
    if (old) Object.keys(r).forEach(function (k) { old[k] = r[k]; });
    else rooms[r.id] = r;
    (r.members || []).forEach(function (u) { learn({ id: u.id || u.userId, name: u.name, avatarUrl: u.avatarUrl }); });
    return rooms[r.id];
  }

  function removeRoom(id) {
    var r = rooms[id];
    if (!r) return;
    delete rooms[id];
    if (current && current.id === id) {
      current = null;
      var next = sortedRooms()[0];
      if (next) openRoom(next); else clearRoom();
      showError(t("js.chatui.roomGone", { Name: roomTitle(r) })); // after openRoom, which clears errors
    }
    renderRooms();
  }

  // --- Read markers, notifications ------------------------------------------

  var readTimer = 0;
  // markRead tells the server (and so the user's other devices) that the
  // current room is read up to its newest message, once the tab is seen.
  function markRead() {
    if (!current || document.hidden) return;
    var r = current, last = newestId();
    if (!last || (r.lastReadId || 0) >= last) {
      if (r.unread || r.mentions) { r.unread = 0; r.mentions = 0; renderRooms(); }
      return;
    }
    clearTimeout(readTimer);
    readTimer = setTimeout(function () {
      r.lastReadId = Math.max(r.lastReadId || 0, last);
      r.unread = 0; r.mentions = 0;
      renderRooms();
      api("POST", "/api/v1/rooms/" + r.id + "/read", { messageId: last }).then(onRead).catch(function () {});
    }, 300);
  }
  function newestId() {
    var ids = Object.keys(seen).map(Number);
    return ids.length ? Math.max.apply(null, ids) : 0;
  }

  // mentionsMe: the server resolves @name tokens to people (docs/api.md).
  function mentionsMe(m) { return (m.mentions || []).indexOf(me) >= 0; }

  // Notifications are opt-in: the button (the browser asks once), and
  // the choice kept per browser; a permission granted for another reason
  // does not turn them on. They come
  // for a mention of the user or a direct message, when the user is not
  // looking at that room.
  var notifyBtn = $("notify-toggle");
  function notifyState() {
    if (!("Notification" in window)) { notifyBtn.hidden = true; return; }
    var on = Notification.permission === "granted" && localStorage.getItem("torii.notify") === "on";
    notifyBtn.textContent = on ? t("js.chatui.notifyOn") : t("js.chatui.notifyOff");
    notifyBtn.setAttribute("aria-pressed", String(on));
    notifyBtn.hidden = Notification.permission === "denied";
  }
  notifyBtn.addEventListener("click", function () {
    if (Notification.permission === "granted") {
      localStorage.setItem("torii.notify", localStorage.getItem("torii.notify") === "on" ? "off" : "on");
      notifyState();
      return;
    }
    Promise.resolve(Notification.requestPermission()).then(function () {
      localStorage.setItem("torii.notify", "on");
      notifyState();
    });
  });
  function notify(r, m) {
    if (!("Notification" in window) || Notification.permission !== "granted" || localStorage.getItem("torii.notify") !== "on") return;
    if (current && current.id === r.id && !document.hidden) return;
    var who = m.user ? m.user.name : "Gemini";
    var title = r.kind === "dm" ? who : t("js.chatui.notifyTitle", { Name: who, Room: roomTitle(r) });
    try {
      var n = new Notification(title, { body: (m.body || "").slice(0, 200), tag: "torii-room-" + r.id });
      n.onclick = function () { window.focus(); openRoom(r); n.close(); };
    } catch (e) { /* some browsers allow notifications only from a service worker */ }
  }

  // --- Messages -----------------------------------------------------------

  var statusNotes = {
    incomplete: t("js.chat.replyIncomplete"),
    error: t("js.chat.replyStopped")
  };

  function memberNames() {
    var seenIds = {}, out = [];
    members.concat(Object.keys(people).map(function (k) { return people[k]; })).forEach(function (u) {
      var id = u.id || u.userId;
      if (!u.name || seenIds[id]) return;
      seenIds[id] = true;
      out.push({ id: id, name: u.name });
    });
    return out;
  }

  function renderCtx() {
    return { me: me, t: t, names: memberNames(), statusNotes: statusNotes };
  }

  // quoteOf: the message a user message answers. An assistant reply's
  // replyTo is the question it answers, shown by order, not quoted.
  function quoteOf(m) { return m.author !== "assistant" && m.replyTo != null ? m.replyTo : null; }

  // messageNode renders m with its reply preview, reactions and tools.
  function messageNode(m) {
    var li = R.messageNode(m, renderCtx());
    var main = li.querySelector(".message-main");
    var quoted = quoteOf(m);
    var rp = m.replyPreview || m.quote || (quoted && seen[quoted]);
    if (quoted) {
      li.classList.add("has-reply");
      var q = el("button", "reply-quote");
      q.type = "button";
      if (rp && !rp.deleted && !rp.deletedAt) {
        q.append(el("strong", "", rp.user ? rp.user.name : t("js.chat.deletedUser")), " ", el("span", "", (rp.body || "").slice(0, 140)));
      } else {
        q.textContent = t("js.chatui.replyGone");
      }
      q.title = t("js.chatui.showReplied");
      q.addEventListener("click", function () { jumpTo(quoted); });
      main.insertBefore(q, main.querySelector(".body"));
    }
    if (m.reactions && m.reactions.length) main.appendChild(reactionsNode(m));
    if (m.id && !m.deleted) main.appendChild(toolsNode(m));
    var author = li.querySelector(".author");
    if (m.user && m.user.id !== me) {
      author.tabIndex = 0;
      author.setAttribute("role", "button");
      author.title = t("js.chatui.dmWith", { Name: m.user.name });
      author.addEventListener("click", function () { openDM([m.user.id]); });
      author.addEventListener("keydown", function (e) { if (e.key === "Enter") openDM([m.user.id]); });
    }
    if (m.id && m.id === firstUnreadId) {
      li.classList.add("first-unread");
      li.setAttribute("data-new", t("js.chatui.new")); // style.css shows it: content: attr(data-new)
    }
    if (window.toriiAssistant) window.toriiAssistant.decorate(li, m); // assistant.js (branch gemini)
    return li;
  }

  var REACTIONS = ["👍", "❤️", "😂", "🎉", "😮", "🙏", "👀", "✅"];

  function reactionsNode(m) {
    var box = el("div", "reactions");
    (m.reactions || []).forEach(function (rc) {
      var ids = rc.userIds || (rc.users || []).map(function (u) { return u.id; });
      var mine = rc.me === true || ids.indexOf(me) >= 0;
      var b = el("button", "reaction" + (mine ? " mine" : ""));
      b.type = "button";
      b.setAttribute("aria-pressed", String(mine));
      b.append(el("span", "emoji", rc.emoji), el("span", "count", String(rc.count || ids.length)));
      var names = (rc.users || ids.map(function (id) { return people[id] || { id: id, name: "#" + id }; }))
        .map(function (u) { return u.id === me ? t("js.chatui.you") : u.name; });
      b.title = t("js.chatui.reactedWith", { Names: names.join(", "), Emoji: rc.emoji });
      b.setAttribute("aria-label", b.title);
      b.addEventListener("click", function () { react(m, rc.emoji, !mine); });
      box.appendChild(b);
    });
    return box;
  }

  function react(m, emoji, on) {
    api(on ? "PUT" : "DELETE", "/api/v1/rooms/" + m.roomId + "/messages/" + m.id + "/reactions/" + encodeURIComponent(emoji))
      .then(function (j) { if (j && j.reactions) { m.reactions = j.reactions; replaceMessage(m); } })
      .catch(fail);
  }

  // toolsNode: the actions on a message, shown on hover and focus: react,
  // reply, and for its author edit; delete for its author, the room's
  // owner and admins.
  function toolsNode(m) {
    var box = el("div", "message-tools");
    box.setAttribute("role", "toolbar");
    box.setAttribute("aria-label", t("js.chatui.actions"));
    function tool(label, text, fn, cls) {
      var b = el("button", "tool" + (cls ? " " + cls : ""), text);
      b.type = "button";
      b.title = label;
      b.setAttribute("aria-label", label);
      b.addEventListener("click", fn);
      box.appendChild(b);
      return b;
    }
    tool(t("js.chatui.addReaction"), "☺", function (e) { pickReaction(m, e.currentTarget); }, "react");
    if (m.author !== "assistant") tool(t("js.chatui.reply"), "↩", function () { startReply(m); }, "reply");
    if (m.user && m.user.id === me) tool(t("js.chatui.edit"), "✎", function () { startEdit(m); }, "edit");
    if ((m.user && m.user.id === me) || canManage(current)) tool(t("js.chatui.delete"), "✕", function () { deleteMessage(m); }, "delete");
    return box;
  }

  function pickReaction(m, anchor) {
    var old = document.querySelector(".reaction-picker");
    if (old) { old.remove(); if (old.dataset.for === String(m.id)) return; }
    var p = el("div", "reaction-picker");
    p.dataset.for = m.id;
    p.setAttribute("role", "menu");
    REACTIONS.forEach(function (e) {
      var b = el("button", "", e);
      b.type = "button";
      b.setAttribute("role", "menuitem");
      b.setAttribute("aria-label", t("js.chatui.reactWith", { Emoji: e }));
      b.addEventListener("click", function () { p.remove(); react(m, e, true); });
      p.appendChild(b);
    });
    p.addEventListener("keydown", function (e) { if (e.key === "Escape") { e.stopPropagation(); p.remove(); anchor.focus(); } });
    anchor.parentNode.after(p);
    p.firstChild.focus();
  }

  function deleteMessage(m) {
    if (!confirm(t("js.chatui.deleteConfirm"))) return;
    api("DELETE", "/api/v1/rooms/" + m.roomId + "/messages/" + m.id)
      .then(function () { onDelete({ roomId: m.roomId, id: m.id }); })
      .catch(fail);
  }

  // startEdit swaps the body for an editor: Enter saves, Esc cancels.
  function startEdit(m) {
    var node = nodeOf(m.id);
    if (!node || node.querySelector(".edit-form")) return;
    var body = node.querySelector(".body");
    var form = el("form", "edit-form");
    var box = el("textarea");
    box.value = m.body;
    box.rows = 2;
    box.setAttribute("aria-label", t("js.chatui.editLabel"));
    var save = el("button", "primary small", t("js.chatui.save"));
    save.type = "submit";
    var cancel = el("button", "secondary small", t("js.chatui.cancel"));
    cancel.type = "button";
    var why = el("p", "field-error");
    why.hidden = true;
    var row = el("div", "edit-row");
    row.append(save, cancel);
    form.append(box, why, row);
    body.hidden = true;
    body.after(form);
    box.focus();
    function close() { form.remove(); body.hidden = false; ta.focus(); }
    cancel.addEventListener("click", close);
    box.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { e.preventDefault(); e.stopPropagation(); close(); }
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) { e.preventDefault(); form.requestSubmit(); }
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var text = box.value;
      var reason = sizeReason(text);
      if (reason) { why.textContent = reason; why.hidden = false; return; }
      if (text === m.body) { close(); return; }
      save.disabled = true;
      api("PATCH", "/api/v1/rooms/" + m.roomId + "/messages/" + m.id, { body: text }).then(function (j) {
        onEdit(j.message || j);
      }).catch(function (err) { why.textContent = err.message; why.hidden = false; save.disabled = false; });
    });
  }

  function nodeOf(id) { return list.querySelector('li.message[data-id="' + Number(id) + '"]'); }

  // scrollToNode scrolls the message list only (scrollIntoView would
  // scroll the page's panels too), leaving room above for the New line.
  function scrollToNode(n, center) {
    var off = n.getBoundingClientRect().top - list.getBoundingClientRect().top;
    list.scrollTop += center ? off - list.clientHeight / 2 + n.offsetHeight / 2 : off - 28;
  }
  // updateJump shows "Jump to first unread" while that message is above
  // the visible part of the list.
  function updateJump() {
    var fu = firstUnreadId && nodeOf(firstUnreadId);
    $("jump-unread").hidden = !fu || fu.getBoundingClientRect().bottom > list.getBoundingClientRect().top;
  }

  function jumpTo(id) {
    var n = nodeOf(id);
    if (!n) return;
    scrollToNode(n, true);
    n.classList.add("flash");
    setTimeout(function () { n.classList.remove("flash"); }, 1500);
  }

  function atBottom() { return list.scrollHeight - list.scrollTop - list.clientHeight < 60; }

  function remember(m) {
    seen[m.id] = m;
    learn(m.user);
    if (m.author === "assistant" && m.replyTo != null) replied[m.replyTo] = true;
  }

  function show(node, m) {
    fire("message", node, m);
  }

  function append(m) {
    if (seen[m.id]) return;
    var bottom = atBottom();
    remember(m);
    var node = messageNode(m);
    var answers = m.author === "assistant" && m.replyTo != null;
    var pending = answers && streamingNode(m.replyTo);
    if (answers) dropStream(m.replyTo);
    if (pending) pending.replaceWith(node); // the stored reply replaces the stream
    else list.appendChild(node);
    R.layout(list, t);
    show(node, m);
    if (bottom || (m.user && m.user.id === me)) list.scrollTop = list.scrollHeight;
    markRead();
  }

  function prepend(ms) {
    var before = list.scrollHeight, top = list.scrollTop;
    var nodes = [];
    ms.forEach(function (m) { // newest first: each goes on top
      if (seen[m.id]) return;
      remember(m);
      var node = messageNode(m);
      list.insertBefore(node, list.firstChild);
      nodes.push([node, m]);
    });
    R.layout(list, t);
    nodes.forEach(function (p) { show(p[0], p[1]); });
    list.scrollTop = top + list.scrollHeight - before;
  }

  // replaceMessage re-renders a message in place (edits, reactions).
  function replaceMessage(m) {
    var old = nodeOf(m.id);
    seen[m.id] = m;
    if (!old) return;
    var node = messageNode(m);
    // A message drawn again (a reaction, an edit) keeps the keyboard
    // focus: its tools show while it has it.
    var focused = old.contains(document.activeElement);
    old.replaceWith(node);
    R.layout(list, t);
    show(node, m);
    if (focused) node.focus({ preventScroll: true });
  }

  function loadOlder() {
    if (!current || loadingOlder || oldest === null) return;
    loadingOlder = true;
    var room = current;
    var q = oldest > 0 ? "?before=" + oldest : "";
    list.setAttribute("aria-busy", "true");
    api("GET", "/api/v1/rooms/" + room.id + "/messages" + q).then(function (j) {
      if (room !== current) return;
      prepend(j.messages);
      oldest = j.nextBefore;
    }).catch(fail).finally(function () {
      loadingOlder = false;
      list.removeAttribute("aria-busy");
    });
  }

  // --- Gemini replies -------------------------------------------------------

  function streamingNode(replyTo) {
    return list.querySelector('li.streaming[data-reply-to="' + Number(replyTo) + '"]');
  }

  // pendingBubble is the bubble a reply streams into. aria-busy keeps
  // screen readers from reading every chunk: the stored reply that
  // replaces it is announced once.
  function pendingBubble(replyTo) {
    var node = streamingNode(replyTo);
    if (node) return node;
    node = R.messageNode({ author: "assistant", body: "", createdAt: new Date().toISOString() }, renderCtx());
    node.classList.add("streaming");
    node.setAttribute("aria-busy", "true");
    node.dataset.replyTo = replyTo;
    var bottom = atBottom();
    list.appendChild(node);
    R.layout(list, t);
    if (bottom) list.scrollTop = list.scrollHeight;
    return node;
  }

  function setInflight(replyTo) {
    inflight = replyTo;
    var asked = replyTo !== null && (askers[replyTo] === me || (seen[replyTo] && seen[replyTo].user && seen[replyTo].user.id === me));
    var mine = replyTo !== null && (asked || (current && current.assistant && current.createdBy === me));
    stopBtn.hidden = !mine;
    // An assistant room answers one message at a time (docs/api.md, Limits).
    sendBtn.disabled = replyTo !== null && !!(current && current.assistant);
  }

  // A streaming reply's text grows with each delta, but rendering it all
  // again per delta would cost O(length) each time (issue 13). So deltas only
  // collect text, and paintStream renders at most once per PAINT_GAP ms, or
  // less often when one render costs more than a fifth of that time: the
  // page keeps at least four fifths of its time for the user, whatever the
  // reply holds. The stored reply that replaces the bubble is rendered once.
  var PAINT_GAP = 100;
  function onDelta(d) {
    if (replied[d.replyTo] || finished[d.replyTo]) return;
    pendingBubble(d.replyTo);
    var s = streams[d.replyTo] || (streams[d.replyTo] = { text: "", timer: 0, last: 0, cost: 0 });
    if (d.askedBy != null) askers[d.replyTo] = d.askedBy;
    // offset: where the chunk starts in the reply; a stream opened
    // mid-reply first gets the text so far (offset 0), then live chunks
    // that may overlap it.
    if (typeof d.offset !== "number" || d.offset > s.text.length) s.text += d.text;
    else if (d.offset + d.text.length > s.text.length) s.text = s.text.slice(0, d.offset) + d.text;
    if (!s.timer) {
      var wait = s.last + Math.max(PAINT_GAP, 4 * s.cost) - performance.now();
      s.timer = setTimeout(function () { paintStream(d.replyTo); }, Math.max(0, wait));
    }
    if (inflight !== d.replyTo) setInflight(d.replyTo);
  }

  function paintStream(replyTo) {
    var s = streams[replyTo], node = streamingNode(replyTo);
    if (!s) return;
    s.timer = 0;
    if (!node) return;
    var bottom = atBottom();
    var start = performance.now();
    node.querySelector(".body").replaceChildren(R.markdown(s.text));
    s.last = performance.now();
    s.cost = s.last - start;
    if (bottom) list.scrollTop = list.scrollHeight;
  }

  // dropStream forgets a streaming reply and its pending paint.
  function dropStream(replyTo) {
    var s = streams[replyTo];
    if (s && s.timer) clearTimeout(s.timer);
    delete streams[replyTo];
  }

  function onEnd(replyTo, message) {
    finished[replyTo] = true;
    dropStream(replyTo);
    var node = streamingNode(replyTo);
    if (node) node.remove(); // no stored reply came: nothing to keep
    if (message) {
      var li = el("li", "message system");
      li.dataset.replyTo = replyTo;
      var icon = el("span", "avatar small gemini", "!");
      icon.setAttribute("aria-hidden", "true");
      var main = el("div", "message-main");
      main.append(el("strong", "author", "Gemini"), el("div", "body", message));
      li.append(icon, main);
      list.appendChild(li);
      list.scrollTop = list.scrollHeight;
    }
    if (inflight === replyTo) setInflight(null);
  }

  function stopReply() {
    if (!current || inflight === null || stopBtn.hidden) return;
    stopBtn.disabled = true;
    api("POST", "/api/v1/rooms/" + current.id + "/assistant/cancel")
      .catch(fail)
      .finally(function () { stopBtn.disabled = false; });
  }

  // --- The live connection ----------------------------------------------------

  function setConn(s) {
    state.dataset.state = s;
    state.textContent = s === "live" ? t("js.chat.live") : s === "connecting" ? t("js.chat.connecting") : t("js.chat.reconnecting");
  }

  // connect opens the user's one stream. Its events carry roomId; those of
  // the room on screen are shown, the others count as unread.
  function connect() {
    setConn("connecting");
    es = new EventSource("/api/v1/events");
    var opened = false;
    es.onopen = function () { opened = true; setConn("live"); };
    es.onerror = function () {
      // A server without the user stream answers 404: EventSource gives up
      // (CLOSED) without ever opening. Fall back to the room's stream.
      if (!opened && es.readyState === EventSource.CLOSED) { es = null; if (current) connectRoom(current, newestId()); return; }
      setConn("reconnecting");
    };
    function on(type, fn) {
      es.addEventListener(type, function (ev) {
        var d;
        try { d = JSON.parse(ev.data); } catch (e) { return; }
        fn(d);
        fire("event", type, d);
      });
    }
    on("message", onMessage);
    on("message.edit", function (d) { onEdit(d.message || d); });
    on("message.delete", onDelete);
    on("reaction", onReaction);
    on("room.add", function (d) { putRoom(d.room || d); renderRooms(); });
    on("room.update", onRoomUpdate);
    on("room.remove", function (d) { removeRoom(d.roomId); });
    on("read", onRead);
    on("presence", onPresence);
    on("typing", onTyping);
    on("assistant.delta", function (d) { userStreamAssistant = true; if (isCurrent(d)) onDelta(d); });
    on("assistant.done", function (d) { if (isCurrent(d)) onEnd(d.replyTo, null); });
    on("assistant.error", function (d) { if (isCurrent(d)) onEnd(d.replyTo, assistantError(d)); });
  }
  function isCurrent(d) { return current && (d.roomId == null || d.roomId === current.id); }

  // connectRoom opens the room's own stream: the fallback for a server
  // without /api/v1/events, and, beside the user stream, the way a Gemini
  // reply's deltas arrive (assistant.* events are the room stream's, not
  // logged). It resolves when the stream is open.
  var userStreamAssistant = false; // the user stream carries assistant.* itself
  function connectRoom(r, after) {
    if (legacy) legacy.close();
    var fallback = !es;
    if (fallback) setConn("connecting");
    var src = legacy = new EventSource("/api/v1/rooms/" + r.id + "/events?after=" + after);
    var opened = new Promise(function (resolve) {
      src.onopen = function () { if (!es) setConn("live"); resolve(); };
      setTimeout(resolve, 3000);
    });
    src.onerror = function () { if (!es) setConn("reconnecting"); };
    function on(kind, fn) {
      src.addEventListener(kind, function (ev) { if (r === current && src === legacy) fn(JSON.parse(ev.data)); });
    }
    on("message", onMessage);
    function gemini(kind, fn) { on(kind, function (d) { if (!userStreamAssistant) fn(d); }); }
    gemini("assistant.delta", onDelta);
    gemini("assistant.done", function (d) { onEnd(d.replyTo, null); });
    gemini("assistant.error", function (d) { onEnd(d.replyTo, assistantError(d)); });
    return opened;
  }

  function onMessage(m) {
    if (current && m.roomId === current.id && seen[m.id]) return; // the other stream had it
    var r = rooms[m.roomId];
    learn(m.user);
    if (current && m.roomId === current.id) {
      stopTyping(m.user && m.user.id);
      append(m);
      if (document.hidden && !(m.user && m.user.id === me)) {
        r.unread = (r.unread || 0) + 1;
        if (mentionsMe(m)) r.mentions = (r.mentions || 0) + 1;
        renderRooms();
      }
    } else if (r && !(m.user && m.user.id === me) && m.id > (r.lastReadId || 0)) {
      r.unread = (r.unread || 0) + 1;
      if (mentionsMe(m)) r.mentions = (r.mentions || 0) + 1;
      r.lastMessageId = m.id;
      renderRooms();
    }
    if (r && !(m.user && m.user.id === me) && (r.kind === "dm" || mentionsMe(m))) notify(r, m);
  }

  function onEdit(m) {
    if (!current || m.roomId !== current.id || !seen[m.id]) return;
    var old = seen[m.id];
    Object.keys(m).forEach(function (k) { old[k] = m[k]; });
    replaceMessage(old);
  }

  function onDelete(d) {
    var id = d.id || d.messageId;
    if (!current || d.roomId !== current.id || !seen[id]) return;
    var m = seen[id];
    // A reply deleted to be regenerated (assistant.js): its question may
    // be answered again, and the new reply's deltas must show.
    if (m.author === "assistant" && m.replyTo != null) { delete replied[m.replyTo]; delete finished[m.replyTo]; }
    m.deleted = true;
    m.body = "";
    m.reactions = [];
    replaceMessage(m);
    if (replyingTo && replyingTo.id === id) cancelReply();
  }

  function onReaction(d) {
    var id = d.messageId || d.id;
    if (!current || d.roomId !== current.id || !seen[id]) return;
    var m = seen[id];
    if (d.reactions) m.reactions = d.reactions;
    else if (d.emoji) { // one change: {emoji, userId, on}
      var rs = m.reactions || (m.reactions = []);
      var rc = rs.find(function (x) { return x.emoji === d.emoji; });
      if (!rc) { rc = { emoji: d.emoji, count: 0, userIds: [] }; rs.push(rc); }
      rc.userIds = (rc.userIds || []).filter(function (u) { return u !== d.userId; });
      if (d.on !== false && d.added !== false) rc.userIds.push(d.userId);
      rc.count = rc.userIds.length;
      m.reactions = rs.filter(function (x) { return x.count > 0; });
    }
    replaceMessage(m);
  }

  function onRoomUpdate(d) {
    var r = putRoom(d.room || d);
    if (d.room == null && d.roomId && !rooms[d.roomId]) return;
    renderRooms();
    if (current && r.id === current.id) renderHeader();
  }

  function onRead(d) {
    var r = rooms[d.roomId];
    if (!r) return;
    var lr = d.lastRead != null ? d.lastRead : d.lastReadId;
    if (lr != null) r.lastReadId = Math.max(r.lastReadId || 0, lr);
    if (d.unread != null) r.unread = d.unread;
    if (d.mentions != null) r.mentions = d.mentions;
    renderRooms();
  }

  function onPresence(d) {
    var id = d.userId;
    if (d.online) online[id] = true; else delete online[id];
    var dot = document.querySelector('#member-list li[data-user-id="' + Number(id) + '"]');
    if (dot) dot.classList.toggle("online", !!d.online);
    renderMembersCount();
    renderRooms();
  }

  // --- Typing -----------------------------------------------------------------

  function onTyping(d) {
    if (!current || d.roomId !== current.id || d.userId === me) return;
    var id = d.userId;
    if (d.name) learn({ id: id, name: d.name });
    clearTimeout(typing[id]);
    typing[id] = setTimeout(function () { stopTyping(id); }, 6000);
    renderTyping();
  }
  function stopTyping(id) {
    if (id == null || !typing[id]) return;
    clearTimeout(typing[id]);
    delete typing[id];
    renderTyping();
  }
  function renderTyping() {
    var names = Object.keys(typing).map(function (id) { return (people[id] || {}).name || "…"; });
    var box = $("typing");
    box.textContent = !names.length ? "" : names.length === 1 ? t("js.chatui.typingOne", { Name: names[0] })
      : names.length === 2 ? t("js.chatui.typingTwo", { A: names[0], B: names[1] }) : t("js.chatui.typingMany");
  }
  var lastTypingSent = 0;
  function sendTyping() {
    if (!current || Date.now() - lastTypingSent < 3000 || ta.value.trim() === "") return;
    lastTypingSent = Date.now();
    api("POST", "/api/v1/rooms/" + current.id + "/typing").catch(function () {});
  }

  // --- Opening a room -----------------------------------------------------------

  var firstUnreadId = 0;

  function clearRoom() {
    list.replaceChildren();
    $("room-name").textContent = "";
    $("room-topic").textContent = "";
  }

  function openRoom(r, initial) {
    if (legacy) { legacy.close(); legacy = null; }
    current = r;
    Object.keys(streams).forEach(dropStream);
    Object.keys(typing).forEach(function (id) { clearTimeout(typing[id]); });
    seen = {}; replied = {}; finished = {}; typing = {}; askers = {}; members = []; membersLoaded = false;
    renderTyping();
    cancelReply();
    setInflight(null);
    oldest = 0;
    list.replaceChildren();
    showError("");
    firstUnreadId = 0;
    var unreadBefore = r.unread || 0, lastRead = r.lastReadId;
    renderHeader();
    if (window.toriiAssistant) window.toriiAssistant.openRoom(r, me); // assistant.js (branch gemini)
    list.dataset.kind = r.assistant ? "assistant" : "room";
    ta.placeholder = r.assistant ? t("js.chat.askGemini") : t("js.chat.messageRoom", { Room: (r.kind !== "dm" && r.visibility === "public" ? "#" : "") + roomTitle(r) });
    renderRooms();
    if (!initial) history.replaceState(null, "", "/?room=" + r.id);
    loadMembers(r);
    list.setAttribute("aria-busy", "true");
    api("GET", "/api/v1/rooms/" + r.id + "/messages").then(function (j) {
      if (r !== current) return;
      // The first unread: after the read marker, else the unread-th newest
      // message from someone else.
      if (unreadBefore) {
        var others = j.messages.filter(function (m) { return !(m.user && m.user.id === me); });
        var first = lastRead != null ? j.messages.filter(function (m) { return m.id > lastRead; }).pop() : others[Math.min(unreadBefore, others.length) - 1];
        firstUnreadId = first ? first.id : 0;
      }
      prepend(j.messages);
      oldest = j.nextBefore;
      var fu = firstUnreadId && nodeOf(firstUnreadId);
      if (fu) scrollToNode(fu, false);
      else list.scrollTop = list.scrollHeight;
      updateJump();
      if ((!es && !legacy) || (r.assistant && assistantOn && !userStreamAssistant)) connectRoom(r, newestId());
      markRead();
      fire("room", r);
    }).catch(fail).finally(function () { list.removeAttribute("aria-busy"); });
  }

  $("jump-unread").addEventListener("click", function () {
    var n = firstUnreadId && nodeOf(firstUnreadId);
    if (n) scrollToNode(n, false);
    updateJump();
  });

  function renderHeader() {
    var r = current;
    $("room-name").textContent = r ? roomTitle(r) : "";
    $("room-kind").hidden = !(r && r.assistant);
    $("room-topic").textContent = r && r.topic ? r.topic : "";
    $("room-topic").hidden = !(r && r.topic);
    var dm = r && r.kind === "dm";
    $("room-settings-open").hidden = !r || dm || r.assistant || !canManage(r);
    $("members-toggle").hidden = !r || r.assistant;
    $("room-archived").hidden = !(r && r.archived);
    ta.disabled = !!(r && r.archived);
    sendBtn.disabled = !!(r && r.archived);
  }

  // --- Members --------------------------------------------------------------------

  function loadMembers(r) {
    renderMembers();
    if (r.assistant) return;
    api("GET", "/api/v1/rooms/" + r.id + "/members").then(function (j) {
      if (r !== current) return;
      membersLoaded = true;
      members = (j.members || []).map(function (u) {
        var id = u.userId || u.id;
        learn({ id: id, name: u.name, avatarUrl: u.avatarUrl });
        if (u.online) online[id] = true;
        return { id: id, name: u.name, avatarUrl: u.avatarUrl, owner: !!u.owner || u.role === "owner" };
      });
      renderMembers();
    }).catch(function () { members = []; renderMembers(); });
  }

  function renderMembersCount() {
    var n = members.filter(function (u) { return online[u.id]; }).length;
    $("members-count").textContent = members.length ? t("js.chatui.membersCount", { Count: members.length, Online: n }) : "";
  }

  function renderMembers() {
    var ul = $("member-list");
    ul.replaceChildren();
    var r = current, manage = canManage(r) && r && r.kind !== "dm";
    members.slice().sort(function (a, b) {
      return (online[b.id] ? 1 : 0) - (online[a.id] ? 1 : 0) || a.name.localeCompare(b.name);
    }).forEach(function (u) {
      var li = el("li", "member" + (online[u.id] ? " online" : ""));
      li.dataset.userId = u.id;
      var who = el("button", "member-name link");
      who.type = "button";
      who.append(R.avatar(u, "tiny"), el("span", "", u.name + (u.id === me ? " " + t("js.chatui.membersYou") : "")));
      who.title = u.id === me ? "" : t("js.chatui.dmWith", { Name: u.name });
      who.addEventListener("click", function () { if (u.id !== me) openDM([u.id]); });
      var st = el("span", "sr-only presence", online[u.id] ? t("js.chatui.online") : t("js.chatui.offline"));
      li.append(who, st);
      if (u.owner) li.appendChild(el("span", "badge", t("js.chatui.owner")));
      if (manage && u.id !== me) {
        var rm = el("button", "link small remove", t("js.chatui.remove"));
        rm.type = "button";
        rm.setAttribute("aria-label", t("js.chatui.removeWho", { Name: u.name }));
        rm.addEventListener("click", function () {
          if (!confirm(t("js.chatui.removeConfirm", { Name: u.name, Room: roomTitle(r) }))) return;
          api("DELETE", "/api/v1/rooms/" + r.id + "/members/" + u.id).then(function () {
            members = members.filter(function (x) { return x.id !== u.id; });
            renderMembers();
          }).catch(fail);
        });
        li.appendChild(rm);
      }
      ul.appendChild(li);
    });
    $("invite").hidden = !manage || !r || r.visibility === "public" && !canManage(r);
    renderMembersCount();
    $("join-room").hidden = !mayJoin();
    $("leave-room").hidden = !r || r.assistant || mayJoin() || !membersLoaded;
  }

  // mayJoin: a public room the user reads without being a member (mentions
  // and notifications are for members).
  function mayJoin() {
    var r = current;
    return !!r && membersLoaded && r.kind !== "dm" && r.visibility === "public" && !r.assistant &&
      !members.some(function (u) { return u.id === me; });
  }
  function join() {
    var r = current;
    return api("POST", "/api/v1/rooms/" + r.id + "/members", { userId: me }).catch(function (e) {
      if (e.status !== 409) throw e;
    }).then(function () { if (r === current) loadMembers(r); });
  }
  $("join-room").addEventListener("click", function () { join().catch(fail); });

  $("members-toggle").addEventListener("click", function () {
    var open = !chat.classList.contains("members-open");
    chat.classList.toggle("members-open", open);
    $("members-toggle").setAttribute("aria-expanded", String(open));
    if (open) $("members-panel").focus();
  });
  $("members-close").addEventListener("click", function () {
    chat.classList.remove("members-open");
    $("members-toggle").setAttribute("aria-expanded", "false");
    $("members-toggle").focus();
  });

  $("leave-room").addEventListener("click", function () {
    var r = current;
    if (!r || !confirm(t("js.chatui.leaveConfirm", { Room: roomTitle(r) }))) return;
    api("DELETE", "/api/v1/rooms/" + r.id + "/members/" + me).then(function () {
      chat.classList.remove("members-open");
      // A public room stays in the list (anyone may read it); others go.
      if (r.visibility === "public" && r.kind !== "dm") { renderHeader(); loadMembers(r); }
      else { removeRoom(r.id); showError(""); } // left on purpose: no "no longer have access"
    }).catch(fail);
  });

  // People search, for DMs and invitations: the server answers with the
  // people the user may see.
  function searchPeople(q) {
    return api("GET", "/api/v1/people?q=" + encodeURIComponent(q) + "&limit=20").then(function (j) {
      var us = j.people || [];
      us.forEach(learn);
      return us;
    });
  }

  // personPicker wires a search box to a result list; pick(u) is called
  // with the chosen person.
  function personPicker(input, results, pick, exclude) {
    var timer = 0, gen = 0;
    function run() {
      var q = input.value.trim(), mine = ++gen;
      searchPeople(q).then(function (us) {
        if (mine !== gen) return;
        results.replaceChildren();
        us.filter(function (u) { return u.id !== me && !(exclude && exclude(u)); }).forEach(function (u) {
          var li = el("li");
          var b = el("button", "person", "");
          b.type = "button";
          b.append(R.avatar(u, "tiny"), el("span", "", u.name));
          if (u.email) b.appendChild(el("span", "muted small", " " + u.email));
          b.addEventListener("click", function () { pick(u); input.focus(); });
          li.appendChild(b);
          results.appendChild(li);
        });
        if (!results.children.length) results.appendChild(el("li", "muted small", t("js.chatui.nobody")));
      }).catch(function (e) { results.replaceChildren(el("li", "field-error", e.message)); });
    }
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 150); });
    return run;
  }

  var inviteRun = personPicker($("invite-q"), $("invite-results"), function (u) {
    var r = current;
    api("POST", "/api/v1/rooms/" + r.id + "/members", { userId: u.id }).then(function () {
      $("invite-q").value = "";
      $("invite-results").replaceChildren();
      loadMembers(r);
    }).catch(fail);
  }, function (u) { return members.some(function (x) { return x.id === u.id; }); });
  $("invite-q").addEventListener("focus", function () { if (!$("invite-results").children.length) inviteRun(); });

  // --- Direct messages ----------------------------------------------------------------

  // openDM opens the DM with exactly these people, creating it the first
  // time (POST /api/v1/dms answers the existing one after that).
  function openDM(userIds) {
    return api("POST", "/api/v1/dms", { userIds: userIds }).then(function (j) {
      var r = putRoom(j.room);
      renderRooms();
      openRoom(r);
      setPanel(false);
      chat.classList.remove("members-open");
      ta.focus();
    }).catch(fail);
  }

  var dmDialog = $("dm-dialog"), dmPicked = [];
  function renderPicked() {
    var box = $("dm-picked");
    box.replaceChildren();
    dmPicked.forEach(function (u) {
      var chip = el("button", "chip", u.name + " ×");
      chip.type = "button";
      chip.setAttribute("aria-label", t("js.chatui.unpick", { Name: u.name }));
      chip.addEventListener("click", function () { dmPicked = dmPicked.filter(function (x) { return x.id !== u.id; }); renderPicked(); });
      box.appendChild(chip);
    });
    $("dm-start").disabled = !dmPicked.length;
    $("dm-limit").hidden = dmPicked.length < 7;
  }
  var dmRun = personPicker($("dm-q"), $("dm-results"), function (u) {
    if (dmPicked.length >= 7 || dmPicked.some(function (x) { return x.id === u.id; })) return;
    dmPicked.push(u);
    renderPicked();
  }, function (u) { return dmPicked.some(function (x) { return x.id === u.id; }); });
  $("new-dm").addEventListener("click", function () {
    dmPicked = [];
    renderPicked();
    $("dm-q").value = "";
    dmDialog.showModal();
    dmRun();
  });
  $("dm-cancel").addEventListener("click", function () { dmDialog.close(); });
  $("dm-form").addEventListener("submit", function (e) {
    e.preventDefault();
    if (!dmPicked.length) return;
    openDM(dmPicked.map(function (u) { return u.id; })).then(function () { dmDialog.close(); });
  });

  // --- Room settings ---------------------------------------------------------------

  var settings = $("room-settings");
  $("room-settings-open").addEventListener("click", function () {
    var r = current;
    $("settings-name").value = r.name;
    $("settings-topic").value = r.topic || "";
    $("settings-archive").textContent = r.archived ? t("js.chatui.unarchive") : t("js.chatui.archive");
    $("settings-error").hidden = true;
    settings.showModal();
  });
  function settingsFail(e) { $("settings-error").textContent = e.message; $("settings-error").hidden = false; }
  function patchRoom(fields) {
    var r = current;
    return api("PATCH", "/api/v1/rooms/" + r.id, fields).then(function (j) {
      putRoom(j.room || j);
      renderRooms();
      renderHeader();
      settings.close();
    }).catch(settingsFail);
  }
  $("settings-form").addEventListener("submit", function (e) {
    e.preventDefault();
    patchRoom({ name: $("settings-name").value, topic: $("settings-topic").value });
  });
  $("settings-cancel").addEventListener("click", function () { settings.close(); });
  $("settings-archive").addEventListener("click", function () { patchRoom({ archived: !current.archived }); });
  $("settings-delete").addEventListener("click", function () {
    var r = current;
    if (!confirm(t("js.chatui.deleteRoomConfirm", { Room: roomTitle(r) }))) return;
    api("DELETE", "/api/v1/rooms/" + r.id).then(function () { settings.close(); removeRoom(r.id); }).catch(settingsFail);
  });

  // --- Composer ------------------------------------------------------------------------

  // sizeReason says why a message cannot be sent before it is: the API's
  // limit is in bytes of UTF-8, which a textarea's maxlength cannot count.
  var encoder = new TextEncoder();
  function sizeReason(text) {
    var n = encoder.encode(text).length;
    if (n <= maxBytes) return "";
    return t("js.chatui.tooBig", { Bytes: n.toLocaleString(), Max: maxBytes.toLocaleString() });
  }
  function checkSize() {
    var reason = sizeReason(ta.value);
    $("composer-size").textContent = reason;
    $("composer-size").hidden = !reason;
    ta.setAttribute("aria-invalid", String(!!reason));
    return reason;
  }

  // assistantError is an assistant.error's message in the page's language:
  // the server's message is English, its code is stable (docs/api.md).
  function assistantError(d) {
    var key = "js.chat.assistantError." + d.code;
    var text = t(key);
    return text !== key ? text : (d.message || t("js.chat.geminiFailed"));
  }

  function asksGemini(body) {
    return assistantOn && !!current && (current.assistant || /^\s*@gemini/i.test(body));
  }

  function startReply(m) {
    replyingTo = m;
    var box = $("replying");
    box.hidden = false;
    $("replying-text").replaceChildren(el("strong", "", m.user ? m.user.name : ""), " ", el("span", "", (m.body || "").slice(0, 140)));
    ta.focus();
  }
  function cancelReply() {
    replyingTo = null;
    $("replying").hidden = true;
  }
  $("replying-cancel").addEventListener("click", function () { cancelReply(); ta.focus(); });

  function send() {
    var body = ta.value;
    if (!current || body.trim() === "" || sendBtn.disabled) return;
    var reason = checkSize();
    if (reason) return;
    var room = current;
    var clientId = (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random());
    var payload = { body: body, clientId: clientId };
    if (replyingTo) payload.replyTo = replyingTo.id;
    ta.value = "";
    cancelReply();
    closeMentions();
    lastTypingSent = 0;
    // A question to Gemini outside its own room: the room stream brings
    // the reply's deltas (connectRoom).
    var listen = es && !legacy && !userStreamAssistant && asksGemini(body) ? connectRoom(room, newestId()) : Promise.resolve();
    Promise.all([listen, mayJoin() ? join() : null]).then(function () {
      return api("POST", "/api/v1/rooms/" + room.id + "/messages", payload);
    }).then(function (j) {
      if (room !== current) return;
      showError("");
      append(j.message);
      if (asksGemini(body) && !finished[j.message.id] && !replied[j.message.id]) {
        pendingBubble(j.message.id);
        setInflight(j.message.id);
      }
    }).catch(function (e) { if (ta.value === "") ta.value = body; showError(e.message); });
  }

  $("composer").addEventListener("submit", function (e) { e.preventDefault(); send(); });
  // Enter sends, Shift+Enter adds a line. A line break typed right after a
  // handled Enter (a char event that slips past the cancelled keydown, as
  // synthesized input does) is dropped too.
  var sentByEnter = false;
  // Enter while an input method composes (Japanese kana → kanji) confirms
  // the conversion and never sends: isComposing, and keyCode 229 for
  // browsers (Safari) that send the confirming keydown after compositionend.
  ta.addEventListener("keydown", function (e) {
    if (mentionKey(e)) return;
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) { e.preventDefault(); sentByEnter = true; send(); }
    if (e.key === "ArrowUp" && ta.value === "") { // edit my last message, as in Slack
      var mine = Object.keys(seen).map(Number).sort(function (a, b) { return b - a; })
        .map(function (id) { return seen[id]; }).find(function (m) { return m.user && m.user.id === me && !m.deleted; });
      if (mine) { e.preventDefault(); startEdit(mine); }
    }
  });
  ta.addEventListener("keyup", function () { sentByEnter = false; });
  ta.addEventListener("beforeinput", function (e) {
    if (sentByEnter && (e.inputType === "insertLineBreak" || e.inputType === "insertParagraph")) e.preventDefault();
  });
  ta.addEventListener("input", function () { checkSize(); sendTyping(); updateMentions(); });
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") return;
    if (inflight !== null && !stopBtn.hidden) { e.preventDefault(); stopReply(); return; }
    if (replyingTo && document.activeElement === ta) { cancelReply(); return; }
    if (chat.classList.contains("rooms-open")) { setPanel(false); $("rooms-toggle").focus(); }
  });
  stopBtn.addEventListener("click", stopReply);
  list.addEventListener("scroll", function () {
    if (list.scrollTop < 60) loadOlder();
    updateJump();
  });
  document.addEventListener("click", function (e) {
    var p = document.querySelector(".reaction-picker");
    if (p && !p.contains(e.target) && !e.target.closest(".tool.react")) p.remove();
  });

  // --- @name autocomplete ------------------------------------------------------------

  var mentionBox = $("mention-list"), mentionAt = -1, mentionSel = 0;
  function mentionCandidates(q) {
    q = q.toLowerCase();
    var out = memberNames().filter(function (u) {
      if (u.id === me) return false;
      var n = u.name.toLowerCase();
      return n.indexOf(q) === 0 || n.replace(/\s+/g, "").indexOf(q) === 0 || n.split(/\s+/).some(function (w) { return w.indexOf(q) === 0; });
    });
    if (assistantOn && "gemini".indexOf(q) === 0) out.push({ id: "gemini", name: "gemini" });
    return out.slice(0, 8);
  }
  function updateMentions() {
    var pos = ta.selectionStart, text = ta.value.slice(0, pos);
    var m = /(^|[^\w.])@([^@\n]{0,30})$/.exec(text);
    if (!m || m[2].indexOf("  ") >= 0) { closeMentions(); return; }
    var cands = mentionCandidates(m[2]);
    if (!cands.length) { closeMentions(); return; }
    mentionAt = pos - m[2].length - 1;
    mentionSel = Math.min(mentionSel, cands.length - 1);
    mentionBox.replaceChildren();
    cands.forEach(function (u, i) {
      var li = el("li", "", "");
      li.id = "mention-opt-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", String(i === mentionSel));
      li.dataset.name = u.name;
      if (u.id !== "gemini") li.appendChild(R.avatar(people[u.id] || u, "tiny"));
      li.appendChild(el("span", "", u.name));
      li.addEventListener("mousedown", function (e) { e.preventDefault(); pickMention(u.name); });
      mentionBox.appendChild(li);
    });
    mentionBox.hidden = false;
    ta.setAttribute("aria-expanded", "true");
    ta.setAttribute("aria-activedescendant", "mention-opt-" + mentionSel);
  }
  function closeMentions() {
    mentionBox.hidden = true;
    mentionAt = -1;
    mentionSel = 0;
    ta.setAttribute("aria-expanded", "false");
    ta.removeAttribute("aria-activedescendant");
  }
  function pickMention(name) {
    var pos = ta.selectionStart;
    var token = name.replace(/\s+/g, "");
    ta.value = ta.value.slice(0, mentionAt) + "@" + token + " " + ta.value.slice(pos);
    var at = mentionAt + token.length + 2;
    ta.setSelectionRange(at, at);
    closeMentions();
    ta.focus();
  }
  function mentionKey(e) {
    if (mentionBox.hidden) return false;
    var n = mentionBox.children.length;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      mentionSel = (mentionSel + (e.key === "ArrowDown" ? 1 : n - 1)) % n;
      updateMentions();
      return true;
    }
    if (e.key === "Enter" || e.key === "Tab") {
      e.preventDefault();
      sentByEnter = e.key === "Enter";
      pickMention(mentionBox.children[mentionSel].dataset.name);
      return true;
    }
    if (e.key === "Escape") { e.preventDefault(); e.stopPropagation(); closeMentions(); return true; }
    return false;
  }
  ta.addEventListener("blur", function () { setTimeout(closeMentions, 100); });

  // --- Creating rooms ----------------------------------------------------------------

  function created(room) {
    putRoom(room);
    openRoom(rooms[room.id]);
    setPanel(false);
    ta.focus();
  }
  var vis = $("new-room-visibility"), groupSel = $("new-room-group");
  vis.addEventListener("change", function () { groupSel.hidden = vis.value !== "group"; });
  api("GET", "/api/v1/groups").then(function (j) {
    var gs = j.groups || [];
    gs.forEach(function (g) { var o = el("option", "", g.name); o.value = g.id; groupSel.appendChild(o); });
    $("new-room-group-option").hidden = !gs.length;
    $("new-room-group-option").disabled = !gs.length;
  }).catch(function () {});
  $("new-room").addEventListener("submit", function (e) {
    e.preventDefault();
    var body = { name: $("new-room-name").value, visibility: vis.value };
    if (vis.value === "group") body.groupId = Number(groupSel.value);
    api("POST", "/api/v1/rooms", body).then(function (j) {
      $("new-room-name").value = "";
      created(j.room);
    }).catch(fail);
  });
  var ask = $("ask-gemini");
  if (ask) ask.addEventListener("click", function () {
    var stamp = window.toriiTime.format(new Date());
    ask.disabled = true;
    api("POST", "/api/v1/rooms", { name: t("js.chat.geminiRoomName", { When: stamp }), visibility: "private", assistant: true, autoTitle: true })
      .then(function (j) { created(j.room); })
      .catch(fail)
      .finally(function () { ask.disabled = false; });
  });

  // Seen again: the open room's messages are read now.
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) markRead();
    updateBadge();
  });
  window.addEventListener("focus", markRead);

  window.toriiChat = {
    on: function (name, fn) { hooks[name].push(fn); },
    api: api,
    t: t,
    me: me,
    current: function () { return current; },
    room: function (id) { return rooms[id]; },
    message: function (id) { return seen[id]; },
    messageNode: messageNode,
    rerender: replaceMessage,
    list: list,
    tools: $("room-tools")
  };

  notifyState();
  connect();
  fetchRooms().then(function (all) {
    all.forEach(putRoom);
    // A room the reader opened while the list loaded (a new Gemini
    // conversation, a room from the live stream) stays open.
    if (current) { renderRooms(); return; }
    var want = Number(new URLSearchParams(location.search).get("room"));
    var r = rooms[want] || sortedRooms().filter(function (x) { return x.kind !== "dm"; })[0] || sortedRooms()[0];
    if (r) openRoom(r, true); else renderRooms();
  }).catch(fail);
})();
