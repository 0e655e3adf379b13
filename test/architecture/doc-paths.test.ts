/**
 * The contributor docs stay true to the tree: every repository path that docs/architecture.md and
 * CONTRIBUTING.md name (`src/...`, `test/...`, `bench/...`, ...) must exist, so a file that moves or
 * goes takes its mention with it instead of leaving a newcomer to follow a dead trail. A path with a
 * `*` or `<placeholder>` is checked up to the folder before it.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The repository's top-level entries a doc may name paths under. */
const PATH = /(?<![\w./-])(?:src|test|bench|scripts|dashboard|docs|examples|bin|\.ci)\/[\w./*<>-]*/g;
const TOP_FILE = /(?<![\w./-])(?:README|CONTRIBUTING)\.md|package\.json|tsconfig\.json/g;

/** Every repository path a markdown text names, without trailing punctuation. */
export function pathsIn(text: string): string[] {
  const found = new Set<string>();
  for (const m of [...text.matchAll(PATH), ...text.matchAll(TOP_FILE)]) {
    let path = m[0].replace(/[.,:;]+$/, '');
    const wild = path.search(/[*<]/);
    if (wild >= 0) path = path.slice(0, path.lastIndexOf('/', wild) + 1);
    found.add(path.replace(/\/$/, ''));
  }
  return [...found].sort();
}

test('pathsIn finds the forms the docs use', () => {
  const text = 'see `src/edge/proxy-server.ts`, then src/pipeline/phases/ and `test/<area>/`; also bench/*.bench.ts. CONTRIBUTING.md, and my/src/x is not one.';
  assert.deepEqual(pathsIn(text), ['CONTRIBUTING.md', 'bench', 'src/edge/proxy-server.ts', 'src/pipeline/phases', 'test']);
});

for (const [doc, atLeast] of [['docs/architecture.md', 40], ['CONTRIBUTING.md', 20]] as const) {
  test(`every path ${doc} names exists`, () => {
    const paths = pathsIn(readFileSync(join(ROOT, doc), 'utf8'));
    assert.ok(paths.length >= atLeast, `${doc} names ${paths.length} paths; a walk through the tree names more`);
    assert.deepEqual(paths.filter((p) => !existsSync(join(ROOT, p))), []);
  });
}

test('README links both contributor docs, and the old helper brief is gone', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  assert.match(readme, /\]\(CONTRIBUTING\.md\)/);
  assert.match(readme, /\]\(docs\/architecture\.md\)/);
  assert.equal(existsSync(join(ROOT, 'docs/HELPER-BRIEF.md')), false);
});
