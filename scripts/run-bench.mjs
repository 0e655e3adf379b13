// Runs a benchmark the way production runs code: bundled by esbuild WITHOUT keepNames (tsx keeps function
// names by wrapping every closure, ~600 ns each, which would inflate every micro benchmark). Extra
// arguments go to the benchmark. Usage: node scripts/run-bench.mjs bench/decide.bench.ts [args...]
import { bundleLikeProduction } from './bundle.mjs';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node scripts/run-bench.mjs bench/<name>.bench.ts [args...]');
  process.exit(2);
}
const root = fileURLToPath(new URL('..', import.meta.url));
// Inside the project (node_modules/.cache) so the bundle's bare imports resolve to our node_modules.
mkdirSync(join(root, 'node_modules/.cache/bench'), { recursive: true });
const out = join(root, 'node_modules/.cache/bench', basename(entry).replace(/\.ts$/, '.mjs'));
await bundleLikeProduction(resolve(entry), out);
const r = spawnSync(process.execPath, [...process.execArgv, out, ...args], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
