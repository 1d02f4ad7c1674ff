// The sign-in form: posts the credentials as JSON, then goes to the sessions page.
'use strict';

(() => {
  const SESSIONS_PAGE = '/account/sessions';
  const form = document.getElementById('sign-in-form');
  const error = document.getElementById('sign-in-error');
  const submit = form.querySelector('button[type="submit"]');

  function showError(text) {
    error.textContent = text;
    error.hidden = false;
  }

  // "We signed you out of a session whose cookie was used from two devices…", then on to the sessions.
  function showNotice(text) {
    form.hidden = true;
    document.getElementById('security-notice-text').textContent = text;
    document.getElementById('security-notice').hidden = false;
    document.getElementById('security-notice-continue').addEventListener('click', () => location.assign(SESSIONS_PAGE));
  }

  // Already signed in: nothing to do here.
  fetch('/auth/me', { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
    .then((response) => {
      if (response.ok) location.replace(SESSIONS_PAGE);
    })
    .catch(() => {});

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    submit.disabled = true;
    try {
      const response = await fetch('/auth/login', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        credentials: 'same-origin',
        body: JSON.stringify({ username: form.username.value, password: form.password.value }),
      });
      if (response.ok) {
        const { securityNotice } = await response.json();
        if (securityNotice) {
          // Shown once: the server cleared it as it answered.
          showNotice(securityNotice);
          return;
        }
        location.assign(SESSIONS_PAGE);
        return;
      }
      if (response.status === 401) {
        showError('Invalid username or password.');
        form.password.value = '';
        form.password.focus();
      } else if (response.status === 400) {
        showError('Enter your username and password.');
      } else if (response.status === 429) {
        // Too many attempts: the server says how long to wait.
        showError((await response.json()).message);
      } else {
        showError(`Signing in failed (HTTP ${response.status}). Try again.`);
      }
    } catch {
      showError('The server cannot be reached. Try again.');
    }
    submit.disabled = false;
  });
})();
