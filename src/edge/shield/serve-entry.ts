/**
 * Answering from the cache: a stored response written in one `writeHead` + `end` (the hit path is as
 * cheap as a hello-world server's), with `Age`, the cache status header, the request ID and `Via`.
 */
import { ageSeconds, type CacheEntry } from '../../core/cache/entry.ts';
import type { RequestContext } from '../../pipeline/context.ts';
import { CACHE_STATUS_HEADER } from '../forward.ts';
import { VIA_VALUE } from '../proxy-headers.ts';

const flatHeaders = new WeakMap<CacheEntry, string[]>();

function flatten(entry: CacheEntry): string[] {
  let flat = flatHeaders.get(entry);
  if (flat === undefined) {
    flat = [];
    for (const name in entry.headers) {
      const v = entry.headers[name]!;
      if (typeof v === 'string') flat.push(name, v);
      else for (const one of v) flat.push(name, one);
    }
    flatHeaders.set(entry, flat);
  }
  return flat;
}

/** Writes `entry` as the whole response; `status` says whether it is fresh (HIT) or stale (STALE). */
export function serveEntry(ctx: RequestContext, entry: CacheEntry, status: 'HIT' | 'STALE', nowMs: number): void {
  ctx.cacheStatus = status;
  ctx.end(status === 'HIT' ? 'cached' : 'stale');
  const res = ctx.res;
  if (res.headersSent || res.destroyed) return;
  const headers = flatten(entry).concat('age', String(ageSeconds(entry, nowMs)), CACHE_STATUS_HEADER, status, 'x-request-id', ctx.id, 'via', VIA_VALUE);
  res.writeHead(entry.status, headers);
  res.end(ctx.req.method === 'HEAD' ? undefined : entry.body);
}
