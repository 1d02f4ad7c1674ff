// The sessions page's words, in English and German: the page follows the browser's language
// (`navigator.languages`, which is also what its Accept-Language header says, so the API's
// device and place names come in the same language). Anything else reads English.
'use strict';

(() => {
  const WORDS = {
    en: {
      pageTitle: 'Active sessions · User sessions demo',
      title: 'Active sessions',
      lead: 'The browsers and devices signed in to your account. End a session you do not recognise: that device will have to sign in again.',
      loading: 'Loading your sessions…',
      signedInAs: 'Signed in as ',
      signOut: 'Sign out',
      location: 'Location',
      ip: 'IP',
      device: 'Device',
      lastActivity: 'Last activity',
      actions: 'Actions',
      unknown: 'unknown',
      on: (browser, platform) => `${browser} on ${platform}`,
      thisSession: '(this session)',
      endSession: 'End session',
      endOthersText: 'You can also end every session but this one: that signs you out on all your other devices.',
      endOthers: 'End all other sessions',
      justNow: 'just now',
      sessionEnded: 'Session ended. That device is signed out.',
      endedOthers: (count) => (count === 1 ? 'Ended 1 other session.' : `Ended ${count} other sessions.`),
      devicesTitle: 'Your devices',
      devicesLead: 'Every browser you have signed in with. A new one is e-mailed to you with the question "Was this you?".',
      thisDevice: 'this device',
      trust: { trusted: 'confirmed by you', unconfirmed: 'not confirmed', reported: 'reported: not you' },
      firstSeen: 'first sign-in',
      lastSignIn: 'last sign-in',
      activityTitle: 'Recent activity',
      activityLead: 'What happened to your account in the last 30 days.',
      noActivity: 'Nothing yet.',
      showMore: 'Show more',
      kinds: {
        'signed-in': 'Signed in',
        'signed-out': 'Signed out',
        'session-ended': 'Session ended',
        'other-sessions-ended': 'All other sessions ended',
        'all-sessions-ended': 'All sessions ended',
        'reauthenticated': 'Password entered again',
        'new-device': 'New device',
        'device-trusted': 'Device confirmed as yours',
        'device-reported': 'Device reported as not you',
        'country-changed': 'Session moved to another country',
        'network-changed': 'Session moved to another network',
        'impossible-travel': 'Sign-in too far from the previous one',
      },
      endedBy: {
        'other-session': 'from another of your sessions',
        admin: 'by an administrator',
        expiry: 'expired',
        'session-limit': 'session limit',
        'theft-suspected': 'cookie used from two devices',
        'device-reported': 'you reported the device',
      },
      from: (place) => `from ${place}`,
      thisSessionMark: 'this session',
      reauthTitle: 'Confirm it is you',
      reauthText: 'Enter your password again to end all other sessions.',
      password: 'Password',
      confirm: 'Confirm',
      cancel: 'Cancel',
    },
    de: {
      pageTitle: 'Aktive Sitzungen · User sessions demo',
      title: 'Aktive Sitzungen',
      lead: 'Die Browser und Geräte, die in Ihrem Konto angemeldet sind. Beenden Sie eine Sitzung, die Sie nicht kennen: Das Gerät muss sich dann neu anmelden.',
      loading: 'Ihre Sitzungen werden geladen …',
      signedInAs: 'Angemeldet als ',
      signOut: 'Abmelden',
      location: 'Ort',
      ip: 'IP',
      device: 'Gerät',
      lastActivity: 'Letzte Aktivität',
      actions: 'Aktionen',
      unknown: 'unbekannt',
      on: (browser, platform) => `${browser} auf ${platform}`,
      thisSession: '(diese Sitzung)',
      endSession: 'Sitzung beenden',
      endOthersText: 'Sie können auch alle Sitzungen außer dieser beenden: Dann sind Sie auf allen anderen Geräten abgemeldet.',
      endOthers: 'Alle anderen Sitzungen beenden',
      justNow: 'gerade eben',
      sessionEnded: 'Sitzung beendet. Das Gerät ist abgemeldet.',
      endedOthers: (count) => (count === 1 ? '1 andere Sitzung beendet.' : `${count} andere Sitzungen beendet.`),
      devicesTitle: 'Ihre Geräte',
      devicesLead: 'Jeder Browser, mit dem Sie sich angemeldet haben. Bei einem neuen fragen wir Sie per E-Mail: „Waren Sie das?“',
      thisDevice: 'dieses Gerät',
      trust: { trusted: 'von Ihnen bestätigt', unconfirmed: 'nicht bestätigt', reported: 'gemeldet: nicht Sie' },
      firstSeen: 'erste Anmeldung',
      lastSignIn: 'letzte Anmeldung',
      activityTitle: 'Letzte Aktivitäten',
      activityLead: 'Was in den letzten 30 Tagen mit Ihrem Konto geschehen ist.',
      noActivity: 'Noch nichts.',
      showMore: 'Mehr anzeigen',
      kinds: {
        'signed-in': 'Angemeldet',
        'signed-out': 'Abgemeldet',
        'session-ended': 'Sitzung beendet',
        'other-sessions-ended': 'Alle anderen Sitzungen beendet',
        'all-sessions-ended': 'Alle Sitzungen beendet',
        'reauthenticated': 'Passwort erneut eingegeben',
        'new-device': 'Neues Gerät',
        'device-trusted': 'Gerät als Ihres bestätigt',
        'device-reported': 'Gerät als nicht Ihres gemeldet',
        'country-changed': 'Sitzung in ein anderes Land gewechselt',
        'network-changed': 'Sitzung in ein anderes Netz gewechselt',
        'impossible-travel': 'Anmeldung zu weit von der vorigen entfernt',
      },
      endedBy: {
        'other-session': 'von einer anderen Ihrer Sitzungen',
        admin: 'von einem Administrator',
        expiry: 'abgelaufen',
        'session-limit': 'Sitzungsgrenze',
        'theft-suspected': 'Cookie von zwei Geräten benutzt',
        'device-reported': 'Sie haben das Gerät gemeldet',
      },
      from: (place) => `aus ${place}`,
      thisSessionMark: 'diese Sitzung',
      reauthTitle: 'Bestätigen Sie, dass Sie es sind',
      reauthText: 'Geben Sie Ihr Passwort erneut ein, um alle anderen Sitzungen zu beenden.',
      password: 'Passwort',
      confirm: 'Bestätigen',
      cancel: 'Abbrechen',
    },
  };

  const lang = (navigator.languages ?? [navigator.language]).map((tag) => String(tag).slice(0, 2).toLowerCase()).find((tag) => tag in WORDS) ?? 'en';
  const words = WORDS[lang];
  const relative = new Intl.RelativeTimeFormat(lang, { numeric: 'always' });

  /** "just now", "5 minutes ago", "vor 3 Stunden". */
  function relativeTime(date, now = Date.now()) {
    const seconds = Math.max(0, Math.round((now - date.getTime()) / 1000));
    if (seconds < 60) return words.justNow;
    const minutes = Math.floor(seconds / 60);
    if (minutes < 60) return relative.format(-minutes, 'minute');
    const hours = Math.floor(minutes / 60);
    if (hours < 24) return relative.format(-hours, 'hour');
    return relative.format(-Math.floor(hours / 24), 'day');
  }

  /** Puts the words into the page's elements marked `data-text="key"`. */
  function translatePage() {
    document.documentElement.lang = lang;
    if (words.pageTitle) document.title = words.pageTitle;
    for (const element of document.querySelectorAll('[data-text]')) element.textContent = words[element.dataset.text];
  }

  window.demoText = { lang, words, relativeTime, translatePage };
})();
