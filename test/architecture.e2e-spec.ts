import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The shape of `lib/` (its non-spec `.ts` files), checked: no file over `MAX_LINES` lines, no
 * import cycle between files (type-only imports count: `import type`, `export type * from`), and
 * imports only point down the layers of `LAYERS`. The import graph is dependency-cruiser's (it
 * resolves NodeNext's `./x.js` to `./x.ts`); one check holds it against TypeScript's own reading
 * of each file's imports, so that an import the tool missed fails here instead of hiding a cycle.
 */

// ─── The rules: edit here ───────────────────────────────────────────────────────────────────────

/** No non-spec file of `lib/` has more lines than this. */
const MAX_LINES = 450;

/**
 * The layers of `lib/`: a rank per folder (key ending in `/`) or file, relative to `lib/`; the
 * longest key that matches a file gives its rank. A file may import files of its own rank or
 * lower, never higher. Every non-spec file of `lib/` must match a key.
 */
const LAYERS: Readonly<Record<string, number>> = {
  // The Nest face: what apps import.
  'index.ts': 100,
  'user-sessions.module.ts': 100,
  'user-sessions.providers.ts': 100,
  'user-sessions.entities.ts': 100,
  'cli/': 100,
  'testing/': 100,
  'api/': 90,
  'user-sessions.guard.ts': 85,
  'user-sessions-reauth.guard.ts': 85,
  'user-sessions.decorators.ts': 85,
  'user-sessions.interceptor.ts': 85,
  'live/': 82,
  'http/': 80,
  'express-session/': 75,
  'store/': 70,
  'risk/': 68,
  'devices/': 67,
  'activity/': 66,
  'migrations/': 65,
  'options/': 60,
  'events/': 55,
  'details/': 50,
  'storage/': 40,
  'session/': 30,
  // Any layer may import these.
  'user-sessions.constants.ts': 0,
  'exceptions/': 0,
};

// ─── The checks ─────────────────────────────────────────────────────────────────────────────────

const LIB = fileURLToPath(new URL('../lib/', import.meta.url));

/** Each file (relative to the folder, `/`-separated) → the files it imports, sorted. */
type ImportGraph = ReadonlyMap<string, readonly string[]>;

/** The non-spec `.ts` files under `dir`, relative to it, sorted. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((file) => file.split('\\').join('/'))
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts') && !file.endsWith('.d.ts'))
    .sort();
}

/** The imports between the non-spec `.ts` files under `dir`, type-only ones included. */
async function importGraph(dir: string): Promise<ImportGraph> {
  const { output } = await cruise(['.'], {
    baseDir: dir,
    exclude: { path: '\\.spec\\.ts$' },
    doNotFollow: { path: 'node_modules' },
    // Imports that TypeScript erases (type-only) are edges too.
    tsPreCompilationDeps: true,
  });
  const files = new Set(sourceFiles(dir));
  const graph = new Map<string, string[]>();
  for (const module of (output as ICruiseResult).modules) {
    if (!files.has(module.source)) continue;
    const imported = module.dependencies.map((dependency) => dependency.resolved).filter((file) => files.has(file));
    graph.set(module.source, [...new Set(imported)].sort());
  }
  return graph;
}

/** The relative module specifiers of a file, as TypeScript reads them (imports, re-exports, `import()`). */
function relativeSpecifiers(path: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(path, 'utf8'), true, true);
  return [...new Set(importedFiles.map((ref) => ref.fileName).filter((name) => name.startsWith('.')))];
}

/** Lines as `wc -l` counts them, plus a last line without its newline. */
function lineCount(text: string): number {
  const newlines = text.split('\n').length - 1;
  return text.length === 0 || text.endsWith('\n') ? newlines : newlines + 1;
}

