// Builds dist/cli.js: one ESM bundle of src/ for production (`bulwark` runs it). Built with esbuild
// WITHOUT keepNames: tsx keeps function names by wrapping every closure (measured here: ~600 ns per
// closure created vs ~3 ns), which is too slow for the request path. Dependencies stay external.
import { build } from 'esbuild';
import { existsSync, readdirSync, statSync } from 'node:fs';
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
await Promise.all([
  build({ ...common, entryPoints: [`${root}src/cli.ts`], outfile: `${root}dist/cli.js` }),
  // The geo data is built into its image file in a child process at start-up (src/runtime/geo-data.ts looks for it beside cli.js).
  build({ ...common, entryPoints: [`${root}src/runtime/geo-image-worker.ts`], outfile: `${root}dist/geo-image-worker.js` }),
  // A worker process of `workers: N` (src/worker.ts): the primary forks it from beside cli.js.
  build({ ...common, entryPoints: [`${root}src/worker.ts`], outfile: `${root}dist/worker.js` }),
  // The drill's simulated browsers solve challenges in worker threads (src/drill/visitors/pow-off-thread.ts).
  build({ ...common, entryPoints: [`${root}src/drill/visitors/pow-worker.ts`], outfile: `${root}dist/drill-pow-worker.js` }),
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
