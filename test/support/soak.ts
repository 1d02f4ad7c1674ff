import http from 'node:http';
import type { DataSource } from 'typeorm';
import { Session } from '../../lib/index.js';
import { digestSessionKey } from '../../lib/session/session-key.js';
import { sessionCookie } from './test-app.js';

/**
 * Many signed-in clients against the test app at once, each checking every answer it gets.
 *
 * Each client is its own user with a main session and up to three others. Its steps run one
 * after another, except that every write to the main session's data (an append to a list, the
 * client's own increasing numbers) goes out together with a read of the same session, which
 * records activity: the two race, and the next append proves the write survived. Revoking is
 * checked from the victim's side (its next request is refused), listing by comparing the list
 * with the sessions the client knows.
 *
 * A 503, a timeout or a lost connection leaves the outcome of a write unknown: the client keeps
 * going and remembers what may or may not have happened (an append, a new session, an ended
 * one), so that the table check after a fault run allows exactly that much. Whether such
 * answers were acceptable at all is for the test to decide from `records`.
 */

export interface SoakOptions {
  url: string;
  clients: number;
  durationMs: number;
  /** Users are `${userPrefix}${n}`, so that two runs on one database do not meet. */
  userPrefix?: string;
  /**
   * Signing in again on the main session (the key changes, the data stays). Left out of fault
   * runs: a re-login that gets no answer leaves the client not knowing its own key.
   * @default true
   */
  relogin?: boolean;
  /** A request without an answer after this long is recorded as a timeout. */
  requestTimeoutMs?: number;
  /**
   * Each client opens with one of the rarer steps (revoke one, sign out another session, sign
   * in again, end all others) before the random mix, so that a short run covers every kind.
   * @default false
   */
  openWithRareSteps?: boolean;
}

export type Outcome = number | 'timeout' | 'network';

/** One request as the client saw it; times from `Date.now()`. */
export interface RequestRecord {
  op: string;
  start: number;
  end: number;
  status: Outcome;
}

interface Key {
  key: string;
  id: string;
}

/** What a client knows at the end, for the table check. */
export interface SoakClientState {
  userId: string;
  main: Key | null;
  /** Its other sessions that are certainly alive. */
  others: Key[];
  /** Sessions it tried to end without getting an answer: alive or not (`settle()` finds out). */
  uncertain: Key[];
  /** Sign-ins that got no answer: each may have left a row that no key of the client names. */
  unansweredLogins: number;
  /** Rows its answered sign-ins created, and rows its answered revocations and sign-outs ended. */
  created: number;
  ended: number;
  /** Numbers whose append was answered (so they must be in the list), in order. */
  confirmed: number[];
  /** Every number it tried to append (the list may hold those that got no answer, too). */
  attempted: Set<number>;
}

export interface SoakResult {
  records: RequestRecord[];
  /** Answers that were wrong: unexpected status, a lost write, a wrong list. */
  errors: string[];
  clients: SoakClientState[];
  startedAt: number;
  endedAt: number;
}

const MAX_OTHER_SESSIONS = 3;
const MAX_ERRORS_KEPT = 50;

/** Runs the clients until `durationMs` has passed, then `settle()`s what is uncertain. */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.clients * 2 + 4 });
  const result: SoakResult = { records: [], errors: [], clients: [], startedAt: Date.now(), endedAt: 0 };
  const transport = new SoakHttp(options.url, agent, options.requestTimeoutMs ?? 15_000, result);
  const deadline = result.startedAt + options.durationMs;
  const clients = Array.from(
    { length: options.clients },
    (_, n) =>
      new SoakClient(`${options.userPrefix ?? 'soak-'}${n}`, transport, options.relogin ?? true, result, options.openWithRareSteps ? n : null),
  );
  try {
    await Promise.all(clients.map((client) => client.run(deadline)));
    result.endedAt = Date.now();
    for (const client of clients) await client.settle();
  } finally {
    agent.destroy();
  }
  result.clients = clients.map((client) => client.state);
  return result;
}

class SoakHttp {
  constructor(
    private readonly base: string,
    private readonly agent: http.Agent,
    private readonly timeoutMs: number,
    private readonly result: SoakResult,
  ) {}

