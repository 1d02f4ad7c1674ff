/**
 * Every TypeScript block of the docs compiles.
 *
 * Which blocks: each ```ts or ```typescript block of README.md, SECURITY.md, bench/README.md
 * and docs/**\/*.md. Blocks of other languages (bash, json, sql, js, cron…) are not checked.
 *
 * The convention (docs/README.md tells writers the same):
 * - A block is one whole file of an app, imports included, as it would be pasted into a fresh
 *   NestJS app.
 * - Its first line may name that file, relative to the app's root: `// src/auth/auth.controller.ts`
 *   (under `src/` or `test/`). Without such a line, the block is a file of its own in `src/`.
 * - The blocks of one Markdown page are the files of one app: a page's `src/app.module.ts` may
 *   import its `./auth/auth.controller.js`. Two blocks of a page may not name the same file.
 * - What the page does not show is the app's own: the stand-ins in `test/docs-snippets/app/`
 *   (`src/users/user.entity.ts` with `User`, `src/users/users.service.ts` with `UsersService`,
 *   `src/users/users.module.ts`, `src/auth/login.dto.ts`, `src/auth/reauthenticate.dto.ts`, an
 *   empty `src/app.module.ts`). Nothing else is added to a block: no hidden preamble, no marker.
 *
 * How: each page's blocks (and the stand-ins) become virtual files under
 * `test/docs-snippets/pages/<page>/`, where package imports find this repository's
 * node_modules, and ONE TypeScript program type-checks every page, with this repository's
 * compiler options (tsconfig.json: NodeNext, strict, decorators with metadata) and `paths` that
 * point the package's name at its sources (`nestjs-user-sessions` → lib/index.ts,
 * `nestjs-user-sessions/testing` → lib/testing/index.ts). Each block is one test, named by its
 * page and line; a failure lists every diagnostic at its line in the Markdown file.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const STAND_INS = join(ROOT, 'test', 'docs-snippets', 'app');
const PAGES = join(ROOT, 'test', 'docs-snippets', 'pages');
const CHECKED_LANGUAGES = new Set(['ts', 'typescript']);
/** A block's first line that names its file in the app. */
const FILE_COMMENT = /^\/\/\s*((?:src|test)\/[\w./-]+\.ts)\s*$/;

interface Snippet {
  /** The Markdown page, relative to the repository. */
  page: string;
  /** 1-based line of the block's first code line in the page. */
  line: number;
  /** The block's text, without its fence's indentation. */
  code: string;
  /** The virtual file it is checked as. */
  fileName: string;
}

/** README.md, SECURITY.md, bench/README.md and every Markdown file under docs/. */
function markdownPages(): string[] {
  const pages = ['README.md', 'SECURITY.md', 'bench/README.md'].filter((page) => existsSync(join(ROOT, page)));
  const walk = (dir: string): void => {
    if (!existsSync(join(ROOT, dir))) return;
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const path = posix.join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.md')) pages.push(path);
    }
  };
  walk('docs');
  return pages;
}

