// torii's Markdown for assistant replies, through vetted libraries (no
// hand-written parser): markdown-it parses (raw HTML off, linkify on),
// highlight.js colours fenced code that names a language it knows, and
// DOMPurify sanitises markdown-it's HTML into a DocumentFragment with an
// allow-list of the elements Markdown makes. The libraries are vendored in
// /static/vendor/ (update.sh there, docs/api.md "Markdown").
//
// Bounds, because a reply is stored and every member of the room renders it
// (issue 13): text longer than MAX_CHARS is shown as plain text under a
// notice, never parsed; text nested deeper than markdown-it's maxNesting lets
// it parse, or that would become more than MAX_ELEMENTS elements, likewise;
// code blocks longer than MAX_HIGHLIGHT are not highlighted.
//
// Links: only http(s) and mailto targets, checked twice (markdown-it's
// validateLink, then DOMPurify's ALLOWED_URI_REGEXP); every link opens in a
// new tab with rel="noopener noreferrer nofollow". Images are not rendered
// (a reply could track who reads it).
//
// Usage: window.toriiMarkdown.render(text) returns a DocumentFragment.
'use strict';
(function () {
  // MAX_CHARS is the most torii stores of a reply (service.MaxMessageBytes*4
  // = 32 KiB of UTF-8, never more UTF-16 units than bytes): every stored
  // reply is formatted; only a longer stream in flight is not.
  const MAX_CHARS = 32768;
  // MAX_NESTING bounds blocks in blocks (quotes, lists) and inline markup in
  // inline markup. markdown-it drops a block's content past it, so text that
  // reaches it is shown plain instead.
  const MAX_NESTING = 20;
  // MAX_ELEMENTS bounds the elements a reply becomes: DOMPurify's cost (and
  // the layout's) grows with them, and a 32 KiB reply can ask for 15,000 (a
  // 5,000-row table). Measured in Chromium, about 0.15 ms per element on a
  // loaded machine.
  const MAX_ELEMENTS = 5000;
  const MAX_HIGHLIGHT = 20000;
  const LINK = /^(?:https?:|mailto:)/i;

  function highlight(code, lang) {
    const hljs = window.hljs;
    if (!hljs || !lang || code.length > MAX_HIGHLIGHT || !hljs.getLanguage(lang)) return '';
    try {
      // No auto-detection: it runs every grammar over the text.
      return hljs.highlight(code, { language: lang, ignoreIllegals: true }).value;
    } catch (e) {
      return ''; // markdown-it escapes the code itself
    }
  }

  const md = window.markdownit({
    html: false,
    linkify: true,
    breaks: true, // a line break in a reply is a line break, as in chat
    maxNesting: MAX_NESTING,
    highlight: highlight,
  });
  md.disable('image');
  md.validateLink = function (url) { return LINK.test(url.trim()); };
  // The page's own headings are h1 and h2: a reply's # is h3, ## h4, ….
  md.core.ruler.push('torii_headings', function (state) {
    state.tokens.forEach(function (t) {
      if (t.type === 'heading_open' || t.type === 'heading_close') {
        t.tag = 'h' + Math.min(6, Number(t.tag.slice(1)) + 2);
      }
    });
  });
  // A block token at the nesting limit means markdown-it may have dropped
  // what follows it (it stops parsing blocks there).
  md.core.ruler.after('block', 'torii_depth', function (state) {
    state.env.tooDeep = state.tokens.some(function (t) { return t.level >= MAX_NESTING - 1; });
  });

  const purify = window.DOMPurify(window); // our own instance: hooks stay ours
  const CONFIG = {
    ALLOWED_TAGS: ['p', 'br', 'strong', 'em', 's', 'code', 'pre', 'a', 'ul', 'ol', 'li', 'blockquote',
      'h3', 'h4', 'h5', 'h6', 'hr', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'span'],
    ALLOWED_ATTR: ['href', 'title', 'start', 'class'],
    ALLOWED_URI_REGEXP: LINK,
    // DOMPurify checks every attribute not known to be URI-safe against
    // ALLOWED_URI_REGEXP; an <ol>'s start is a number, not a URI.
    ADD_URI_SAFE_ATTR: ['start'],
    RETURN_DOM_FRAGMENT: true,
  };
  // Classes only from highlight.js and markdown-it's language-* on code: a
  // reply cannot borrow the page's classes (to hide text, say).
  const CLASS = /^(?:hljs(?:-[\w-]+)?|language-[\w+#.-]+)$/;
  purify.addHook('uponSanitizeAttribute', function (node, data) {
    if (data.attrName !== 'class') return;
    data.attrValue = data.attrValue.split(/\s+/).filter(function (c) { return CLASS.test(c); }).join(' ');
    if (!data.attrValue) data.keepAttr = false;
  });
  purify.addHook('afterSanitizeAttributes', function (node) {
    if (node.nodeName === 'A' && node.hasAttribute('href')) {
      node.setAttribute('rel', 'noopener noreferrer nofollow');
      node.setAttribute('target', '_blank');
    }
  });

  function plain(text, why) {
    const frag = document.createDocumentFragment();
    const note = document.createElement('p');
    note.className = 'md-notice';
    note.textContent = why;
    const body = document.createElement('div');
    body.className = 'md-plain';
    body.textContent = text;
    frag.append(note, body);
    return frag;
  }

  // elements counts the elements tokens would render to.
  function elements(tokens) {
    let n = 0;
    for (const t of tokens) {
      if (t.nesting !== -1 && t.type !== 'text' && t.type !== 'inline') n++;
      if (t.children) n += elements(t.children);
    }
    return n;
  }

  // render never throws: a reply that breaks a library shows as plain text
  // rather than taking the rest of the room's messages with it.
  function render(text) {
    text = String(text == null ? '' : text);
    try {
      return format(text);
    } catch (e) {
      return plain(text, t('js.markdown.failed'));
    }
  }

  function format(text) {
    if (text.length > MAX_CHARS) {
      return plain(text, t('js.markdown.tooLong', { Max: MAX_CHARS.toLocaleString(window.toriiLang) }));
    }
    const env = {};
    const tokens = md.parse(text, env);
    if (env.tooDeep) {
      return plain(text, t('js.markdown.tooDeep'));
    }
    if (elements(tokens) > MAX_ELEMENTS) {
      return plain(text, t('js.markdown.tooMany'));
    }
    return purify.sanitize(md.renderer.render(tokens, md.options, env), CONFIG);
  }

  window.toriiMarkdown = { render: render, maxChars: MAX_CHARS, maxElements: MAX_ELEMENTS };
})();
