// The waiting page: "Send the link again" asks the server to mail the
// confirmation link (POST /api/v1/me/verify-email) and says what happened.
(function () {
  'use strict';
  const button = document.getElementById('resend-verification');
  const status = document.getElementById('waiting-status');
  if (!button) return;
  button.addEventListener('click', async () => {
    button.disabled = true;
    let text = t('js.waiting.sent');
    try {
      const res = await fetch('/api/v1/me/verify-email', { method: 'POST', credentials: 'same-origin' });
      if (!res.ok) {
        let body = {};
        try { body = await res.json(); } catch (e) { /* not JSON */ }
        text = (body.error && body.error.message) || t('js.waiting.failed');
      }
    } catch (e) {
      text = t('js.waiting.offline');
    }
    status.textContent = text;
    status.hidden = false;
    button.disabled = false;
  });
})();
