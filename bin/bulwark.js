#!/usr/bin/env node
// The `bulwark` command. Runs the production bundle (dist/cli.js, built by `npm run build`, which
// `npm ci`/`npm install` run through `prepare`); falls back to the TypeScript sources through tsx when
// there is no bundle (a development checkout before its first build). Set BULWARK_FROM_SOURCE=1 to force
// the sources.
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/cli.js', import.meta.url);
if (process.env.BULWARK_FROM_SOURCE !== '1' && existsSync(bundle)) {
  await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
}