/** The files over `max` lines, as `file: N lines`. */
function longFiles(dir: string, max: number): string[] {
  return sourceFiles(dir)
    .map((file) => ({ file, lines: lineCount(readFileSync(join(dir, file), 'utf8')) }))
    .filter(({ lines }) => lines > max)
    .map(({ file, lines }) => `${file}: ${lines} lines`);
}

/** The import cycles: each a set of files that all reach one another (Tarjan's strongly connected components). */
function importCycles(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (file: string): void => {
    index.set(file, index.size);
    low.set(file, index.get(file)!);
    stack.push(file);
    onStack.add(file);
    for (const next of graph.get(file) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(file, Math.min(low.get(file)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(file, Math.min(low.get(file)!, index.get(next)!));
      }
    }
    if (low.get(file) === index.get(file)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== file);
      if (component.length > 1 || graph.get(file)?.includes(file)) cycles.push(component.sort());
    }
  };
  for (const file of [...graph.keys()].sort()) if (!index.has(file)) visit(file);
  return cycles.sort((a, b) => a[0].localeCompare(b[0]));
}

/** A cycle, with the imports that close it: `a.ts → b.ts, c.ts` per member. */
function describeCycle(graph: ImportGraph, cycle: readonly string[], prefix: string): string {
  const members = new Set(cycle);
  const lines = cycle.map((file) => {
    const inCycle = (graph.get(file) ?? []).filter((next) => members.has(next));
    return `  ${prefix}${file} → ${inCycle.map((next) => prefix + next).join(', ')}`;
  });
  return [`cycle of ${cycle.length} files:`, ...lines].join('\n');
}

/** The key of `layers` that `file` belongs to: the longest folder prefix or the file itself. */
function layerOf(file: string, layers: Readonly<Record<string, number>>): string | undefined {
  return Object.keys(layers)
    .filter((key) => (key.endsWith('/') ? file.startsWith(key) : file === key))
    .sort((a, b) => b.length - a.length)[0];
}

/** The imports from a file into a higher layer, as `a.ts (key, rank) imports b.ts (key, rank)`. */
function upwardImports(graph: ImportGraph, layers: Readonly<Record<string, number>>, prefix: string): string[] {
  const found: string[] = [];
  for (const [file, imported] of graph) {
    const from = layerOf(file, layers);
    if (from === undefined) continue;
    for (const target of imported) {
      const to = layerOf(target, layers);
      if (to === undefined || layers[to] <= layers[from]) continue;
      const importer = `${prefix}${file} ('${from}', rank ${layers[from]})`;
      found.push(`${importer} imports ${prefix}${target} ('${to}', rank ${layers[to]})`);
    }
  }
  return found.sort();
}

describe('the architecture of lib/', () => {
  let graph: ImportGraph;
  beforeAll(async () => {
    graph = await importGraph(LIB);
  });

  it('the import graph has every import of every file (TypeScript reads the same ones)', () => {
    const missing: string[] = [];
    for (const file of sourceFiles(LIB)) {
      const specifiers = relativeSpecifiers(join(LIB, file));
      const edges = graph.get(file) ?? [];
      if (edges.length !== specifiers.length) {
        missing.push(`lib/${file}: imports ${specifiers.join(', ')}; graph has ${edges.join(', ') || 'nothing'}`);
      }
    }
    expect(graph.size).toBe(sourceFiles(LIB).length);
    expect(missing, 'the import graph lost imports (or lib/ imports a file outside lib/)').toEqual([]);
  });

  it(`no file has more than ${MAX_LINES} lines`, () => {
    const long = longFiles(LIB, MAX_LINES).map((entry) => `lib/${entry} (limit ${MAX_LINES}): split it`);
    expect(long, `files over ${MAX_LINES} lines`).toEqual([]);
  });

  it('no import cycle between files, type-only imports included', () => {
    const cycles = importCycles(graph).map((cycle) => describeCycle(graph, cycle, 'lib/'));
    const rule = 'import cycles (type-only imports count): break each, e.g. by moving the shared types down a layer';
    expect(cycles, rule).toEqual([]);
  });

  it('every file belongs to a layer', () => {
    const loose = sourceFiles(LIB)
      .filter((file) => layerOf(file, LAYERS) === undefined)
      .map((file) => `lib/${file}: in no layer; add its folder (or the file) to LAYERS in test/architecture.e2e-spec.ts`);
    expect(loose, 'every file belongs to a layer').toEqual([]);
  });

  it('imports only point down the layers (or within one)', () => {
    const rule = 'a file imports from a layer above its own (it may import its own rank or lower: LAYERS)';
    expect(upwardImports(graph, LAYERS, 'lib/'), rule).toEqual([]);
  });
});

