// Google Identity Services: Google's own button and One Tap, loaded only
// when /api/v1/auth/config says the provider is Google. The credential it
// returns is posted to the server, which verifies it; this file never
// reads the token itself.
'use strict';
(function () {
  const box = document.getElementById('gis-button');
  const errorBox = document.getElementById('google-error');
  if (!box) return;

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
  }

  async function onCredential(response) {
    const linking = box.dataset.mode === 'link';
    const next = box.dataset.next || '/';
    let res;
    try {
      res = await fetch(linking ? '/api/v1/me/identities' : '/api/v1/auth/google', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ credential: response.credential }),
      });
    } catch (e) {
      showError(t('js.google.unreachable'));
      return;
    }
    if (res.ok) {
      window.location.assign(linking ? '/account?linked=1' : next);
      return;
    }
    let body = {};
    try { body = await res.json(); } catch (e) { /* not JSON */ }
    const err = body.error || {};
    if (err.code === 'REAUTH_REQUIRED') {
      // Linking is a lasting change: /account asks to confirm it's you.
      window.location.assign('/account?reauth=1');
      return;
    }
    if (err.code === 'USER_NOT_FOUND') {
      // The server kept the credential in a short-lived cookie: /register
      // finishes the registration with it.
      window.location.assign(next === '/' ? '/register' : '/register?next=' + encodeURIComponent(next));
      return;
    }
    showError(err.message || t('js.google.failed'));
  }

  fetch('/api/v1/auth/config', { credentials: 'same-origin' })
    .then((r) => r.json())
    .then((cfg) => {
      if (!cfg.google || !cfg.google.gis) return;
      const script = document.createElement('script');
      // hl: One Tap speaks the page's language, as the button does (locale).
      script.src = 'https://accounts.google.com/gsi/client?hl=' + encodeURIComponent(box.dataset.locale || 'en');
      script.async = true;
      script.onload = () => {
        const id = window.google.accounts.id;
        id.initialize({
          client_id: cfg.google.clientId,
          callback: onCredential,
          ux_mode: 'popup',
          context: box.dataset.text === 'signup_with' ? 'signup' : 'signin',
          cancel_on_tap_outside: true,
          itp_support: true,
          use_fedcm_for_prompt: true,
        });
        box.hidden = false;
        id.renderButton(box, {
          type: 'standard', theme: 'outline', size: 'large', shape: 'rectangular',
          text: box.dataset.text, logo_alignment: 'left', width: 280, locale: box.dataset.locale || 'en',
        });
        // Google's button replaces ours; ours stays if GIS cannot load.
        const ours = document.getElementById('google-button');
        if (ours) ours.hidden = true;
        if (box.dataset.onetap === '1') id.prompt();
      };
      document.head.appendChild(script);
    })
    .catch(() => { /* Google sign-in is optional: the page works without it. */ });
})();