  /** Sends one request with `key` as the session cookie; records it. */
  send(op: string, method: string, path: string, key: string | null, body?: unknown): Promise<Answer> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = {};
    if (key !== null) headers.cookie = `sessionid=${key}`;
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const start = Date.now();
    return new Promise((resolve) => {
      let settled = false;
      const finish = (answer: Answer) => {
        if (settled) return;
        settled = true;
        this.result.records.push({ op, start, end: Date.now(), status: answer.status });
        resolve(answer);
      };
      const request = http.request(`${this.base}${path}`, { method, headers, agent: this.agent }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', () => finish({ status: 'network', body: null, text: '', setKey: undefined }));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let parsed: unknown = null;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch {
            parsed = null;
          }
          finish({ status: response.statusCode ?? 0, body: parsed, text, setKey: sessionCookie(response.headers['set-cookie']) });
        });
      });
      request.setTimeout(this.timeoutMs, () => {
        finish({ status: 'timeout', body: null, text: '', setKey: undefined });
        request.destroy();
      });
      request.on('error', () => finish({ status: 'network', body: null, text: '', setKey: undefined }));
      request.end(payload);
    });
  }
}

interface Answer {
  status: Outcome;
  body: unknown;
  text: string;
  setKey: string | undefined;
}

/** A server error, a timeout or a dropped connection: the request may or may not have acted. */
function isUnanswered(answer: Answer): boolean {
  return typeof answer.status !== 'number' || answer.status >= 500;
}

class SoakClient {
  readonly state: SoakClientState;
  private next = 1;
  private stopped = false;

  constructor(
    userId: string,
    private readonly http: SoakHttp,
    private readonly relogin: boolean,
    private readonly result: SoakResult,
    /** With `openWithRareSteps`: which rare step this client opens with. */
    private opening: number | null,
  ) {
    this.state = {
      userId,
      main: null,
      others: [],
      uncertain: [],
      unansweredLogins: 0,
      created: 0,
      ended: 0,
      confirmed: [],
      attempted: new Set(),
    };
  }

  async run(deadline: number): Promise<void> {
    while (!this.stopped && Date.now() < deadline) {
      if (this.state.main === null) {
        const key = await this.login('login');
        if (key) this.state.main = key;
        continue;
      }
      if (this.opening !== null) {
        await this.openWithRareStep(this.opening);
        this.opening = null;
        continue;
      }
      await this.step();
    }
  }

  /** A second session, then one of the steps a short random mix may never pick. */
  private async openWithRareStep(n: number): Promise<void> {
    const rare = [() => this.revokeOne(), () => this.logoutOther(), () => this.revokeOthers()];
    if (this.relogin) rare.push(() => this.reloginMain());
    await this.append();
    await this.addSession();
    if (this.state.others.length > 0 || n % rare.length === 3) await rare[n % rare.length]();
  }

  /** One step of the mix: about half of them write. */
  private async step(): Promise<void> {
    const { others } = this.state;
    const choices: [number, () => Promise<void>][] = [
      [30, () => this.read()],
      [25, () => this.append()],
      [12, () => this.list()],
      [others.length + this.state.uncertain.length < MAX_OTHER_SESSIONS ? 10 : 0, () => this.addSession()],
      [others.length > 0 ? 7 : 0, () => this.revokeOne()],
      [others.length > 0 ? 3 : 0, () => this.revokeOthers()],
      [others.length > 0 ? 5 : 0, () => this.logoutOther()],
      [this.relogin ? 4 : 0, () => this.reloginMain()],
    ];
    let pick = Math.random() * choices.reduce((sum, [weight]) => sum + weight, 0);
    for (const [weight, action] of choices) {
      pick -= weight;
      if (pick < 0) return action();
    }
  }

  /** GET /me on the main session or one of the others: 200 with the user. */
  private async read(): Promise<void> {
    const sessions = [this.state.main!, ...this.state.others];
    const session = sessions[Math.floor(Math.random() * sessions.length)];
    await this.expectUser('read', session);
  }

  /**
   * Appends the next number to the main session's list while a read of the same session (an
   * activity update) is in flight; the answer must hold every number appended before.
   */
  private async append(): Promise<void> {
    const main = this.state.main!;
    const value = this.next++;
    this.state.attempted.add(value);
    const race = Math.random();
    const companion = race < 0.4
      ? this.expectUser('read (racing an append)', main)
      : race < 0.8
        ? this.expectUser('slow read (racing an append)', main, '/me-slowly')
        : this.list('list (racing an append)');
    const [answer] = await Promise.all([
      this.http.send('append', 'POST', '/append', main.key, { name: 'seq', value }),
      companion,
    ]);
    if (isUnanswered(answer)) return;
    if (answer.status !== 201) return this.wrong('append', answer, 201);
    const problem = checkSequence((answer.body as { list?: unknown })?.list, this.state, value);
    if (problem) return this.fail(`append ${value} for ${this.state.userId}: ${problem}`);
    this.state.confirmed.push(value);
  }

