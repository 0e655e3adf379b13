// Bundling a benchmark the way production runs code: esbuild WITHOUT keepNames (tsx keeps function names
// by wrapping every closure, ~600 ns each, which would inflate every micro benchmark), npm packages left
// external so the bundle resolves them from node_modules. Shared by run-bench.mjs and ab-decide.mjs.
import { build } from 'esbuild';

/** Bundle the TypeScript entry `entry` into the ES module `out`. */
export async function bundleLikeProduction(entry, out) {
  await build({
    entryPoints: [entry],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    keepNames: false,
    logLevel: 'warning',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
}
