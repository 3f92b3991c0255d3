// The "Ask Gemini" panel of the home page: it creates a private assistant
// room, follows the room's event stream, shows each reply as it streams in
// (assistant.delta), replaces it with the stored message, and offers a stop
// button while a reply is in flight. Replies are Markdown, rendered by
// markdown.js into DOM nodes (never innerHTML); people's messages are
// plain text.
'use strict';
(function () {
  const ask = document.getElementById('ask-gemini');
  if (!ask) return;
  const hint = document.getElementById('assistant-hint');
  const box = document.getElementById('assistant-chat');
  const log = document.getElementById('assistant-log');
  const errorBox = document.getElementById('assistant-error');
  const form = document.getElementById('assistant-form');
  const input = document.getElementById('assistant-input');
  const send = document.getElementById('assistant-send');
  const stop = document.getElementById('assistant-stop');

  let room = null;
  let events = null;
  let waiting = null; // id of the message whose reply is in flight
  const shown = new Map(); // message id -> <li>
  const streaming = new Map(); // replyTo -> {li, text}
  const finished = new Set(); // replyTo of replies that ended

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = !message;
  }

  function setBusy(replyTo) {
    waiting = replyTo;
    send.disabled = replyTo !== null;
    stop.hidden = replyTo === null;
    if (replyTo === null) input.focus();
  }

  async function api(method, path, body) {
    const res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body ? { 'Content-Type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    let data = null;
    if (res.status !== 204) {
      try { data = await res.json(); } catch (e) { data = null; }
    }
    if (!res.ok) {
      const msg = data && data.error && data.error.message;
      throw new Error(msg || 'Something went wrong (' + res.status + ').');
    }
    return data;
  }

  function bubble(author, cls) {
    const li = document.createElement('li');
    li.className = 'bubble ' + cls;
    const who = document.createElement('span');
    who.className = 'who';
    who.textContent = author;
    const body = document.createElement('div');
    body.className = 'body';
    li.append(who, body);
    log.appendChild(li);
    li.scrollIntoView({ block: 'end' });
    return li;
  }

  function fill(li, text, markdown) {
    const body = li.querySelector('.body');
    body.replaceChildren(markdown ? window.toriiMarkdown.render(text) : document.createTextNode(text));
  }

  function note(li, text) {
    let n = li.querySelector('.note');
    if (!n) {
      n = document.createElement('p');
      n.className = 'note';
      li.appendChild(n);
    }
    n.textContent = text;
  }

  const statusNotes = {
    incomplete: 'This reply was cut off before it was finished.',
    error: 'Gemini stopped this reply.',
  };

  function onMessage(m) {
    if (shown.has(m.id)) return;
    let li;
    if (m.author === 'assistant') {
      const s = m.replyTo != null && streaming.get(m.replyTo);
      li = s ? s.li : bubble('Gemini', 'assistant');
      li.classList.remove('streaming');
      streaming.delete(m.replyTo);
      li.dataset.replyTo = m.replyTo;
      fill(li, m.body, true);
      if (statusNotes[m.status]) note(li, statusNotes[m.status]);
    } else {
      li = bubble((m.user && m.user.name) || 'You', 'user');
      fill(li, m.body, false);
    }
    li.dataset.id = m.id;
    shown.set(m.id, li);
  }

  function onDelta(d) {
    // A reply already stored (seen on a replay) needs no more deltas.
    for (const li of shown.values()) if (li.dataset.replyTo === String(d.replyTo)) return;
    let s = streaming.get(d.replyTo);
    if (!s) {
      s = { li: bubble('Gemini', 'assistant streaming'), text: '' };
      s.li.dataset.replyTo = d.replyTo;
      streaming.set(d.replyTo, s);
    }
    s.text += d.text;
    fill(s.li, s.text, true);
    s.li.scrollIntoView({ block: 'end' });
  }

  function onEnd(replyTo, error) {
    finished.add(replyTo);
    if (error) {
      const s = streaming.get(replyTo);
      if (s) {
        s.li.classList.remove('streaming');
        note(s.li, error);
        streaming.delete(replyTo);
      } else {
        showError(error);
      }
    }
    if (waiting === replyTo) setBusy(null);
  }

  function follow(id) {
    if (events) events.close();
    events = new EventSource('/api/v1/rooms/' + id + '/events?after=0');
    events.addEventListener('message', (e) => onMessage(JSON.parse(e.data)));
    events.addEventListener('assistant.delta', (e) => onDelta(JSON.parse(e.data)));
    events.addEventListener('assistant.done', (e) => onEnd(JSON.parse(e.data).replyTo, null));
    events.addEventListener('assistant.error', (e) => {
      const d = JSON.parse(e.data);
      onEnd(d.replyTo, d.message);
    });
  }

  ask.addEventListener('click', async () => {
    showError('');
    try {
      const stamp = new Date().toLocaleString();
      const data = await api('POST', '/api/v1/rooms', { name: 'Gemini ' + stamp, visibility: 'private', assistant: true });
      room = data.room;
    } catch (e) {
      showError(e.message);
      box.hidden = false;
      return;
    }
    log.replaceChildren();
    shown.clear();
    streaming.clear();
    setBusy(null);
    hint.hidden = true;
    box.hidden = false;
    follow(room.id);
    input.focus();
  });

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = input.value.trim();
    if (!room || !body || waiting !== null) return;
    showError('');
    send.disabled = true;
    try {
      const clientId = (crypto.randomUUID && crypto.randomUUID()) || String(Date.now()) + Math.random();
      const data = await api('POST', '/api/v1/rooms/' + room.id + '/messages', { body, clientId });
      input.value = '';
      onMessage(data.message);
      // The reply may have ended before this answer arrived.
      setBusy(finished.has(data.message.id) ? null : data.message.id);
    } catch (err) {
      showError(err.message);
      send.disabled = false;
    }
  });

  stop.addEventListener('click', async () => {
    if (!room) return;
    try {
      await api('POST', '/api/v1/rooms/' + room.id + '/assistant/cancel');
    } catch (err) {
      showError(err.message);
    }
  });
})();