  /** GET /account/sessions from the main session: exactly the sessions the client knows. */
  private async list(op = 'list'): Promise<void> {
    const main = this.state.main!;
    const answer = await this.http.send(op, 'GET', '/account/sessions', main.key);
    if (isUnanswered(answer)) return;
    if (answer.status !== 200 || !Array.isArray(answer.body)) return this.wrong(op, answer, 200);
    const listed = answer.body as { id: string; current: boolean }[];
    const known = new Set([main.id, ...this.state.others.map((session) => session.id)]);
    const maybe = new Set(this.state.uncertain.map((session) => session.id));
    const missing = [...known].filter((id) => !listed.some((session) => session.id === id));
    const strangers = listed.filter((session) => !known.has(session.id) && !maybe.has(session.id));
    if (missing.length > 0) return this.fail(`${op} for ${this.state.userId}: ${missing.length} live session(s) missing`);
    if (strangers.length > this.state.unansweredLogins) {
      return this.fail(`${op} for ${this.state.userId}: ${strangers.length} session(s) it never had`);
    }
    const current = listed.filter((session) => session.current).map((session) => session.id);
    if (current.length !== 1 || current[0] !== main.id) return this.fail(`${op} for ${this.state.userId}: wrong current session`);
  }

  /** Signs in once more without a cookie: a new session (another device). */
  private async addSession(): Promise<void> {
    const key = await this.login('login (another device)');
    if (key) this.state.others.push(key);
  }

  /** Ends one other session by id; the victim's next request is refused. */
  private async revokeOne(): Promise<void> {
    const victim = this.takeOther();
    const answer = await this.http.send('revoke one', 'DELETE', `/account/sessions/${victim.id}`, this.state.main!.key);
    if (isUnanswered(answer)) return void this.state.uncertain.push(victim);
    if (answer.status !== 204) {
      this.state.others.push(victim);
      return this.wrong('revoke one', answer, 204);
    }
    this.state.ended++;
    await this.expectRefused('revoked session', victim);
  }

  /** Ends all other sessions; each victim's next request is refused. */
  private async revokeOthers(): Promise<void> {
    const victims = this.state.others.splice(0);
    const answer = await this.http.send('revoke others', 'DELETE', '/account/sessions', this.state.main!.key);
    if (isUnanswered(answer)) return void this.state.uncertain.push(...victims);
    if (answer.status !== 200) {
      this.state.others.push(...victims);
      return this.wrong('revoke others', answer, 200);
    }
    // What it ended: the known victims, plus whatever uncertain sessions and unanswered
    // sign-ins had left alive; none of those can be alive now.
    const deleted = (answer.body as { deleted?: unknown })?.deleted;
    const unknownAtMost = this.state.uncertain.length + this.state.unansweredLogins;
    if (typeof deleted !== 'number' || deleted < victims.length || deleted > victims.length + unknownAtMost) {
      return this.fail(`revoke others for ${this.state.userId}: deleted ${String(deleted)} of ${victims.length} (+${unknownAtMost} unknown)`);
    }
    this.state.ended += victims.length;
    await this.resolveUncertain();
    // unansweredLogins is not reset: a sign-in that timed out (storageTimeout) may still land
    // after this DELETE, when its statement reaches the database late.
    for (const victim of victims) await this.expectRefused('revoked session', victim);
  }

  /** Signs one other session out (POST /logout with its cookie); its next request is refused. */
  private async logoutOther(): Promise<void> {
    const victim = this.takeOther();
    const answer = await this.http.send('logout', 'POST', '/logout', victim.key);
    if (isUnanswered(answer)) return void this.state.uncertain.push(victim);
    if (answer.status !== 204) {
      this.state.others.push(victim);
      return this.wrong('logout', answer, 204);
    }
    this.state.ended++;
    await this.expectRefused('signed-out session', victim);
  }

  /** Signs in again on the main session: a new key, the old one refused, the data kept. */
  private async reloginMain(): Promise<void> {
    const old = this.state.main!;
    const answer = await this.http.send('re-login', 'POST', '/login', old.key, { userId: this.state.userId });
    if (isUnanswered(answer)) return this.fail(`re-login for ${this.state.userId} got ${answer.status}`, true);
    if (answer.status !== 201 || !answer.setKey) return this.wrong('re-login', answer, 201, true);
    this.state.main = { key: answer.setKey, id: digestSessionKey(answer.setKey) };
    await this.expectRefused('key before re-login', old);
  }

