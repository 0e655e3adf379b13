#!/usr/bin/env node
// The `bulwark` command. Runs the production bundle dist/cli.js (built by `npm run build`, which
// `npm ci`/`npm install` run through `prepare`). In a checkout where src/ changed after the last build,
// the bundle is rebuilt first (esbuild takes a fraction of a second), so the command never runs stale
// code — in a child process, so that esbuild (and vite, for a changed dashboard) never load into the
// server and stay in its memory. BULWARK_FROM_SOURCE=1 runs the TypeScript sources through tsx instead
// (slower request path).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import v8 from 'node:v8';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bundle = `${root}dist/cli.js`;

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

// The young generation stays at its initial size while the code loads and the server starts: that burst
// would otherwise leave 15-30 MB committed in an idle process (src/main/heap-policy.ts, which lets it grow
// again once started; every command does so before its work).
v8.setFlagsFromString('--semi-space-growth-factor=1');

if (process.env.BULWARK_FROM_SOURCE === '1') {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
} else {
  const hasSources = existsSync(`${root}src`);
  if (!existsSync(bundle) || (hasSources && newestSource(`${root}src`) > statSync(bundle).mtimeMs)) {
    const built = spawnSync(process.execPath, [`${root}scripts/build.mjs`], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (built.status !== 0) process.exit(built.status ?? 1);
  }
  await import(new URL('../dist/cli.js', import.meta.url).href);
}
