/**
 * Answering from the cache: a stored response written in one head + `end`, with `Age`, the cache status
 * header, the request ID and `Via`. The stored fields are validated once per entry and written as a
 * prepared block (prepared-head.ts): a hit costs about what a hello-world server's answer does.
 */
import { ageSeconds, type CacheEntry } from '../../core/cache/entry.ts';
import type { RequestContext } from '../context.ts';
import { CACHE_STATUS_HEADER } from '../forward/forward-to-origin.ts';
import { VIA_VALUE } from '../forward/proxy-headers.ts';
import { prepareFields, writeCachedHead, type PreparedFields } from '../pages/prepared-head.ts';

/** An entry's fields plus the cache status and Via, validated once per entry and status (null: plain path). */
const preparedHeads = new WeakMap<CacheEntry, { HIT?: PreparedFields | null; STALE?: PreparedFields | null }>();

function flatten(entry: CacheEntry): string[] {
  const flat: string[] = [];
  for (const name in entry.headers) {
    const v = entry.headers[name]!;
    if (typeof v === 'string') flat.push(name, v);
    else for (const one of v) flat.push(name, one);
  }
  return flat;
}

/** The entry's prepared head fields for `status`, or null when it must take node:http's plain path. */
export function preparedOf(entry: CacheEntry, status: 'HIT' | 'STALE'): PreparedFields | null {
  let per = preparedHeads.get(entry);
  if (per === undefined) preparedHeads.set(entry, (per = {}));
  let p = per[status];
  if (p === undefined) {
    try {
      p = prepareFields([...flatten(entry), CACHE_STATUS_HEADER, status, 'via', VIA_VALUE]);
      if (!p.hasLength) p = null; // 204/304: node:http frames those itself
    } catch {
      p = null; // a field node:http would refuse: the plain path reports it as before
    }
    per[status] = p;
  }
  return p;
}

/** Writes `entry` as the whole response; `status` says whether it is fresh (HIT) or stale (STALE). */
export function serveEntry(ctx: RequestContext, entry: CacheEntry, status: 'HIT' | 'STALE', nowMs: number): void {
  ctx.cacheStatus = status;
  ctx.end(status === 'HIT' ? 'cached' : 'stale');
  const res = ctx.res;
  if (res.headersSent || res.destroyed) return;
  // Age is digits and the request ID plain ASCII ([A-Za-z0-9._:-]): per-request fields, as they are.
  const age = String(ageSeconds(entry, nowMs));
  const prepared = preparedOf(entry, status);
  if (prepared !== null) writeCachedHead(res, entry.status, prepared, age, ctx.id);
  else res.writeHead(entry.status, flatten(entry).concat('age', age, CACHE_STATUS_HEADER, status, 'x-request-id', ctx.id, 'via', VIA_VALUE));
  res.end(ctx.req.method === 'HEAD' ? undefined : entry.body);
}
