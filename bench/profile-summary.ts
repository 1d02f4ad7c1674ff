/**
 * Reads V8 CPU profiles written by `npm run bench -- --cpu-prof <dir>` and prints where the
 * time went, per request served when the profile's `.requests.json` is beside it:
 *
 *   node dist/bench/profile-summary.js <a.cpuprofile> [top]
 *       self time by package (our `lib/`, each node_modules package, Node's internals, GC),
 *       the functions with the most self time, the inclusive time of our own functions;
 *   node dist/bench/profile-summary.js <a.cpuprofile> <b.cpuprofile> [top]
 *       what a costs more than b, per request, by package and by function (module-read
 *       against floor, say).
 *
 * Self time of a function includes what V8 inlined into it and the native code it called
 * without a frame of its own (a better-sqlite3 statement, say).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Time per key, in µs (per request when the request count is known), idle left out. */
export interface Breakdown {
  /** Requests the profile covers, or null: then the figures are totals. */
  requests: number | null;
  busy: number;
  byPackage: Map<string, number>;
  byFunction: Map<string, number>;
  /** Inclusive time of `lib/` functions: each function counted once per stack. */
  libInclusive: Map<string, number>;
}

/** The package a script belongs to: `lib`, `bench`, a node_modules package, `node`, or a V8 pseudo-frame. */
export function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const [scopeOrName, name] = url.slice(modules + '/node_modules/'.length).split('/');
    return scopeOrName.startsWith('@') ? `${scopeOrName}/${name}` : scopeOrName;
  }
  const dist = url.match(/\/dist\/(lib|bench|sample-app)\//);
  return dist ? dist[1] : url;
}

function frameName({ callFrame }: ProfileNode): string {
  const file = callFrame.url.replace(/^.*\/(node_modules|dist)\//, '');
  return `${callFrame.functionName || '(anonymous)'} ${file}${file ? `:${callFrame.lineNumber + 1}` : ''}`;
}

function add(map: Map<string, number>, key: string, value: number): void {
  map.set(key, (map.get(key) ?? 0) + value);
}

export function breakdown(profile: CpuProfile, requests: number | null): Breakdown {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map<number, number>();
  profile.samples.forEach((id, index) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));

  const scale = requests ? 1 / requests : 1;
  const result: Breakdown = { requests, busy: 0, byPackage: new Map(), byFunction: new Map(), libInclusive: new Map() };
  for (const [id, rawTime] of self) {
    const node = byId.get(id)!;
    if (node.callFrame.functionName === '(idle)') continue;
    const time = rawTime * scale;
    result.busy += time;
    add(result.byPackage, packageOf(node.callFrame.url, node.callFrame.functionName), time);
    add(result.byFunction, frameName(node), time);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!;
      if (packageOf(frame.callFrame.url, frame.callFrame.functionName) !== 'lib') continue;
      const name = frameName(frame);
      if (!seen.has(name)) {
        seen.add(name);
        add(result.libInclusive, name, time);
      }
    }
  }
  return result;
}

function load(file: string): Breakdown {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const countFile = `${file}.requests.json`;
  const requests = existsSync(countFile) ? (JSON.parse(readFileSync(countFile, 'utf8')) as { requests: number }).requests : null;
  return breakdown(profile, requests);
}

function ranked(map: Map<string, number>, count: number, by: (value: number) => number = Math.abs): [string, number][] {
  return [...map].sort((a, b) => by(b[1]) - by(a[1])).slice(0, count);
}

export function describe(b: Breakdown, top = 25): string {
  const unit = b.requests ? 'µs/request' : 'ms in all';
  const show = (time: number) => (b.requests ? time : time / 1000).toFixed(1).padStart(8);
  const share = (time: number) => `${((100 * time) / b.busy).toFixed(1).padStart(5)} %`;
  const lines = [
    b.requests
      ? `${show(b.busy).trim()} µs of CPU per request (busy samples over ${b.requests.toLocaleString('en')} requests)`
      : `${show(b.busy).trim()} ms busy (no .requests.json beside the profile: totals)`,
    '',
  ];
  const list = (title: string, map: Map<string, number>, count: number) => {
    lines.push(`${title} (${unit}):`);
    for (const [name, time] of ranked(map, count)) lines.push(`${show(time)}  ${share(time)}  ${name}`);
    lines.push('');
  };
  list('self time by package', b.byPackage, 20);
  list('self time by function', b.byFunction, top);
  list('inclusive time of lib/ functions', b.libInclusive, top);
  return lines.join('\n');
}

export function compare(a: Breakdown, b: Breakdown, top = 25): string {
  const perRequest = a.requests !== null && b.requests !== null;
  const unit = perRequest ? 'µs/request' : 'ms';
  const show = (time: number) => (perRequest ? time : time / 1000).toFixed(1).padStart(8);
  const diff = (x: Map<string, number>, y: Map<string, number>) => {
    const result = new Map<string, number>();
    for (const key of new Set([...x.keys(), ...y.keys()])) result.set(key, (x.get(key) ?? 0) - (y.get(key) ?? 0));
    return result;
  };
  const lines = [
    `first ${show(a.busy).trim()}, second ${show(b.busy).trim()}, difference ${show(a.busy - b.busy).trim()} (${unit})`,
    perRequest ? '' : 'no .requests.json beside the profiles: totals, not per request',
    '',
  ];
  const list = (title: string, x: Map<string, number>, y: Map<string, number>, count: number) => {
    lines.push(`${title} (${unit}: first − second, then first, second):`);
    for (const [name, delta] of ranked(diff(x, y), count)) {
      lines.push(`${show(delta)}  ${show(x.get(name) ?? 0)} ${show(y.get(name) ?? 0)}  ${name}`);
    }
    lines.push('');
  };
  list('self time by package', a.byPackage, b.byPackage, 20);
  list('self time by function', a.byFunction, b.byFunction, top);
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const files = args.filter((arg) => arg.endsWith('.cpuprofile'));
  const top = Number(args.find((arg) => !arg.endsWith('.cpuprofile')) ?? 25);
  if (files.length < 1 || files.length > 2 || !(top > 0)) {
    console.error('usage: node dist/bench/profile-summary.js <a.cpuprofile> [<b.cpuprofile>] [top]');
    process.exit(2);
  }
  const [a, b] = files.map(load);
  console.log(b ? compare(a, b, top) : describe(a, top));
}