/** The fenced code blocks of a Markdown text: language, first code line (1-based), code. */
function fencedBlocks(markdown: string, page: string): { language: string; line: number; code: string }[] {
  const lines = markdown.split('\n');
  const blocks: { language: string; line: number; code: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^( {0,12})(`{3,}|~{3,})\s*([^\s`]*)/.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, language] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = /^ *(`{3,}|~{3,})\s*$/.exec(lines[j]);
      if (close && close[1][0] === fence[0] && close[1].length >= fence.length) break;
      body.push(lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j].trimStart());
    }
    if (j === lines.length) throw new Error(`${page}:${i + 1}: a code block is opened and never closed`);
    blocks.push({ language: language.toLowerCase(), line: i + 2, code: body.join('\n') });
    i = j;
  }
  return blocks;
}

/** The stand-ins for the app's own files, relative to the app's root (`src/users/user.entity.ts`…). */
function standIns(): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) files.set(relative(STAND_INS, path).split('\\').join('/'), readFileSync(path, 'utf8'));
    }
  };
  walk(STAND_INS);
  return files;
}

/** Every page's blocks, and the virtual files of every page's app (blocks and stand-ins). */
function collect(): { snippets: Snippet[]; files: Map<string, string>; problems: string[] } {
  const snippets: Snippet[] = [];
  const files = new Map<string, string>();
  const problems: string[] = [];
  const appFiles = standIns();
  for (const page of markdownPages()) {
    const appRoot = join(PAGES, page.replace(/\.md$/, '').replace(/[^\w]+/g, '-'));
    const named = new Map<string, number>();
    for (const block of fencedBlocks(readFileSync(join(ROOT, page), 'utf8'), page)) {
      if (!CHECKED_LANGUAGES.has(block.language)) continue;
      let appPath = FILE_COMMENT.exec(block.code.split('\n', 1)[0])?.[1];
      if (appPath !== undefined && named.has(appPath)) {
        problems.push(`${page}:${block.line}: names ${appPath}, as the block at line ${named.get(appPath)} does`);
        appPath = undefined; // still checked, as a file of its own
      }
      if (appPath !== undefined) named.set(appPath, block.line);
      const fileName = join(appRoot, appPath ?? `src/block-at-line-${block.line}.ts`);
      snippets.push({ page, line: block.line, code: block.code, fileName });
      files.set(fileName, block.code);
    }
    for (const [appPath, text] of appFiles) {
      if (!named.has(appPath)) files.set(join(appRoot, appPath), text);
    }
  }
  return { snippets, files, problems };
}

/** tsconfig.json's options, for checking only, with the package's name pointing at its sources. */
function compilerOptions(): ts.CompilerOptions {
  const configPath = join(ROOT, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, ts.sys.readFile);
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT, undefined, configPath);
  return {
    ...parsed.options,
    noEmit: true,
    declaration: false,
    sourceMap: false,
    paths: {
      'nestjs-user-sessions': [join(ROOT, 'lib', 'index.ts')],
      'nestjs-user-sessions/testing': [join(ROOT, 'lib', 'testing', 'index.ts')],
    },
  };
}

/** A compiler host that also serves the virtual files, and the directories that hold them. */
function hostWith(options: ts.CompilerOptions, files: Map<string, string>): ts.CompilerHost {
  const host = ts.createCompilerHost(options, true);
  const directories = new Set<string>();
  for (const fileName of files.keys()) {
    for (let dir = dirname(fileName); dir.startsWith(PAGES); dir = dirname(dir)) directories.add(dir);
  }
  const { fileExists, readFile, getSourceFile, directoryExists } = host;
  host.fileExists = (fileName) => files.has(fileName) || fileExists.call(host, fileName);
  host.readFile = (fileName) => files.get(fileName) ?? readFile.call(host, fileName);
  host.directoryExists = (dir) =>
    directories.has(dir) || (directoryExists ? directoryExists.call(host, dir) : ts.sys.directoryExists(dir));
  host.getSourceFile = (fileName, languageVersion, ...rest) => {
    const text = files.get(fileName);
    return text === undefined
      ? getSourceFile.call(host, fileName, languageVersion, ...rest)
      : ts.createSourceFile(fileName, text, languageVersion, true);
  };
  return host;
}

const { snippets, files, problems } = collect();

describe('code blocks of the docs', () => {
  let program: ts.Program;

  beforeAll(() => {
    const options = compilerOptions();
    program = ts.createProgram({ rootNames: [...files.keys()], options, host: hostWith(options, files) });
  }, 120_000);

  it('finds the TypeScript blocks of the README and of the pages under docs/, each page naming a file once', () => {
    expect(problems).toEqual([]);
    const pages = new Set(snippets.map((snippet) => snippet.page));
    expect(pages.has('README.md')).toBe(true);
    expect([...pages].filter((page) => page.startsWith('docs/')).length).toBeGreaterThanOrEqual(10);
  });

  it.each(snippets.map((snippet) => [`${snippet.page}:${snippet.line}`, snippet] as const))(
    'the block at %s compiles',
    (_name, snippet) => {
      const sourceFile = program.getSourceFile(snippet.fileName);
      if (!sourceFile) throw new Error(`${snippet.page}:${snippet.line}: the block is not in the program`);
      const diagnostics = [...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile)];
      const messages = diagnostics.map((diagnostic) => {
        const at = diagnostic.start === undefined ? { line: 0, character: 0 } : sourceFile.getLineAndCharacterOfPosition(diagnostic.start);
        const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n    ');
        return `${snippet.page}:${snippet.line + at.line}:${at.character + 1} - error TS${diagnostic.code}: ${text}`;
      });
      if (messages.length > 0) {
        throw new Error(`the block at ${snippet.page}:${snippet.line} does not compile:\n${messages.join('\n')}`);
      }
    },
  );
});
