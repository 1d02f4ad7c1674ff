// "Active sessions": lists the signed-in user's sessions from the JSON API at the same path,
// and ends them. Text goes into the page with textContent only: user agents are the client's.
'use strict';

(() => {
  const API = '/account/sessions';
  const rows = document.getElementById('session-rows');
  const table = document.getElementById('sessions');
  const loading = document.getElementById('loading');
  const status = document.getElementById('status');
  const endOthers = document.getElementById('end-others');
  const endOthersPanel = document.getElementById('end-others-panel');
  const title = document.getElementById('title');
  const reauth = document.getElementById('reauth');
  const reauthPassword = document.getElementById('reauth-password');
  const reauthError = document.getElementById('reauth-error');
  const { lang, words, relativeTime, translatePage } = window.demoText;
  const fullDate = new Intl.DateTimeFormat(lang, { dateStyle: 'full', timeStyle: 'long' });
  const devicesList = document.getElementById('devices');
  const activityList = document.getElementById('activity');
  const activityMore = document.getElementById('activity-more');
  translatePage();

  /** Thrown after leaving for the sign-in page, to stop whatever was going on. */
  class SignedOut extends Error {}

  /** A request to the API; a 401 (signed out, here or elsewhere) goes to the sign-in page. */
  async function api(method, path) {
    // The browser's Accept-Language asks the API for device and place names in the page's language.
    const response = await fetch(path, { method, headers: { Accept: 'application/json' }, credentials: 'same-origin' });
    if (response.status === 401) {
      location.replace('/');
      throw new SignedOut();
    }
    return response;
  }

  function showStatus(text, isError = false) {
    status.textContent = text;
    status.classList.toggle('error', isError);
    status.hidden = false;
  }

  /** "Safari on iPhone" (the API's words), "Firefox on unknown", "unknown on unknown". */
  function deviceText(session) {
    if (session.browser && session.platform && session.device) return session.device;
    if (session.browser || session.platform) return words.on(session.browser || words.unknown, session.platform || words.unknown);
    return session.device || words.on(words.unknown, words.unknown);
  }

  function cell(label, text, className) {
    const td = document.createElement('td');
    td.dataset.label = label;
    if (className) td.className = className;
    if (text !== null && text !== undefined) {
      td.textContent = text;
    } else {
      td.textContent = words.unknown;
      td.classList.add('unknown');
    }
    return td;
  }

  function renderRow(session) {
    const tr = document.createElement('tr');
    tr.dataset.id = session.id;
    if (session.current) tr.className = 'current';

    tr.append(cell(words.location, session.location), cell(words.ip, session.ip, 'ip'));

    const device = cell(words.device, deviceText(session));
    if (!session.browser && !session.platform && !session.device) device.classList.add('unknown');
    if (session.userAgent) device.title = session.userAgent;
    tr.append(device);

    // One element in the cell, so that on a phone it stays one value beside its label.
    const activity = cell(words.lastActivity, '');
    const value = document.createElement('span');
    const lastActivity = new Date(session.lastActivity);
    const time = document.createElement('time');
    time.dateTime = session.lastActivity;
    time.title = fullDate.format(lastActivity);
    time.textContent = relativeTime(lastActivity);
    value.append(time);
    if (session.current) {
      const mark = document.createElement('span');
      mark.className = 'this-session';
      mark.textContent = words.thisSession;
      value.append(' ', mark);
    }
    activity.replaceChildren(value);
    tr.append(activity);

    const actions = document.createElement('td');
    actions.className = 'actions';
    if (!session.current) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'button small danger';
      button.dataset.action = 'end';
      button.textContent = words.endSession;
      button.setAttribute('aria-label', `${words.endSession}: ${deviceText(session)}, ${time.textContent}`);
      actions.append(button);
    }
    tr.append(actions);
    return tr;
  }

  /** "End all other sessions" only when there is another session to end. */
  function updateEndOthers() {
    endOthersPanel.hidden = rows.querySelectorAll('tr:not(.current)').length === 0;
  }

  async function load() {
    const response = await api('GET', API);
    if (!response.ok) throw new Error(`The sessions could not be loaded (HTTP ${response.status}).`);
    const sessions = await response.json();
    rows.replaceChildren(...sessions.map(renderRow));
    loading.hidden = true;
    table.hidden = false;
    updateEndOthers();
  }

  async function loadUser() {
    const response = await api('GET', '/auth/me');
    if (!response.ok) return;
    const user = await response.json();
    document.getElementById('username').textContent = user.username;
    document.getElementById('account').hidden = false;
  }

  async function endSession(button) {
    const row = button.closest('tr');
    button.disabled = true;
    const response = await askingForPassword(() => api('DELETE', `${API}/${encodeURIComponent(row.dataset.id)}`));
    if (response === null) {
      button.disabled = false;
      button.focus();
      return;
    }
    // 404: it ended on its own meanwhile (expired, or ended from another page); gone either way.
    if (response.status !== 204 && response.status !== 404) {
      button.disabled = false;
      showStatus(`The session could not be ended (HTTP ${response.status}).`, true);
      return;
    }
    const next = row.nextElementSibling ?? row.previousElementSibling;
    row.remove();
    updateEndOthers();
    showStatus(words.sessionEnded);
    run(loadAccount);
    (next?.querySelector('button') ?? title).focus();
  }

  /** Whether a response is the API's "re-authentication required" (403 with `reauthenticate: true`). */
  async function needsPassword(response) {
    if (response.status !== 403) return false;
    const body = await response.clone().json().catch(() => null);
    return body?.reauthenticate === true;
  }

  /**
   * Sends a request that may need the password entered recently; when it does, asks for it and
   * sends again. Null: the user cancelled.
   */
  async function askingForPassword(send) {
    const response = await send();
    if (!(await needsPassword(response))) return response;
    return (await askForPassword()) ? send() : null;
  }

  /** Set while the password form is open: settles the promise of `askForPassword()`. */
  let settleReauth = null;

  /** Shows the password form; resolves to true once the server took the password, false on Cancel. */
  function askForPassword() {
    reauth.hidden = false;
    reauthError.hidden = true;
    reauthPassword.value = '';
    reauthPassword.focus();
    return new Promise((resolve) => {
      settleReauth = resolve;
    });
  }

  function closePasswordForm(confirmed) {
    reauth.hidden = true;
    const settle = settleReauth;
    settleReauth = null;
    settle?.(confirmed);
  }

  async function sendPassword() {
    const submit = reauth.querySelector('button[type="submit"]');
    submit.disabled = true;
    reauthError.hidden = true;
    try {
      const response = await fetch('/auth/reauthenticate', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        credentials: 'same-origin',
        body: JSON.stringify({ password: reauthPassword.value }),
      });
      if (response.status === 401) {
        location.replace('/');
        throw new SignedOut();
      }
      if (response.ok) {
        closePasswordForm(true);
        return;
      }
      reauthError.textContent = response.status === 403
        ? 'Wrong password. Try again.'
        : response.status === 400 ? 'Enter your password.'
        // Too many attempts: the server says how long to wait.
        : response.status === 429 ? (await response.json()).message
        : `The password could not be checked (HTTP ${response.status}).`;
      reauthError.hidden = false;
      reauthPassword.select();
    } finally {
      submit.disabled = false;
    }
  }

  async function endAllOthers() {
    endOthers.disabled = true;
    try {
      const response = await askingForPassword(() => api('DELETE', API));
      if (response === null) {
        endOthers.disabled = false;
        endOthers.focus();
        return;
      }
      if (!response.ok) {
        showStatus(`The other sessions could not be ended (HTTP ${response.status}).`, true);
        return;
      }
      const { deleted } = await response.json();
      await load();
      showStatus(words.endedOthers(deleted));
      run(loadAccount);
      title.focus();
    } finally {
      endOthers.disabled = false;
    }
  }

  async function signOut(button) {
    button.disabled = true;
    const response = await fetch('/auth/logout', { method: 'POST', credentials: 'same-origin' });
    if (response.ok || response.status === 401) {
      location.replace('/');
      return;
    }
    button.disabled = false;
    showStatus(`Signing out failed (HTTP ${response.status}).`, true);
  }

  /** Runs an action; a failure shows as a message, leaving for the sign-in page shows nothing. */
  function run(action) {
    action().catch((error) => {
      if (error instanceof SignedOut) return;
      showStatus(error instanceof TypeError ? 'The server cannot be reached. Try again.' : error.message, true);
    });
  }

  rows.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-action="end"]');
    if (button && !button.disabled) run(() => endSession(button));
  });
  endOthers.addEventListener('click', () => run(endAllOthers));
  reauth.addEventListener('submit', (event) => {
    event.preventDefault();
    run(sendPassword);
  });
  document.getElementById('reauth-cancel').addEventListener('click', () => closePasswordForm(false));
  document.getElementById('sign-out').addEventListener('click', (event) => run(() => signOut(event.currentTarget)));

  // Keeps "5 minutes ago" true while the page stays open.
  setInterval(() => {
    for (const time of document.querySelectorAll('main time')) time.textContent = relativeTime(new Date(time.dateTime));
  }, 30_000);

  function timeElement(iso) {
    const time = document.createElement('time');
    time.dateTime = iso;
    time.title = fullDate.format(new Date(iso));
    time.textContent = relativeTime(new Date(iso));
    return time;
  }

  /** One line of a list: a heading and a line of details, each a list of text and elements. */
  function entry(heading, details, className) {
    const li = document.createElement('li');
    if (className) li.className = className;
    const head = document.createElement('strong');
    head.append(...heading);
    const line = document.createElement('span');
    line.className = 'muted';
    details.filter((part) => part !== null && part !== undefined && part !== '').forEach((part, index) => {
      if (index > 0) line.append(' · ');
      line.append(part);
    });
    li.append(head, document.createElement('br'), line);
    return li;
  }

  /** "Your devices": every browser the user signed in with, and what they said of it. */
  async function loadDevices() {
    const response = await api('GET', '/account/devices');
    if (!response.ok) return;
    const devices = await response.json();
    devicesList.replaceChildren(
      ...devices.map((device) => {
        const heading = [device.device ?? words.on(words.unknown, words.unknown)];
        if (device.current) heading.push(` (${words.thisDevice})`);
        const lastSignIn = document.createElement('span');
        lastSignIn.append(`${words.lastSignIn} `, timeElement(device.lastSeen));
        const li = entry(
          heading,
          [device.location, words.trust[device.trust] ?? device.trust, lastSignIn],
          device.trust === 'reported' ? 'reported' : undefined,
        );
        li.dataset.trust = device.trust;
        return li;
      }),
    );
  }

  /** "Recent activity": the history, a page at a time. */
  let activityCursor = null;

  function describeActivity(item) {
    const heading = [words.kinds[item.kind] ?? item.kind];
    const endedBy = item.details?.endedBy;
    if (item.kind === 'session-ended' && words.endedBy[endedBy]) heading.push(` (${words.endedBy[endedBy]})`);
    if (item.current) heading.push(` · ${words.thisSessionMark}`);
    const place = item.previousLocation && item.location ? `${item.location} (${words.from(item.previousLocation)})` : item.location;
    return entry(heading, [timeElement(item.at), item.device, place]);
  }

  async function loadActivity(more = false) {
    const query = more && activityCursor ? `?cursor=${encodeURIComponent(activityCursor)}` : '';
    const response = await api('GET', `/account/activity${query}`);
    if (!response.ok) return;
    const page = await response.json();
    const items = page.entries.map(describeActivity);
    if (more) activityList.append(...items);
    else activityList.replaceChildren(...(items.length > 0 ? items : [entry([words.noActivity], [])]));
    activityCursor = page.nextCursor;
    activityMore.hidden = activityCursor === null;
  }

  /** The devices and the history, which every sign-in and end changes. */
  function loadAccount() {
    return Promise.all([loadDevices(), loadActivity()]);
  }

  activityMore.addEventListener('click', () => run(() => loadActivity(true)));

  /**
   * Live updates: the server says "sessions-changed" when a session of this user starts or
   * ends elsewhere, and the list is loaded again. When this session ends (here or elsewhere)
   * the server closes the socket with 4401, and the page goes to the sign-in form. Any other
   * close (a restart) is retried, a little later each time.
   */
  function listen(retryDelay = 1000) {
    const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${API}/live`);
    socket.addEventListener('open', () => {
      retryDelay = 1000;
    });
    socket.addEventListener('message', (event) => {
      const message = JSON.parse(event.data);
      if (message.event === 'sessions-changed') run(() => Promise.all([load(), loadAccount()]));
    });
    socket.addEventListener('close', (event) => {
      if (event.code === 4401) {
        location.replace('/');
        return;
      }
      setTimeout(() => listen(Math.min(retryDelay * 2, 30_000)), retryDelay);
    });
  }

  run(() => Promise.all([load(), loadUser(), loadAccount()]));
  listen();
})();
