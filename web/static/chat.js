// torii chat page. Everything a user typed is put in the page with
// textContent, never innerHTML: no message can run script (security.md
// H.39). Live updates come from the room's EventSource, which reconnects by
// itself with Last-Event-ID, so nothing is lost while "reconnecting…".
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var list = $("messages"), roomList = $("room-list"), state = $("conn-state");
  var rooms = [], current = null, es = null, oldest = null, loadingOlder = false;
  var seen = {}; // message ids shown in the current room
  var unread = {}; // room id → true

  function api(method, path, body) {
    var opts = { method: method, headers: {}, credentials: "same-origin" };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(path, opts).then(function (r) {
      if (r.status === 401) { location.href = "/login"; throw new Error("signed out"); }
      return r.json().then(function (j) {
        if (!r.ok) throw new Error((j.error && j.error.message) || r.statusText);
        return j;
      });
    });
  }

  function showError(msg) {
    var e = $("chat-error");
    e.textContent = msg || "";
    e.hidden = !msg;
  }

  function renderRooms() {
    roomList.replaceChildren();
    rooms.forEach(function (r) {
      var li = document.createElement("li");
      var b = document.createElement("button");
      b.type = "button";
      b.className = "room-link" + (current && r.id === current.id ? " active" : "");
      b.dataset.roomId = r.id;
      b.textContent = (r.visibility === "private" ? "🔒 " : "# ") + r.name;
      if (unread[r.id]) {
        var dot = document.createElement("span");
        dot.className = "unread";
        dot.textContent = "•";
        dot.setAttribute("aria-label", "unread");
        b.appendChild(dot);
      }
      b.addEventListener("click", function () { openRoom(r); });
      li.appendChild(b);
      roomList.appendChild(li);
    });
  }

  function messageNode(m) {
    var li = document.createElement("li");
    li.className = "message";
    li.dataset.id = m.id;
    var av = document.createElement("span");
    av.className = "avatar small";
    av.setAttribute("aria-hidden", "true");
    var name = m.author === "assistant" ? "Gemini" : (m.user ? m.user.name : "Deleted user");
    av.textContent = (name || "?").charAt(0).toUpperCase();
    var head = document.createElement("div");
    head.className = "message-head";
    var who = document.createElement("strong");
    who.className = "author";
    who.textContent = name;
    var when = document.createElement("time");
    when.dateTime = m.createdAt;
    when.textContent = new Date(m.createdAt).toLocaleString();
    head.append(who, " ", when);
    var body = document.createElement("div");
    body.className = "body";
    if (m.author === "assistant" && window.toriiMarkdown) {
      // Gemini answers in Markdown: markdown.js builds nodes, never HTML.
      body.appendChild(window.toriiMarkdown.render(m.body));
    } else {
      body.textContent = m.body; // text, never HTML
    }
    var main = document.createElement("div");
    main.append(head, body);
    li.append(av, main);
    return li;
  }

  // Unread markers: the last id read per room is kept in localStorage, and
  // the other rooms' newest message is checked every 20 s.
  function markRead(roomId, id) {
    var k = "torii.read." + roomId;
    if (Number(localStorage.getItem(k) || 0) < id) localStorage.setItem(k, String(id));
  }
  function checkUnread() {
    rooms.forEach(function (r) {
      if (current && r.id === current.id) return;
      api("GET", "/api/v1/rooms/" + r.id + "/messages?limit=1").then(function (j) {
        var newest = j.messages.length ? j.messages[0].id : 0;
        var was = !!unread[r.id];
        unread[r.id] = newest > Number(localStorage.getItem("torii.read." + r.id) || 0);
        if (was !== unread[r.id]) renderRooms();
      }).catch(function () {});
    });
  }
  setInterval(checkUnread, 20000);

  function append(m) {
    if (current) markRead(current.id, m.id);
    if (seen[m.id]) return;
    seen[m.id] = true;
    var atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    list.appendChild(messageNode(m));
    if (atBottom) list.scrollTop = list.scrollHeight;
  }

  function prepend(ms) {
    var before = list.scrollHeight;
    ms.forEach(function (m) { // newest first: each goes on top
      if (seen[m.id]) return;
      seen[m.id] = true;
      list.insertBefore(messageNode(m), list.firstChild);
    });
    list.scrollTop += list.scrollHeight - before;
  }

  function loadOlder() {
    if (!current || loadingOlder || oldest === null) return;
    loadingOlder = true;
    var room = current;
    var q = oldest > 0 ? "?before=" + oldest : "";
    api("GET", "/api/v1/rooms/" + room.id + "/messages" + q).then(function (j) {
      if (room !== current) return;
      prepend(j.messages);
      oldest = j.nextBefore;
    }).catch(function (e) { showError(e.message); }).finally(function () { loadingOlder = false; });
  }

  function openRoom(r, initial) {
    if (es) { es.close(); es = null; }
    current = r;
    delete unread[r.id];
    seen = {};
    oldest = 0;
    list.replaceChildren();
    $("room-name").textContent = r.name;
    renderRooms();
    if (!initial) history.replaceState(null, "", "/?room=" + r.id);
    api("GET", "/api/v1/rooms/" + r.id + "/messages").then(function (j) {
      if (r !== current) return;
      prepend(j.messages);
      oldest = j.nextBefore;
      list.scrollTop = list.scrollHeight;
      var last = j.messages.length ? j.messages[0].id : 0;
      markRead(r.id, last);
      connect(r, last);
    }).catch(function (e) { showError(e.message); });
  }

  function connect(r, after) {
    state.textContent = "connecting…";
    es = new EventSource("/api/v1/rooms/" + r.id + "/events?after=" + after);
    es.onopen = function () { state.textContent = "live"; state.dataset.state = "live"; };
    es.onerror = function () { state.textContent = "reconnecting…"; state.dataset.state = "reconnecting"; };
    es.addEventListener("message", function (ev) {
      var m = JSON.parse(ev.data);
      if (r !== current) return;
      if (m.replyTo != null) dropStreaming(m.replyTo);
      append(m);
    });
    // @gemini replies stream in as assistant.delta events, then arrive
    // stored as a message, which replaces the streaming one.
    es.addEventListener("assistant.delta", function (ev) {
      var d = JSON.parse(ev.data);
      if (r !== current) return;
      var node = list.querySelector('li.streaming[data-reply-to="' + Number(d.replyTo) + '"]');
      if (!node) {
        node = messageNode({ author: "assistant", body: "", createdAt: new Date().toISOString() });
        node.classList.add("streaming");
        node.dataset.replyTo = d.replyTo;
        node.dataset.text = "";
        list.appendChild(node);
      }
      node.dataset.text += d.text;
      var body = node.querySelector(".body");
      body.replaceChildren(window.toriiMarkdown ? window.toriiMarkdown.render(node.dataset.text) : document.createTextNode(node.dataset.text));
      list.scrollTop = list.scrollHeight;
    });
    es.addEventListener("assistant.error", function (ev) {
      var d = JSON.parse(ev.data);
      if (r !== current) return;
      dropStreaming(d.replyTo);
      showError(d.message);
    });
  }

  function dropStreaming(replyTo) {
    var node = list.querySelector('li.streaming[data-reply-to="' + Number(replyTo) + '"]');
    if (node) node.remove();
  }

  function send() {
    var ta = $("composer-body");
    var body = ta.value;
    if (!current || body.trim() === "") return;
    var clientId = (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random());
    ta.value = "";
    api("POST", "/api/v1/rooms/" + current.id + "/messages", { body: body, clientId: clientId }).then(function (j) {
      showError("");
      append(j.message);
    }).catch(function (e) { ta.value = body; showError(e.message); });
  }

  $("composer").addEventListener("submit", function (e) { e.preventDefault(); send(); });
  $("composer-body").addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); }
  });
  list.addEventListener("scroll", function () { if (list.scrollTop < 60) loadOlder(); });
  $("new-room").addEventListener("submit", function (e) {
    e.preventDefault();
    var name = $("new-room-name").value;
    api("POST", "/api/v1/rooms", { name: name, visibility: $("new-room-visibility").value }).then(function (j) {
      $("new-room-name").value = "";
      rooms.push(j.room);
      openRoom(j.room);
    }).catch(function (err) { showError(err.message); });
  });

  api("GET", "/api/v1/rooms").then(function (j) {
    rooms = j.rooms;
    var want = Number(new URLSearchParams(location.search).get("room"));
    var r = rooms.find(function (x) { return x.id === want; }) || rooms[0];
    if (r) openRoom(r, true); else renderRooms();
    checkUnread();
  }).catch(function (e) { showError(e.message); });
})();
