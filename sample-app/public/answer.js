// "Was this you?": shows the sign-in an alert's link is about, and sends the answer when the
// user presses the button. Text goes into the page with textContent only.
'use strict';

(() => {
  const API = '/account/devices/answer';
  // In the fragment, the token never reaches a server log; nor does it stay in the address bar.
  const token = new URLSearchParams(location.hash.slice(1)).get('token') ?? '';
  history.replaceState(null, '', location.pathname);
  const question = document.getElementById('question');
  const loading = document.getElementById('loading');
  const result = document.getElementById('result');
  const button = document.getElementById('answer');

  function show(text, isError = false) {
    loading.hidden = true;
    question.hidden = true;
    result.textContent = text;
    result.classList.toggle('error', isError);
    result.hidden = false;
  }

  function refusal(status) {
    if (status === 404 || status === 400) return 'This link is not valid: it was mistyped, or it was used already.';
    if (status === 410) return 'This link has expired. Review your sessions and devices after signing in.';
    if (status === 403) return 'Another account is signed in on this browser. Open the link where you are signed out, or as the right user.';
    return `The answer could not be checked (HTTP ${status}).`;
  }

  async function load() {
    const response = await fetch(`${API}/preview`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      credentials: 'same-origin',
      body: JSON.stringify({ token }),
    });
    if (!response.ok) {
      show(refusal(response.status), true);
      return;
    }
    const sign = await response.json();
    document.getElementById('device').textContent = sign.device ?? 'An unknown device';
    document.getElementById('place').textContent = sign.location ?? 'Unknown place';
    const when = document.getElementById('when');
    when.dateTime = sign.signedInAt;
    when.textContent = new Date(sign.signedInAt).toLocaleString();
    const confirming = sign.answer === 'confirm';
    document.getElementById('confirm-text').hidden = !confirming;
    document.getElementById('report-text').hidden = confirming;
    button.textContent = confirming ? 'Yes, this was me' : 'No, this was not me: sign it out';
    button.classList.toggle('danger', !confirming);
    button.classList.toggle('primary', confirming);
    loading.hidden = true;
    question.hidden = false;
  }

  async function answer() {
    button.disabled = true;
    const response = await fetch(API, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      credentials: 'same-origin',
      body: JSON.stringify({ token }),
    });
    if (!response.ok) {
      show(refusal(response.status), true);
      return;
    }
    const outcome = await response.json();
    show(
      outcome.status === 'trusted'
        ? 'Thank you. We will remember this device.'
        : `We signed that device out (${outcome.endedSessions === 1 ? '1 session' : `${outcome.endedSessions} sessions`} ended). Change your password now.`,
    );
    document.getElementById('title').focus();
  }

  button.addEventListener('click', () => answer().catch(() => show('The server cannot be reached. Try again.', true)));
  load().catch(() => show('The server cannot be reached. Try again.', true));
})();
