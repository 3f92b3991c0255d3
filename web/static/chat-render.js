// torii chat: how one message looks, and how the list around it is laid
// out (consecutive messages of one person grouped, a separator per day).
// chat.js decides what is shown; this file decides how. Gemini's code
// (assistant.js) hooks in through window.toriiChat (chat.js), not here.
//
// Every message body, the user's as Gemini's, goes through markdown.js
// (markdown-it with raw HTML off, then DOMPurify): nothing a user typed
// reaches the page as HTML of its own (security.md H.39). Mentions are
// found in the sanitised result's text nodes and wrapped in spans, so they
// cannot add markup either.
(function () {
  "use strict";

  // GROUP_GAP: a message more than this after the previous one of the same
  // person starts a new group (with name and avatar again), as in Slack.
  var GROUP_GAP = 5 * 60 * 1000;

  function el(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined) n.textContent = text;
    return n;
  }

  // avatarColor gives each person a colour of their own, the same on every
  // page and device (from the user id), dark enough for white initials: a
  // class hue-0 … hue-9 (style.css), not a style attribute, so the message
  // list holds no inline styles (the hostile-reply tests count any [style]
  // there as something a reply could have smuggled in).
  var HUES = 10;
  function avatarColor(id) {
    return "hue-" + (Math.abs(Number(id) * 7919) % HUES);
  }

  // avatar is a person's picture when they have one (https only: the page's
  // CSP allows no other), else their initial on their colour.
  function avatar(user, cls) {
    var av = el("span", "avatar " + (cls || ""));
    av.setAttribute("aria-hidden", "true");
    if (!user) { av.textContent = "?"; av.classList.add("ghost"); return av; }
    var name = user.name || "?";
    av.textContent = name.charAt(0).toUpperCase();
    av.classList.add(avatarColor(user.id));
    if (user.avatarUrl && /^https:\/\//i.test(user.avatarUrl)) {
      var img = el("img");
      img.alt = "";
      img.referrerPolicy = "no-referrer";
      img.loading = "lazy";
      img.src = user.avatarUrl;
      img.onerror = function () { img.remove(); };
      av.appendChild(img);
    }
    return av;
  }

  function dayKey(d) {
    return d.getFullYear() + "-" + (d.getMonth() + 1) + "-" + d.getDate();
  }

  // dayLabel: "Today", "Yesterday", else the date in the page's language.
  function dayLabel(d, t) {
    var now = new Date(), y = new Date(now);
    y.setDate(now.getDate() - 1);
    if (dayKey(d) === dayKey(now)) return t("js.chatui.today");
    if (dayKey(d) === dayKey(y)) return t("js.chatui.yesterday");
    return d.toLocaleDateString(window.toriiLang || document.documentElement.lang || "en", {
      weekday: "long", year: d.getFullYear() === now.getFullYear() ? undefined : "numeric", month: "long", day: "numeric"
    });
  }

  function timeLabel(d) {
    return d.toLocaleTimeString(window.toriiLang || document.documentElement.lang || "en", { hour: "2-digit", minute: "2-digit" });
  }

  // markdown renders text through markdown.js, dropping the whitespace
  // between top-level blocks (the body's text is then the message's).
  function markdown(text) {
    var frag = window.toriiMarkdown ? window.toriiMarkdown.render(text) : document.createTextNode(text);
    if (frag.childNodes) {
      Array.prototype.slice.call(frag.childNodes).forEach(function (n) {
        if (n.nodeType === 3 && !n.nodeValue.trim()) n.remove();
      });
    }
    return frag;
  }

  // MENTION finds @name tokens as the server does (docs/api.md): an @ at
  // the start or after a character that is not part of a name, then
  // letters, digits, '.', '_' or '-'.
  var MENTION = /(^|[^\p{L}\p{N}_.@-])@([\p{L}\p{N}][\p{L}\p{N}._-]*)/gu;

  // resolve finds the person a token names, as the server does: their
  // name without spaces, or their first name when only one has it.
  function resolve(token, names) {
    var t = token.replace(/[._-]+$/, "").toLowerCase(), byFirst = [];
    for (var i = 0; i < names.length; i++) {
      var n = names[i].name.toLowerCase();
      if (n.replace(/\s+/g, "") === t) return names[i];
      if (n.split(/\s+/)[0] === t) byFirst.push(names[i]);
    }
    return byFirst.length === 1 ? byFirst[0] : null;
  }

  // highlightMentions wraps the @name tokens that name someone (or
  // @gemini) in text outside code and links. names: [{name, id}];
  // mentioned: the ids the server resolved.
  function highlightMentions(root, names, me, mentioned) {
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
      acceptNode: function (n) {
        for (var p = n.parentNode; p && p !== root; p = p.parentNode) {
          if (/^(CODE|PRE|A)$/.test(p.nodeName)) return NodeFilter.FILTER_REJECT;
        }
        return n.nodeValue.indexOf("@") >= 0 ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_SKIP;
      }
    });
    var nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    nodes.forEach(function (node) {
      var text = node.nodeValue, out = [], last = 0, m;
      MENTION.lastIndex = 0;
      while ((m = MENTION.exec(text))) {
        var who = resolve(m[2], names || []);
        if (!who && m[2].toLowerCase() !== "gemini") continue;
        var at = m.index + m[1].length;
        if (at > last) out.push(document.createTextNode(text.slice(last, at)));
        var self = !!who && who.id === me && (mentioned || []).indexOf(me) >= 0;
        out.push(el("span", "mention" + (self ? " me" : ""), "@" + m[2]));
        last = at + 1 + m[2].length;
      }
      if (!out.length) return;
      if (last < text.length) out.push(document.createTextNode(text.slice(last)));
      node.replaceWith.apply(node, out);
    });
  }

  // messageNode builds one message's list item. ctx: {me, t, names,
  // statusNotes}. Its parts have stable classes (.avatar, .message-head,
  // .author, time, .body, .message-tools) for chat.js and assistant.js.
  function messageNode(m, ctx) {
    var assistant = m.author === "assistant";
    var mine = !!(m.user && m.user.id === ctx.me);
    var li = el("li", "message" + (assistant ? " assistant" : "") + (mine ? " mine" : ""));
    if (m.id) li.dataset.id = m.id;
    li.tabIndex = -1; // a tap focuses it, which shows its tools on a phone
    li.dataset.author = assistant ? "assistant" : m.user ? String(m.user.id) : "0";
    li.dataset.at = String(new Date(m.createdAt).getTime());
    var av;
    if (assistant) {
      av = el("span", "avatar small gemini", "✦");
      av.setAttribute("aria-hidden", "true");
    } else {
      av = avatar(m.user, "small");
    }
    var name = assistant ? "Gemini" : (m.user ? m.user.name : ctx.t("js.chat.deletedUser"));
    var head = el("div", "message-head");
    var when = document.createElement("time");
    var at = new Date(m.createdAt);
    when.dateTime = m.createdAt;
    when.textContent = timeLabel(at);
    // The exact time, as every other page's titles say it (i18n.js).
    when.title = window.toriiTime ? window.toriiTime.format(at, "full") : at.toLocaleString(window.toriiLang || document.documentElement.lang || "en");
    head.append(el("strong", "author", name), " ", when);
    var main = el("div", "message-main");
    main.appendChild(head);
    var body = el("div", "body");
    if (m.deleted) {
      li.classList.add("deleted");
      body.textContent = ctx.t("js.chatui.deleted");
    } else {
      body.appendChild(markdown(m.body || ""));
      highlightMentions(body, ctx.names, ctx.me, m.mentions);
      if ((m.mentions || []).indexOf(ctx.me) >= 0 && !mine) li.classList.add("mentions-me");
    }
    main.appendChild(body);
    if (m.editedAt && !m.deleted) {
      var ed = el("span", "edited", ctx.t("js.chatui.edited"));
      ed.title = new Date(m.editedAt).toLocaleString(window.toriiLang || document.documentElement.lang || "en");
      head.append(" ", ed);
    }
    if (assistant && ctx.statusNotes && ctx.statusNotes[m.status]) main.appendChild(el("p", "note", ctx.statusNotes[m.status]));
    li.append(av, main);
    return li;
  }

  // layout walks the list once: it puts a day separator before the first
  // message of each day (keeping the ones already right, so a screen
  // reader's live region does not hear them again) and marks a message
  // .grouped when it follows one of the same person within GROUP_GAP.
  function layout(list, t) {
    var lastDay = null, prev = null;
    var n = list.firstElementChild;
    while (n) {
      var next = n.nextElementSibling;
      if (n.classList.contains("day")) {
        var m = next;
        while (m && (m.classList.contains("day") || !m.dataset.at)) m = m.nextElementSibling;
        var want = m ? dayKey(new Date(Number(m.dataset.at))) : null;
        if (!m || want === lastDay || n.dataset.day !== want || (next && next.classList.contains("day"))) n.remove();
        else { lastDay = want; prev = null; }
        n = next;
        continue;
      }
      if (!n.dataset.at) { prev = null; n = next; continue; }
      var at = new Date(Number(n.dataset.at));
      var key = dayKey(at);
      if (key !== lastDay) {
        var sep = el("li", "day");
        sep.dataset.day = key;
        sep.setAttribute("role", "separator");
        sep.appendChild(el("span", "", dayLabel(at, t)));
        list.insertBefore(sep, n);
        lastDay = key;
        prev = null;
      }
      var grouped = !!prev && prev.dataset.author === n.dataset.author && n.dataset.author !== "0" &&
        Number(n.dataset.at) - Number(prev.dataset.at) < GROUP_GAP && !n.classList.contains("has-reply") &&
        !n.classList.contains("first-unread");
      n.classList.toggle("grouped", grouped);
      prev = n;
      n = next;
    }
  }

  window.toriiChatRender = {
    messageNode: messageNode,
    layout: layout,
    avatar: avatar,
    avatarColor: avatarColor,
    markdown: markdown,
    highlightMentions: highlightMentions,
    el: el
  };
})();
