/**
 * Imports between the top-level folders of src/ run one way, from the command line down to the pure
 * core, so a reader can learn the layers bottom up and a change to a lower layer never has to know the
 * ones above it. A file directly in src/ (cli.ts, main.ts, worker.ts) counts as the folder of its name
 * (main.ts and main/ are one). Every import of a non-test source file is read with TypeScript's own
 * scanner (static, `export ... from`, `import type`, dynamic `import()`): type-only imports count too,
 * because a reader follows them just the same.
 *
 * Unit tests beside the code (`*.test.ts`) may reach upward to build what they test against; the
 * rule is for the code that ships.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));

/**
 * The declared order, top to bottom: a folder may import from folders of any LOWER entry, never from
 * its own entry's other folders, never upward. A new top-level folder must be placed here.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['cli', 'worker'], // entry points: the command line; a worker process of `workers: N`
  ['main'], // the composition root: config → parts → listeners; start, reload, stop
  ['cluster', 'drill'], // workers and several machines; the attack simulator
  ['admin', 'demo'], // the admin plane (API, dashboard, metrics); the demo origin
  ['detection'], // off the request path: the detector service
  ['incidents'], // incident lifecycle, fingerprints, reports
  ['edge'], // sockets only: listeners, accept gate, TLS, HTTP/2, the wire, connection guards, kernel drops
  ['pipeline'], // the phase runner, the request context, and each phase with what only it uses
  ['runtime'], // one config generation compiled, and the long-lived services every generation shares
  ['stores', 'telemetry'], // durable and shared state; stats, records, logs, metrics
  ['config'], // the strict schema, loading, units
  ['core'], // pure logic: no sockets, files, clock, timers or logger
];

interface Edge {
  readonly from: string;
  readonly to: string;
  /** `src/`-relative file that imports, and what it imports. */
  readonly file: string;
  readonly target: string;
}

/** The top-level folder of a `src/`-relative path (a file directly in src/ is its own folder, without extension). */
function folderOf(srcPath: string): string {
  const parts = srcPath.split('/');
  return parts.length > 1 ? parts[0]! : parts[0]!.replace(/\.[^.]+$/, '');
}

/** The relative module specifiers a source text imports or re-exports (static, type-only and dynamic). */
function importsOf(text: string): string[] {
  const info = ts.preProcessFile(text, true, true);
  return info.importedFiles.map((f) => f.fileName).filter((n) => n.startsWith('.'));
}

/** Folder-to-folder edges of a set of files (`src/`-relative path → text). */
function edgesOf(files: ReadonlyMap<string, string>): Edge[] {
  const edges: Edge[] = [];
  for (const [file, text] of files) {
    for (const spec of importsOf(text)) {
      const target = relative(SRC, resolve(SRC, dirname(file), spec)).split('\\').join('/');
      if (target.startsWith('..')) continue;
      const from = folderOf(file);
      const to = folderOf(target);
      if (from !== to) edges.push({ from, to, file, target });
    }
  }
  return edges;
}

/** Imports that go upward or sideways in the declared order, and folders the order does not name. */
function orderProblems(edges: readonly Edge[], layers: readonly (readonly string[])[]): string[] {
  const rank = new Map<string, number>();
  layers.forEach((layer, i) => layer.forEach((f) => rank.set(f, i)));
  const problems: string[] = [];
  for (const e of edges) {
    const a = rank.get(e.from);
    const b = rank.get(e.to);
    if (a === undefined || b === undefined) problems.push(`${e.file} -> ${e.target}: folder "${a === undefined ? e.from : e.to}" is not in the declared order`);
    else if (b <= a) problems.push(`${e.file} -> ${e.target}: ${e.from} may not import ${e.to} (${b < a ? 'upward' : 'same layer'})`);
  }
  return problems;
}

/** Cycles between folders (strongly connected components of more than one folder). */
function folderCycles(edges: readonly Edge[]): string[][] {
  const out = new Map<string, Set<string>>();
  for (const e of edges) {
    if (!out.has(e.from)) out.set(e.from, new Set());
    out.get(e.from)!.add(e.to);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of out.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) cycles.push(component.sort());
  };
  for (const v of out.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

function sourceFiles(): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|tsx|mts)$/.test(e.name) && !/\.test\.[a-z]+$/.test(e.name)) files.set(relative(SRC, p).split('\\').join('/'), readFileSync(p, 'utf8'));
    }
  };
  walk(SRC);
  return files;
}

test('the checker itself: it sees every kind of import, and reports an upward import and a cycle', () => {
  const text = [
    "import a from './a.ts';",
    "import type { B } from '../b/b.ts';",
    "export { c } from './c.ts';",
    "const d = await import('../d/d.ts');",
    "import 'node:fs';",
    '/** a comment naming `../e/e.ts` is not an import */',
  ].join('\n');
  assert.deepEqual(importsOf(text), ['./a.ts', '../b/b.ts', './c.ts', '../d/d.ts']);
  const files = new Map([
    ['core/x.ts', "import { y } from '../pipeline/y.ts';"],
    ['pipeline/y.ts', "import { x } from '../core/x.ts';"],
    ['edge/z.ts', "import { x } from '../core/x.ts';"],
  ]);
  const edges = edgesOf(files);
  assert.deepEqual(orderProblems(edges, LAYERS), ['core/x.ts -> pipeline/y.ts: core may not import pipeline (upward)']);
  assert.deepEqual(folderCycles(edges), [['core', 'pipeline']]);
  assert.deepEqual(orderProblems(edgesOf(new Map([['edge/a.ts', "import '../lost/b.ts';"]])), LAYERS), [
    'edge/a.ts -> lost/b.ts: folder "lost" is not in the declared order',
  ]);
});

test('every top-level entry of src/ has its place in the declared order', () => {
  const placed = new Set(LAYERS.flat());
  const entries = readdirSync(SRC, { withFileTypes: true })
    .filter((e) => e.isDirectory() || /\.(ts|tsx|mts)$/.test(e.name))
    .map((e) => folderOf(e.name));
  assert.deepEqual([...new Set(entries)].filter((f) => !placed.has(f)), []);
});

test('imports between top-level folders of src/ follow the declared order, with no cycle', () => {
  const edges = edgesOf(sourceFiles());
  // The tree is read for real: the edge imports the pipeline, the pipeline the runtime, all of them the core.
  for (const [from, to] of [['edge', 'pipeline'], ['pipeline', 'runtime'], ['runtime', 'core'], ['main', 'edge']]) {
    assert.ok(edges.some((e) => e.from === from && e.to === to), `expected ${from} to import ${to}`);
  }
  assert.deepEqual(folderCycles(edges), []);
  assert.deepEqual(orderProblems(edges, LAYERS), []);
});
