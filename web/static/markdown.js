// A tiny, safe Markdown renderer for assistant replies. It builds DOM nodes
// and puts every piece of text in with textContent / createTextNode, so no
// string from a reply is ever parsed as HTML: `<script>`, `<img onerror>`
// and the like show up as the characters they are (security.md 39). Links
// keep only http(s) targets; anything else (javascript:, data:) stays text.
//
// Supported, because Gemini uses them: fenced code blocks (```lang),
// inline `code`, **bold**, *italic* / _italic_, [links](https://…),
// headings (#…######), bullet lists (-, *, +), numbered lists (1. / 1)),
// block quotes (>), paragraphs, and line breaks within a paragraph. Nested
// lists render flat. Unclosed markup (a reply still streaming) renders as
// far as it goes: an unclosed fence is a code block to the end.
//
// Usage: window.toriiMarkdown.render(text) returns a DocumentFragment.
'use strict';
(function () {
  const fence = /^\s{0,3}(```|~~~)\s*([\w+#.-]*)\s*$/;
  const heading = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
  const bullet = /^\s*[-*+]\s+(.*)$/;
  const numbered = /^\s*(\d{1,9})[.)]\s+(.*)$/;
  const quote = /^\s{0,3}>\s?(.*)$/;
  const rule = /^\s{0,3}([-*_])(\s*\1){2,}\s*$/;

  function el(tag, cls) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    return e;
  }

  function safeURL(s) {
    try {
      const u = new URL(s);
      return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
    } catch (e) {
      return null;
    }
  }

  // inline appends the inline Markdown of text to parent.
  function inline(parent, text) {
    let i = 0;
    let plain = '';
    const flush = () => {
      if (plain) parent.appendChild(document.createTextNode(plain));
      plain = '';
    };
    while (i < text.length) {
      const c = text[i];
      const rest = text.slice(i);
      let m;
      if (c === '`' && (m = /^(`+)([\s\S]*?[^`])\1(?!`)/.exec(rest))) {
        flush();
        const code = el('code');
        code.textContent = m[2].trim() || m[2];
        parent.appendChild(code);
        i += m[0].length;
        continue;
      }
      if ((c === '*' || c === '_') && (m = /^(\*\*|__)(?=\S)([\s\S]*?\S)\1/.exec(rest))) {
        flush();
        const b = el('strong');
        inline(b, m[2]);
        parent.appendChild(b);
        i += m[0].length;
        continue;
      }
      if ((c === '*' || c === '_') && (m = /^([*_])(?=\S)([\s\S]*?\S)\1(?![*_\w])/.exec(rest)) &&
          !(c === '_' && /\w/.test(text[i - 1] || ''))) {
        flush();
        const em = el('em');
        inline(em, m[2]);
        parent.appendChild(em);
        i += m[0].length;
        continue;
      }
      if (c === '[' && (m = /^\[([^\]\n]+)\]\(([^()\s]+)\)/.exec(rest))) {
        const href = safeURL(m[2]);
        if (href) {
          flush();
          const a = el('a');
          a.href = href;
          a.rel = 'noopener noreferrer nofollow';
          a.target = '_blank';
          inline(a, m[1]);
          parent.appendChild(a);
          i += m[0].length;
          continue;
        }
      }
      plain += c;
      i++;
    }
    flush();
  }

  // lines appends paragraph lines to parent with <br> between them.
  function lines(parent, ls) {
    ls.forEach((l, k) => {
      if (k > 0) parent.appendChild(el('br'));
      inline(parent, l.trim());
    });
  }

  function render(text) {
    const frag = document.createDocumentFragment();
    const src = String(text || '').replace(/\r\n?/g, '\n').split('\n');
    let para = [];
    let list = null; // {node, ordered}
    let quoteLines = null;
    const endPara = () => {
      if (para.length) {
        const p = el('p');
        lines(p, para);
        frag.appendChild(p);
      }
      para = [];
    };
    const endList = () => { list = null; };
    const endQuote = () => {
      if (quoteLines) {
        const q = el('blockquote');
        q.appendChild(render(quoteLines.join('\n')));
        frag.appendChild(q);
      }
      quoteLines = null;
    };
    const endAll = () => { endPara(); endList(); endQuote(); };

    for (let i = 0; i < src.length; i++) {
      const line = src[i];
      let m;
      if ((m = fence.exec(line))) {
        endAll();
        const body = [];
        i++;
        while (i < src.length && !new RegExp('^\\s{0,3}' + m[1] + '\\s*$').test(src[i])) body.push(src[i++]);
        const pre = el('pre');
        const code = el('code');
        if (m[2]) code.dataset.lang = m[2];
        code.textContent = body.join('\n');
        pre.appendChild(code);
        frag.appendChild(pre);
        continue;
      }
      if ((m = quote.exec(line))) {
        endPara(); endList();
        (quoteLines = quoteLines || []).push(m[1]);
        continue;
      }
      endQuote();
      if (!line.trim()) { endPara(); endList(); continue; }
      if (rule.test(line)) { endAll(); frag.appendChild(el('hr')); continue; }
      if ((m = heading.exec(line))) {
        endAll();
        const h = el('h' + Math.min(6, m[1].length + 2));
        inline(h, m[2]);
        frag.appendChild(h);
        continue;
      }
      const b = bullet.exec(line);
      const n = b ? null : numbered.exec(line);
      if (b || n) {
        endPara();
        const ordered = !!n;
        if (!list || list.ordered !== ordered) {
          list = { node: el(ordered ? 'ol' : 'ul'), ordered };
          if (ordered && n[1] !== '1') list.node.start = parseInt(n[1], 10);
          frag.appendChild(list.node);
        }
        const li = el('li');
        inline(li, b ? b[1] : n[2]);
        list.node.appendChild(li);
        continue;
      }
      if (list && /^\s+\S/.test(line)) { // a list item's continuation line
        const li = list.node.lastChild;
        li.appendChild(el('br'));
        inline(li, line.trim());
        continue;
      }
      endList();
      para.push(line);
    }
    endAll();
    return frag;
  }

  window.toriiMarkdown = { render };
})();
