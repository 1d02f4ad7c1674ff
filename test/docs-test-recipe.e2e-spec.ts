import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The TypeScript blocks of a page, by the file their first line names (`// test/x.ts`, `// vitest.config.ts`). */
function namedBlocks(page: string): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const [, code] of readFileSync(join(ROOT, page), 'utf8').matchAll(/^```ts\n([\s\S]*?)^```/gm)) {
    const name = /^\/\/\s*([\w./-]+\.ts)\s*$/.exec(code.split('\n', 1)[0])?.[1];
    if (name) blocks.set(name, code);
  }
  return blocks;
}

// Inside the repository (in .data/, which git ignores), so that the recipe's packages resolve from
// its node_modules; not under node_modules, which unplugin-swc does not compile.
const app = join(ROOT, '.data', `docs-test-recipe-${process.pid}`);
afterAll(() => rmSync(app, { recursive: true, force: true }));

it("docs/testing.md's recipe runs as written and passes, against the README's profile controller", async () => {
  const blocks = namedBlocks('docs/testing.md');
  expect([...blocks.keys()].sort()).toEqual(['test/profile.e2e-spec.ts', 'vitest.config.ts']);
  rmSync(app, { recursive: true, force: true });
  // The app's own files the recipe imports: the docs' stand-ins (User, the README's ProfileController).
  cpSync(join(ROOT, 'test', 'docs-snippets', 'app', 'src'), join(app, 'src'), { recursive: true });
  mkdirSync(join(app, 'test'));
  writeFileSync(join(app, 'test', 'profile.e2e-spec.ts'), blocks.get('test/profile.e2e-spec.ts')!);
  writeFileSync(join(app, 'vitest.recipe.ts'), blocks.get('vitest.config.ts')!);
  // The recipe's config as written, with the package's name pointing at its sources (it is not installed here).
  writeFileSync(
    join(app, 'vitest.config.ts'),
    `import { mergeConfig } from 'vitest/config';
import recipe from './vitest.recipe.js';
export default mergeConfig(recipe, {
  resolve: {
    alias: [
      { find: /^nestjs-user-sessions\\/testing$/, replacement: ${JSON.stringify(join(ROOT, 'lib', 'testing', 'index.ts'))} },
      { find: /^nestjs-user-sessions$/, replacement: ${JSON.stringify(join(ROOT, 'lib', 'index.ts'))} },
    ],
  },
});
`,
  );
  const vitest = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
  const { stdout } = await promisify(execFile)(process.execPath, [vitest, 'run', '--root', app, '--config', join(app, 'vitest.config.ts')], {
    cwd: app,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  }).catch((error: { stdout?: string; stderr?: string }) => {
    throw new Error(`the recipe failed:\n${error.stdout ?? ''}\n${error.stderr ?? ''}`);
  });
  expect(stdout).toMatch(/Tests\s+1 passed \(1\)/);
}, 120_000);
