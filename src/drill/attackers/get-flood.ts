/**
 * GET flood: many requests per second from N source addresses, to fixed paths, cache-busting query
 * strings or random 404 paths, with one browser-like header set or rotating user agents / header sets /
 * header orders. Covers the docs/threats.md classes "GET flood, few / many sources", "cache busting" and
 * "header / user-agent rotation".
 */
import { runHttpFlood, type FloodOptions } from './http-flood.ts';
import { flatHeaders, nextHeaders, nextPath, type HeaderMode, type PathMode } from './traffic-shapes.ts';
import type { AttackResult } from './attack-result.ts';

/** Options of {@link runGetFlood}. */
export interface GetFloodOptions extends FloodOptions {
  /** Default `{ kind: 'fixed', paths: ['/'] }`. */
  readonly paths?: PathMode;
  /** Default `{ kind: 'browser' }`. */
  readonly headers?: HeaderMode;
}

/** Runs a GET flood until its bounds stop it; never throws for network errors (they are counted). */
export function runGetFlood(options: GetFloodOptions): Promise<AttackResult> {
  const paths = options.paths ?? { kind: 'fixed', paths: ['/'] };
  const headers = options.headers ?? { kind: 'browser' };
  return runHttpFlood('get_flood', options, (_i, random) => ({
    method: 'GET',
    path: nextPath(paths, random),
    headers: flatHeaders(nextHeaders(headers, random)),
  }));
}