  /** A new session of this user from POST /login without a cookie; null without an answer. */
  private async login(op: string): Promise<Key | null> {
    const answer = await this.http.send(op, 'POST', '/login', null, { userId: this.state.userId });
    if (isUnanswered(answer)) {
      this.state.unansweredLogins++;
      return null;
    }
    if (answer.status !== 201 || !answer.setKey) {
      this.wrong(op, answer, 201);
      return null;
    }
    this.state.created++;
    return { key: answer.setKey, id: digestSessionKey(answer.setKey) };
  }

  private takeOther(): Key {
    const { others } = this.state;
    return others.splice(Math.floor(Math.random() * others.length), 1)[0];
  }

  private async expectUser(op: string, session: Key, path = '/me'): Promise<void> {
    const answer = await this.http.send(op, 'GET', path, session.key);
    if (isUnanswered(answer)) return;
    if (answer.status !== 200 || (answer.body as { userId?: unknown })?.userId !== this.state.userId) {
      // The main session lost is the end of this client: everything after would fail too.
      return this.wrong(op, answer, 200, session === this.state.main);
    }
  }

  /** The session must be refused (401); until an answer comes, it stays uncertain. */
  private async expectRefused(what: string, session: Key): Promise<void> {
    const answer = await this.http.send(`${what} refused`, 'GET', '/me', session.key);
    if (isUnanswered(answer)) return;
    if (answer.status !== 401) this.fail(`${what} of ${this.state.userId} still works: ${answer.status}`);
  }

  /** Asks each uncertain session whether it is alive; answered ones are certain again. */
  private async resolveUncertain(): Promise<void> {
    const pending = this.state.uncertain.splice(0);
    for (const session of pending) {
      const answer = await this.http.send('settle', 'GET', '/me', session.key);
      if (answer.status === 200) this.state.others.push(session);
      else if (answer.status === 401) this.state.ended++;
      else this.state.uncertain.push(session);
    }
  }

  /** After the run: what is uncertain is asked once more (the database is back by then). */
  async settle(): Promise<void> {
    await this.resolveUncertain();
  }

  private wrong(op: string, answer: Answer, expected: number, stop = false): void {
    this.fail(`${op} for ${this.state.userId}: expected ${expected}, got ${answer.status} ${answer.text.slice(0, 200)}`, stop);
  }

  private fail(message: string, stop = false): void {
    if (this.result.errors.length < MAX_ERRORS_KEPT) this.result.errors.push(message);
    else if (this.result.errors.length === MAX_ERRORS_KEPT) this.result.errors.push('… more errors left out');
    if (stop) this.stopped = true;
  }
}

/**
 * Checks a stored list of appended numbers: increasing (no number twice, none out of order),
 * holding every number whose append was answered and only numbers that were sent, ending in
 * `last` when given. Null when right, else what is wrong.
 */
export function checkSequence(list: unknown, state: Pick<SoakClientState, 'confirmed' | 'attempted'>, last?: number): string | null {
  if (!Array.isArray(list)) return `no list but ${JSON.stringify(list)?.slice(0, 80)}`;
  for (let index = 1; index < list.length; index++) {
    if (!(list[index] > list[index - 1])) return `out of order at ${index}: ${list[index - 1]}, ${list[index]}`;
  }
  const held = new Set(list);
  const lost = state.confirmed.filter((value) => !held.has(value));
  if (lost.length > 0) return `lost ${lost.length} answered write(s), first ${lost[0]}`;
  const foreign = list.find((value) => !state.attempted.has(value));
  if (foreign !== undefined) return `holds ${foreign}, never sent`;
  if (last !== undefined && list.at(-1) !== last) return `ends in ${list.at(-1)}, not ${last}`;
  return null;
}

export interface TableCheck {
  rows: number;
  expectedRows: number;
  /** Rows no client has a key for, allowed only up to its sign-ins that got no answer. */
  unknownRows: number;
  sequencesChecked: number;
  valuesChecked: number;
  errors: string[];
}

/**
 * The session table after a run: no id twice, no row of a user no client is, no row of a
 * client's user that it has no key for (beyond its unanswered sign-ins), every session it
 * holds present, the count equal to what the clients created minus what they ended, and each
 * main session's list complete.
 */
