// The waiting page: "Send the link again" asks the server to mail the
// confirmation link (POST /api/v1/me/verify-email) and says what happened.
(function () {
  'use strict';
  const button = document.getElementById('resend-verification');
  const status = document.getElementById('waiting-status');
  if (!button) return;
  button.addEventListener('click', async () => {
    button.disabled = true;
    let text = 'We sent the link again. Check your mail.';
    try {
      const res = await fetch('/api/v1/me/verify-email', { method: 'POST', credentials: 'same-origin' });
      if (!res.ok) {
        let body = {};
        try { body = await res.json(); } catch (e) { /* not JSON */ }
        text = (body.error && body.error.message) || 'The link could not be sent. Try again later.';
      }
    } catch (e) {
      text = 'The link could not be sent. Check your connection and try again.';
    }
    status.textContent = text;
    status.hidden = false;
    button.disabled = false;
  });
})();
