// Builds dist/cli.js: one ESM bundle of src/ for production (`bulwark` runs it). Built with esbuild
// WITHOUT keepNames: tsx keeps function names by wrapping every closure (measured here: ~600 ns per
// closure created vs ~3 ns), which is too slow for the request path. Dependencies stay external.
import { build } from 'esbuild';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  keepNames: false,
  logLevel: 'warning',
  banner: { js: "import { createRequire as __bulwarkCreateRequire } from 'node:module'; const require = __bulwarkCreateRequire(import.meta.url);" },
};

/**
 * Bundles one entry point. esbuild escapes non-ASCII characters in strings, regexps and identifiers but
 * keeps them in the comments it carries over (`RFC 9112 §6`, `—`); one such character makes V8 hold the
 * whole script's source — which it keeps for the process's life — as a two-byte string: 2.6 MB instead
 * of 1.3 MB for cli.js. So each non-ASCII UTF-16 unit left (only in comments) becomes `?`, which keeps
 * every column the source map points at.
 */
async function bundle(entry, outfile) {
  const result = await build({ ...common, entryPoints: [entry], outfile, write: false });
  for (const file of result.outputFiles) {
    mkdirSync(dirname(file.path), { recursive: true });
    writeFileSync(file.path, file.path.endsWith('.js') ? file.text.replace(/[^\x00-\x7f]/g, '?') : file.contents);
  }
}

await Promise.all([
  bundle(`${root}src/cli.ts`, `${root}dist/cli.js`),
  // The geo data is built into its image file in a child process at start-up (src/runtime/geo-data.ts looks for it beside cli.js).
  bundle(`${root}src/runtime/geo-image-worker.ts`, `${root}dist/geo-image-worker.js`),
  // A worker process of `workers: N` (src/worker.ts): the primary forks it from beside cli.js.
  bundle(`${root}src/worker.ts`, `${root}dist/worker.js`),
  // The drill's simulated browsers solve challenges in worker threads (src/drill/visitors/pow-off-thread.ts).
  bundle(`${root}src/drill/visitors/pow-worker.ts`, `${root}dist/drill-pow-worker.js`),
]);

// The dashboard (dashboard/: preact + uPlot) with vite into dist/dashboard/, served by the admin listener.
// Rebuilt only when its sources are newer than the last build (or with --force), so the CLI's rebuild of a
// changed src/ stays fast.
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}
const dashboardIndex = `${root}dist/dashboard/index.html`;
if (existsSync(`${root}dashboard`)) {
  const stale = !existsSync(dashboardIndex) || newest(`${root}dashboard`) > statSync(dashboardIndex).mtimeMs || process.argv.includes('--force');
  if (stale) {
    const { build: viteBuild } = await import('vite');
    await viteBuild({ configFile: `${root}dashboard/vite.config.mjs` });
  }
}
