/**
 * The dashboard's static files (the vite build in `dist/dashboard/`), read into memory once: `GET /`
 * answers `index.html`, `GET /assets/*` the hashed scripts and styles (cached for a year: their names
 * change with their content). These routes are public — they hold no data, and the login form must load
 * before anyone is logged in — and every page is served with a Content-Security-Policy that allows
 * nothing from elsewhere (no CDN, no inline script).
 *
 * Bounded: at most 200 files and 20 MiB, or the build is refused as not a dashboard build.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AdminAnswer, RouteTable } from '../route-types.ts';

/** The policy every dashboard page carries (https://www.w3.org/TR/CSP3/). */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

const MAX_FILES = 200;
const MAX_BYTES = 20 * 1024 * 1024;

/** Where the build is: beside the bundle (`dist/cli.js` → `dist/dashboard`), or the checkout's `dist/` when run from sources. */
export function findDashboardBuild(): string | null {
  for (const rel of ['./dashboard/', '../../../dist/dashboard/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  return null;
}

function load(dir: string): { index: Buffer; assets: Map<string, Buffer> } {
  const assets = new Map<string, Buffer>();
  let bytes = 0;
  const assetDir = join(dir, 'assets');
  for (const name of existsSync(assetDir) ? readdirSync(assetDir) : []) {
    const file = join(assetDir, name);
    if (!statSync(file).isFile() || !(extname(name) in TYPES)) continue;
    const data = readFileSync(file);
    bytes += data.length;
    if (assets.size >= MAX_FILES || bytes > MAX_BYTES) throw new Error(`${dir} is larger than a dashboard build (${MAX_FILES} files, ${MAX_BYTES} bytes)`);
    assets.set(name, data);
  }
  return { index: readFileSync(join(dir, 'index.html')), assets };
}

const NOT_BUILT = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Bulwark admin</title><main><h1>The dashboard is not built</h1><p>Run <code>npm run build</code> (or <code>npm ci</code>) in Bulwark's directory, then restart. The API, <code>/metrics</code> and health checks work without it.</p></main></html>\n`;

/** The static routes, from `dir` (default: {@link findDashboardBuild}). */
export function staticRoutes(dir: string | null = findDashboardBuild()): RouteTable {
  const build = dir === null ? null : load(dir);
  const page = (status: number, text: Buffer | string): AdminAnswer => ({ status, text, contentType: 'text/html; charset=utf-8', headers: { 'content-security-policy': DASHBOARD_CSP } });
  return {
    'GET /': { access: 'public', handler: () => (build === null ? page(503, NOT_BUILT) : page(200, build.index)) },
    'GET /assets/*': {
      access: 'public',
      handler: ({ url }) => {
        const name = url.pathname.slice('/assets/'.length);
        const data = build?.assets.get(name);
        if (data === undefined) return { status: 404, body: { error: 'not_found' } };
        return { status: 200, text: data, contentType: TYPES[extname(name)]!, headers: { 'cache-control': 'public, max-age=31536000, immutable', 'content-security-policy': DASHBOARD_CSP } };
      },
    },
  };
}