describe('the architecture checks, on a known tree', () => {
  let dir: string;
  let graph: ImportGraph;
  const write = (file: string, text: string) => {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'architecture-'));
    // a.ts ⇄ b.ts through type-only imports alone; c.ts imports a.ts without closing a cycle.
    write('a.ts', "import type { B } from './b.js';\nexport interface A { b?: B }\n");
    write('b.ts', "export type * from './a.js';\nexport interface B { n: number }\n");
    write('c.ts', "import { type A } from './a.js';\nexport const c: A | null = null;\n");
    write('a.spec.ts', "import { c } from './c.js';\nexport const spec = c;\n");
    write('low/down.ts', "import { up } from '../high/up.js';\nexport const down = up;\n");
    write('high/up.ts', "import type { A } from '../a.js';\nexport const up: A = {};\n");
    write('long.ts', 'export const x = 1;\n'.repeat(MAX_LINES + 1));
    write('just-short-enough.ts', 'export const y = 1;\n'.repeat(MAX_LINES));
    graph = await importGraph(dir);
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads type-only imports and re-exports, resolving ./x.js to x.ts, and leaves spec files out', () => {
    expect(Object.fromEntries(graph)).toEqual({
      'a.ts': ['b.ts'],
      'b.ts': ['a.ts'],
      'c.ts': ['a.ts'],
      'high/up.ts': ['a.ts'],
      'just-short-enough.ts': [],
      'long.ts': [],
      'low/down.ts': ['high/up.ts'],
    });
  });

  it('finds the type-only cycle a.ts ⇄ b.ts, and only it', () => {
    expect(importCycles(graph)).toEqual([['a.ts', 'b.ts']]);
    expect(describeCycle(graph, ['a.ts', 'b.ts'], '')).toBe('cycle of 2 files:\n  a.ts → b.ts\n  b.ts → a.ts');
  });

  it('finds a longer cycle and a file importing itself', () => {
    const ring = new Map([
      ['x.ts', ['y.ts']],
      ['y.ts', ['z.ts']],
      ['z.ts', ['x.ts', 'w.ts']],
      ['w.ts', []],
      ['self.ts', ['self.ts']],
    ]);
    expect(importCycles(ring)).toEqual([['self.ts'], ['x.ts', 'y.ts', 'z.ts']]);
  });

  it(`finds the file over ${MAX_LINES} lines, not the one at ${MAX_LINES}`, () => {
    expect(longFiles(dir, MAX_LINES)).toEqual([`long.ts: ${MAX_LINES + 1} lines`]);
  });

  it('finds the import into a higher layer and the files in no layer', () => {
    const layers = { 'low/': 10, 'high/': 20, 'a.ts': 0 };
    expect(upwardImports(graph, layers, '')).toEqual(["low/down.ts ('low/', rank 10) imports high/up.ts ('high/', rank 20)"]);
    expect(layerOf('high/up.ts', layers)).toBe('high/');
    expect(layerOf('b.ts', layers)).toBeUndefined();
    expect(layerOf('a.ts', { ...layers, 'a.ts': 5 })).toBe('a.ts');
    expect(layerOf('api/dto/view.ts', { 'api/': 90, 'api/dto/': 88 })).toBe('api/dto/');
  });
});
