import type { RequestRecord, SoakResult } from './soak.js';
import { percentile } from './soak.js';

/** When a database went away and came back, as the test saw it (`Date.now()` times). */
export interface Outage {
  label: string;
  /** The stop (or silence) began. */
  stopping: number;
  /** The database was gone: every request from here to `starting` must fail fast. */
  down: number;
  /** The start (or resume) began. */
  starting: number;
  /** The database accepted connections again. */
  up: number;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `at` (a `Date.now()` time). */
export const sleepUntil = (at: number) => sleep(Math.max(0, at - Date.now()));

/** Runs `stop`, holds the database down `holdMs`, runs `start`; returns the times. */
export async function outage(label: string, stop: () => Promise<void> | void, start: () => Promise<void> | void, holdMs: number): Promise<Outage> {
  const stopping = Date.now();
  await stop();
  const down = Date.now();
  await sleep(holdMs);
  const starting = Date.now();
  await start();
  return { label, stopping, down, starting, up: Date.now() };
}

const failed = (record: RequestRecord) => typeof record.status !== 'number' || record.status >= 500;

export interface OutageReport {
  label: string;
  /** Requests that started while the database was down. */
  duringDown: number;
  /** Of those, answered 503. */
  answered503: number;
  /** Their latency, ms. */
  p99: number;
  max: number;
  /** From `up` to the end of the last failed request that started after it (0: none failed). */
  recoveryMs: number;
}

/**
 * Judges a run with outages: a failure is acceptable only as a 503 of a request that overlapped
 * an outage (from its stop to `recoveryMs` after it was up again); while the database was down
 * every request failed, with a 503, within `fastMs`; after `recoveryMs` everything succeeded.
 */
export function judgeOutages(result: SoakResult, outages: Outage[], options: { fastMs: number; recoveryMs: number }): { problems: string[]; reports: OutageReport[] } {
  const problems: string[] = [];
  const reports: OutageReport[] = [];
  for (const record of result.records.filter(failed)) {
    const overlaps = outages.some((o) => record.end >= o.stopping && record.start <= o.up + options.recoveryMs);
    if (record.status !== 503 || !overlaps) {
      problems.push(`${record.op} at +${record.start - result.startedAt} ms: ${record.status}${overlaps ? '' : ' outside an outage'}`);
    }
  }
  outages.forEach((o, index) => {
    // Sent while it was down: each answered within fastMs (a request sent just before the
    // restart may still succeed); answered while it was down: each a failure.
    const during = result.records.filter((record) => record.start >= o.down && record.start < o.starting);
    const answeredWhileDown = during.filter((record) => record.end <= o.starting);
    const answered503 = during.filter((record) => record.status === 503).length;
    const succeeded = answeredWhileDown.filter((record) => !failed(record));
    if (answeredWhileDown.length === 0) problems.push(`${o.label}: no request answered while the database was down`);
    if (succeeded.length > 0) problems.push(`${o.label}: ${succeeded.length} request(s) succeeded while the database was down`);
    const slow = during.filter((record) => record.end - record.start > options.fastMs);
    if (slow.length > 0) problems.push(`${o.label}: ${slow.length} request(s) took over ${options.fastMs} ms while the database was down`);
    const next = outages[index + 1]?.stopping ?? result.endedAt;
    // (A request the next outage failed is not this one's.)
    const after = result.records.filter((record) => record.start >= o.up && record.end < next);
    const recoveryMs = Math.max(0, ...after.filter(failed).map((record) => record.end - o.up));
    const settled = result.records.filter((record) => record.start >= o.up + options.recoveryMs && record.end < next);
    if (settled.length === 0) problems.push(`${o.label}: no request after the recovery time to show the service was back`);
    reports.push({ label: o.label, duringDown: during.length, answered503, p99: percentile(during, 99), max: percentile(during, 100), recoveryMs });
  });
  return { problems, reports };
}

export function describeOutages(reports: OutageReport[]): string {
  return reports
    .map((r) => `  ${r.label}: ${r.duringDown} requests while down, ${r.answered503} answered 503 (p99 ${r.p99} ms, max ${r.max} ms); full service ${r.recoveryMs} ms after it was back`)
    .join('\n');
}