export async function checkSessionTable(dataSource: DataSource, result: SoakResult): Promise<TableCheck> {
  const rows = await dataSource.getRepository(Session).find();
  const check: TableCheck = { rows: rows.length, expectedRows: 0, unknownRows: 0, sequencesChecked: 0, valuesChecked: 0, errors: [] };
  const ids = new Set(rows.map((row) => row.id));
  if (ids.size !== rows.length) check.errors.push(`${rows.length - ids.size} duplicate id(s)`);
  const byUser = new Map(result.clients.map((client) => [client.userId, client]));
  const rowsOf = new Map<string, Session[]>();
  for (const row of rows) {
    const userId = String(row.userId);
    if (!byUser.has(userId)) {
      check.errors.push(`row ${row.id.slice(0, 8)}… of a user no client is: ${row.userId}`);
      continue;
    }
    rowsOf.set(userId, [...(rowsOf.get(userId) ?? []), row]);
  }
  for (const client of result.clients) {
    const own = rowsOf.get(client.userId) ?? [];
    const held = [client.main, ...client.others].filter((key): key is Key => key !== null);
    const maybe = new Set(client.uncertain.map((key) => key.id));
    const heldIds = new Set(held.map((key) => key.id));
    for (const key of held) {
      if (!own.some((row) => row.id === key.id)) check.errors.push(`${client.userId}: a session it holds has no row of its user`);
    }
    const unknown = own.filter((row) => !heldIds.has(row.id) && !maybe.has(row.id)).length;
    check.unknownRows += unknown;
    if (unknown > client.unansweredLogins) {
      check.errors.push(`${client.userId}: ${unknown} orphan row(s), ${client.unansweredLogins} unanswered sign-in(s)`);
    }
    // Every session an answered sign-in created was ended since, is held, or is uncertain.
    const expected = client.created - client.ended;
    check.expectedRows += expected;
    const uncertainRows = own.filter((row) => maybe.has(row.id)).length;
    if (expected !== held.length + client.uncertain.length) {
      check.errors.push(`${client.userId}: created ${client.created} − ended ${client.ended} ≠ ${held.length} held + ${client.uncertain.length} uncertain`);
    }
    const rowsExpected = expected - (client.uncertain.length - uncertainRows) + unknown;
    if (own.length !== rowsExpected) {
      check.errors.push(`${client.userId}: ${own.length} row(s), expected ${rowsExpected}`);
    }
    const main = client.main && own.find((row) => row.id === client.main!.id);
    if (main) {
      let data: { seq?: unknown } = {};
      try {
        data = JSON.parse(main.data) as { seq?: unknown };
      } catch {
        check.errors.push(`${client.userId}: unreadable data`);
      }
      const problem = client.attempted.size === 0 && data.seq === undefined ? null : checkSequence(data.seq, client);
      if (problem) check.errors.push(`${client.userId}: stored list ${problem}`);
      check.sequencesChecked++;
      check.valuesChecked += Array.isArray(data.seq) ? data.seq.length : 0;
    }
  }
  return check;
}

/** Requests by status, and the errors that are not answers at all. */
export function countStatuses(records: RequestRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const record of records) counts[String(record.status)] = (counts[String(record.status)] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

/** The p-th percentile (0–100) of the durations of `records`, in ms. */
export function percentile(records: RequestRecord[], p: number): number {
  if (records.length === 0) return 0;
  const durations = records.map((record) => record.end - record.start).sort((a, b) => a - b);
  return durations[Math.min(durations.length - 1, Math.ceil((p / 100) * durations.length) - 1)];
}

/** One paragraph for the log: requests, statuses, errors, latency, rows checked. */
export function summarize(title: string, result: SoakResult, table: TableCheck): string {
  const seconds = (result.endedAt - result.startedAt) / 1000;
  const statuses = countStatuses(result.records);
  const fivexx = result.records.filter((record) => typeof record.status === 'number' && record.status >= 500).length;
  const timeouts = statuses.timeout ?? 0;
  const network = statuses.network ?? 0;
  return [
    `${title}: ${result.clients.length} clients, ${seconds.toFixed(1)} s, ${result.records.length} requests (${Math.round(result.records.length / seconds)}/s)`,
    `  statuses: ${Object.entries(statuses).map(([status, count]) => `${status}: ${count}`).join(', ')}`,
    `  errors: 5xx ${fivexx}, timeouts ${timeouts}, connection errors ${network}, wrong answers ${result.errors.length}`,
    `  latency ms: p50 ${percentile(result.records, 50)}, p99 ${percentile(result.records, 99)}, max ${percentile(result.records, 100)}`,
    `  rows checked: ${table.rows} (expected ${table.expectedRows} = created − ended; ${table.unknownRows} from unanswered sign-ins), ` +
      `${table.sequencesChecked} lists with ${table.valuesChecked} appended values, ${table.errors.length} problem(s)`,
  ].join('\n');
}
