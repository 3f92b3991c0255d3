// torii chat page. Everything a user typed is put in the page with
// textContent, never innerHTML: no message can run script (security.md
// H.39); Gemini's replies go through markdown.js (markdown-it, then
// DOMPurify). Live updates come from the room's EventSource, which reconnects
// by itself with Last-Event-ID, so nothing is lost while "reconnecting…".
//
// Gemini lives in the chat: "New Gemini conversation" creates a private
// assistant room; in any room a message starting with @gemini is answered.
// While a reply streams (assistant.delta) it shows in a pending bubble that
// the stored message replaces; Stop (or Esc) cancels it; assistant.error
// becomes a line in the room. A streaming reply is not rendered on every
// delta: see paintStream.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var chat = $("chat"), list = $("messages"), roomList = $("room-list"), state = $("conn-state");
  var ta = $("composer-body"), sendBtn = $("send"), stopBtn = $("assistant-stop");
  var me = Number(chat.dataset.userId), assistantOn = chat.dataset.assistant === "on";
  var rooms = [], current = null, es = null, oldest = null, loadingOlder = false;
  var seen = {}; // message ids shown in the current room
  var authorOf = {}; // message id → user id, in the current room
  var replied = {}; // replyTo → true once the stored reply is shown
  var finished = {}; // replyTo → true once assistant.done/error came
  var inflight = null; // replyTo of the reply streaming in the current room
  var streams = {}; // replyTo → {text, timer, last, cost} of a streaming reply
  var unread = {}; // room id → true
  var hiddenCount = 0; // messages that came while the tab was hidden

  function api(method, path, body) {
    var opts = { method: method, headers: {}, credentials: "same-origin" };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(path, opts).then(function (r) {
      if (r.status === 401) { location.href = "/login"; throw new Error(t("js.chat.signedOut")); }
      if (r.status === 204) return null;
      return r.json().then(function (j) {
        if (!r.ok) throw new Error((j.error && j.error.message) || t("js.common.requestFailed", { Status: r.status }));
        return j;
      });
    });
  }

  function showError(msg) {
    var e = $("chat-error");
    e.textContent = msg || "";
    e.hidden = !msg;
  }

  function el(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined) n.textContent = text;
    return n;
  }

  // --- Rooms list -------------------------------------------------------

  function renderRooms() {
    roomList.replaceChildren();
    var any = false;
    rooms.forEach(function (r) {
      var li = document.createElement("li");
      var b = el("button", "room-link" + (current && r.id === current.id ? " active" : ""));
      b.type = "button";
      b.dataset.roomId = r.id;
      if (current && r.id === current.id) b.setAttribute("aria-current", "true");
      var icon = el("span", "room-icon", r.assistant ? "✦" : r.visibility === "private" ? "🔒" : "#");
      icon.setAttribute("aria-hidden", "true");
      b.append(icon, el("span", "room-title", r.name));
      if (r.assistant) b.appendChild(el("span", "sr-only", " " + t("js.chat.geminiConversation")));
      else if (r.visibility !== "public") b.appendChild(el("span", "sr-only", " " + t("js.chat.privateRoom")));
      if (unread[r.id]) {
        any = true;
        var dot = el("span", "unread");
        var mark = el("span", "", "•");
        mark.setAttribute("aria-hidden", "true");
        dot.append(mark, el("span", "sr-only", " " + t("js.chat.unread")));
        b.appendChild(dot);
      }
      b.addEventListener("click", function () { openRoom(r); setPanel(false); });
      li.appendChild(b);
      roomList.appendChild(li);
    });
    $("rooms-toggle-unread").hidden = !any;
    $("rooms-toggle-unread").textContent = any ? " •" : "";
  }

  // On a narrow screen the rooms list is a panel the Rooms button opens.
  function setPanel(open) {
    chat.classList.toggle("rooms-open", open);
    $("rooms-toggle").setAttribute("aria-expanded", String(open));
  }
  $("rooms-toggle").addEventListener("click", function () {
    var open = !chat.classList.contains("rooms-open");
    setPanel(open);
    if (open) { var a = roomList.querySelector(".room-link.active") || roomList.querySelector(".room-link"); if (a) a.focus(); }
  });

  // Unread markers: the last id read per room is kept in localStorage. The
  // other rooms' newest message is checked when the tab comes back into
  // view (visibilitychange, focus) and every 20 s while it is visible; a
  // hidden tab does not poll. The room list is refreshed at the same time,
  // so rooms created by others appear.
  function markRead(roomId, id) {
    var k = "torii.read." + roomId;
    if (Number(localStorage.getItem(k) || 0) < id) localStorage.setItem(k, String(id));
  }
  // The room list comes a page of up to 100 rooms at a time; each room
  // carries its newest message's id (lastMessageId), so the unread check
  // is the list itself: one request, not one per room.
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
  function checkUnread(list) {
    var changed = false;
    list.forEach(function (r) {
      if (current && r.id === current.id) return;
      var was = !!unread[r.id];
      unread[r.id] = (r.lastMessageId || 0) > Number(localStorage.getItem("torii.read." + r.id) || 0);
      if (was !== unread[r.id]) changed = true;
    });
    if (changed) renderRooms();
  }
  var refreshing = false;
  function refresh() {
    if (document.hidden || refreshing) return;
    refreshing = true;
    fetchRooms().then(function (list) {
      var known = {};
      rooms.forEach(function (r) { known[r.id] = true; });
      var added = list.filter(function (r) { return !known[r.id]; });
      if (added.length) { rooms = rooms.concat(added); renderRooms(); }
      checkUnread(list);
    }).catch(function () {}).finally(function () { refreshing = false; });
  }
  setInterval(refresh, 20000);
  window.addEventListener("focus", refresh);
  document.addEventListener("visibilitychange", function () {
    if (document.hidden) return;
    hiddenCount = 0;
    document.title = baseTitle;
    if (current && seenMax > 0) markRead(current.id, seenMax);
    refresh();
  });
  var baseTitle = document.title, seenMax = 0;

  // --- Messages -----------------------------------------------------------

  var statusNotes = {
    incomplete: t("js.chat.replyIncomplete"),
    error: t("js.chat.replyStopped")
  };

  function messageNode(m) {
    var assistant = m.author === "assistant";
    var li = el("li", "message" + (assistant ? " assistant" : "") + (m.user && m.user.id === me ? " mine" : ""));
    if (m.id) li.dataset.id = m.id;
    var av = el("span", "avatar small" + (assistant ? " gemini" : ""));
    av.setAttribute("aria-hidden", "true");
    var name = assistant ? "Gemini" : (m.user ? m.user.name : t("js.chat.deletedUser"));
    av.textContent = assistant ? "✦" : (name || "?").charAt(0).toUpperCase();
    var head = el("div", "message-head");
    var when = document.createElement("time");
    when.dateTime = m.createdAt;
    when.textContent = window.toriiTime.format(m.createdAt);
    when.title = window.toriiTime.format(m.createdAt, "full");
    head.append(el("strong", "author", name), " ", when);
    var body = el("div", "body");
    if (assistant && window.toriiMarkdown) {
      // Gemini answers in Markdown: markdown.js sanitises what it renders.
      body.appendChild(window.toriiMarkdown.render(m.body));
    } else {
      body.textContent = m.body; // text, never HTML
    }
    var main = el("div", "message-main");
    main.append(head, body);
    if (assistant && statusNotes[m.status]) main.appendChild(el("p", "note", statusNotes[m.status]));
    li.append(av, main);
    if (window.toriiAssistant) window.toriiAssistant.decorate(li, m); // assistant.js
    return li;
  }

  function atBottom() { return list.scrollHeight - list.scrollTop - list.clientHeight < 60; }

  function remember(m) {
    seen[m.id] = true;
    if (m.user) authorOf[m.id] = m.user.id;
    if (m.replyTo != null) replied[m.replyTo] = true;
    if (m.id > seenMax) seenMax = m.id;
  }

  function append(m) {
    if (current && !document.hidden) markRead(current.id, m.id);
    if (seen[m.id]) return;
    var bottom = atBottom();
    remember(m);
    var node = messageNode(m);
    var pending = m.replyTo != null && streamingNode(m.replyTo);
    if (m.replyTo != null) dropStream(m.replyTo);
    if (pending) pending.replaceWith(node); // the stored reply replaces the stream
    else list.appendChild(node);
    if (document.hidden && !(m.user && m.user.id === me)) {
      hiddenCount++;
      document.title = "(" + hiddenCount + ") " + baseTitle;
    }
    if (bottom || (m.user && m.user.id === me)) list.scrollTop = list.scrollHeight;
  }

  function prepend(ms) {
    var before = list.scrollHeight;
    ms.forEach(function (m) { // newest first: each goes on top
      if (seen[m.id]) return;
      remember(m);
      list.insertBefore(messageNode(m), list.firstChild);
    });
    list.scrollTop += list.scrollHeight - before;
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
    }).catch(function (e) { showError(e.message); }).finally(function () {
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
    node = messageNode({ author: "assistant", body: "", createdAt: new Date().toISOString() });
    node.classList.add("streaming");
    node.setAttribute("aria-busy", "true");
    node.dataset.replyTo = replyTo;
    var bottom = atBottom();
    list.appendChild(node);
    if (bottom) list.scrollTop = list.scrollHeight;
    return node;
  }

  function setInflight(replyTo) {
    inflight = replyTo;
    var mine = replyTo !== null && (authorOf[replyTo] === me || (current && current.assistant && current.createdBy === me));
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
    if (d.askedBy != null) authorOf[d.replyTo] = d.askedBy;
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
    node.querySelector(".body").replaceChildren(window.toriiMarkdown ? window.toriiMarkdown.render(s.text) : document.createTextNode(s.text));
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
      .catch(function (e) { showError(e.message); })
      .finally(function () { stopBtn.disabled = false; });
  }

  // --- Rooms and the event stream -----------------------------------------

  function openRoom(r, initial) {
    if (es) { es.close(); es = null; }
    current = r;
    delete unread[r.id];
    Object.keys(streams).forEach(dropStream);
    seen = {}; authorOf = {}; replied = {}; finished = {}; seenMax = 0;
    setInflight(null);
    oldest = 0;
    list.replaceChildren();
    showError("");
    $("room-name").textContent = r.name;
    $("room-kind").hidden = !r.assistant;
    if (window.toriiAssistant) window.toriiAssistant.openRoom(r, me); // assistant.js
    list.dataset.kind = r.assistant ? "assistant" : "room";
    ta.placeholder = r.assistant ? t("js.chat.askGemini") : t("js.chat.messageRoom", { Room: (r.visibility === "public" ? "#" : "") + r.name });
    renderRooms();
    if (!initial) history.replaceState(null, "", "/?room=" + r.id);
    list.setAttribute("aria-busy", "true");
    api("GET", "/api/v1/rooms/" + r.id + "/messages").then(function (j) {
      if (r !== current) return;
      prepend(j.messages);
      oldest = j.nextBefore;
      list.scrollTop = list.scrollHeight;
      var last = j.messages.length ? j.messages[0].id : 0;
      markRead(r.id, last);
      connect(r, last);
    }).catch(function (e) { showError(e.message); }).finally(function () { list.removeAttribute("aria-busy"); });
  }

  function connect(r, after) {
    state.textContent = t("js.chat.connecting");
    state.dataset.state = "connecting";
    es = new EventSource("/api/v1/rooms/" + r.id + "/events?after=" + after);
    es.onopen = function () { state.textContent = t("js.chat.live"); state.dataset.state = "live"; };
    es.onerror = function () { state.textContent = t("js.chat.reconnecting"); state.dataset.state = "reconnecting"; };
    function on(kind, fn) {
      es.addEventListener(kind, function (ev) { if (r === current) fn(JSON.parse(ev.data)); });
    }
    on("message", append);
    on("assistant.delta", onDelta);
    on("assistant.done", function (d) { onEnd(d.replyTo, null); });
    on("assistant.error", function (d) { onEnd(d.replyTo, d.message || t("js.chat.geminiFailed")); });
  }

  function asksGemini(body) {
    return assistantOn && !!current && (current.assistant || /^\s*@gemini/i.test(body));
  }

  function send() {
    var body = ta.value;
    if (!current || body.trim() === "" || sendBtn.disabled) return;
    var room = current;
    var clientId = (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random());
    ta.value = "";
    api("POST", "/api/v1/rooms/" + room.id + "/messages", { body: body, clientId: clientId }).then(function (j) {
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
  // synthesized input does) is dropped too. Enter while an input method
  // composes (Japanese kana → kanji) confirms the conversion and never
  // sends: isComposing, and keyCode 229 for browsers (Safari) that send
  // the confirming keydown after compositionend.
  var sentByEnter = false;
  ta.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) { e.preventDefault(); sentByEnter = true; send(); }
  });
  ta.addEventListener("keyup", function () { sentByEnter = false; });
  ta.addEventListener("beforeinput", function (e) {
    if (sentByEnter && (e.inputType === "insertLineBreak" || e.inputType === "insertParagraph")) e.preventDefault();
  });
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") return;
    if (inflight !== null && !stopBtn.hidden) { e.preventDefault(); stopReply(); return; }
    if (chat.classList.contains("rooms-open")) { setPanel(false); $("rooms-toggle").focus(); }
  });
  stopBtn.addEventListener("click", stopReply);
  list.addEventListener("scroll", function () { if (list.scrollTop < 60) loadOlder(); });

  function created(room) {
    rooms.push(room);
    openRoom(room);
    setPanel(false);
    ta.focus();
  }
  $("new-room").addEventListener("submit", function (e) {
    e.preventDefault();
    var name = $("new-room-name").value;
    api("POST", "/api/v1/rooms", { name: name, visibility: $("new-room-visibility").value }).then(function (j) {
      $("new-room-name").value = "";
      created(j.room);
    }).catch(function (err) { showError(err.message); });
  });
  var ask = $("ask-gemini");
  if (ask) ask.addEventListener("click", function () {
    var stamp = window.toriiTime.format(new Date());
    ask.disabled = true;
    api("POST", "/api/v1/rooms", { name: t("js.chat.geminiRoomName", { When: stamp }), visibility: "private", assistant: true })
      .then(function (j) { created(j.room); })
      .catch(function (err) { showError(err.message); })
      .finally(function () { ask.disabled = false; });
  });

  fetchRooms().then(function (list) {
    rooms = list;
    var want = Number(new URLSearchParams(location.search).get("room"));
    var r = rooms.find(function (x) { return x.id === want; }) || rooms[0];
    if (r) openRoom(r, true); else renderRooms();
    checkUnread(list);
  }).catch(function (e) { showError(e.message); });
})();
