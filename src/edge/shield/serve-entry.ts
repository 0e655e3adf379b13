/**
 * Answering from the cache: a stored response written in one head + `end`, with `Age`, the cache status
 * header, the request ID and `Via`. The stored fields are validated once per entry and written as a
 * prepared block (prepared-head.ts): a hit costs about what a hello-world server's answer does.
 */
import { ageSeconds, type CacheEntry } from '../../core/cache/entry.ts';
import type { RequestContext } from '../../pipeline/context.ts';
import { CACHE_STATUS_HEADER } from '../forward.ts';
import { VIA_VALUE } from '../proxy-headers.ts';
import { prepareFields, writePreparedHead, type PreparedFields } from '../prepared-head.ts';

/** An entry's stored fields, validated once when first served (null: not preparable, plain writeHead). */
const preparedHeads = new WeakMap<CacheEntry, PreparedFields | null>();

function flatten(entry: CacheEntry): string[] {
  const flat: string[] = [];
  for (const name in entry.headers) {
    const v = entry.headers[name]!;
    if (typeof v === 'string') flat.push(name, v);
    else for (const one of v) flat.push(name, one);
  }
  return flat;
}

function preparedOf(entry: CacheEntry): PreparedFields | null {
  let p = preparedHeads.get(entry);
  if (p === undefined) {
    try {
      p = prepareFields(flatten(entry));
      if (!p.hasLength) p = null; // 204/304: node:http frames those itself
    } catch {
      p = null; // a field node:http would refuse: the plain path reports it as before
    }
    preparedHeads.set(entry, p);
  }
  return p;
}

/** Writes `entry` as the whole response; `status` says whether it is fresh (HIT) or stale (STALE). */
export function serveEntry(ctx: RequestContext, entry: CacheEntry, status: 'HIT' | 'STALE', nowMs: number): void {
  ctx.cacheStatus = status;
  ctx.end(status === 'HIT' ? 'cached' : 'stale');
  const res = ctx.res;
  if (res.headersSent || res.destroyed) return;
  // Age is digits, the status a constant, the request ID plain ASCII ([A-Za-z0-9._:-]), Via a constant.
  const extra = ['age', String(ageSeconds(entry, nowMs)), CACHE_STATUS_HEADER, status, 'x-request-id', ctx.id, 'via', VIA_VALUE];
  const prepared = preparedOf(entry);
  if (prepared !== null) writePreparedHead(res, entry.status, prepared, extra);
  else res.writeHead(entry.status, flatten(entry).concat(extra));
  res.end(ctx.req.method === 'HEAD' ? undefined : entry.body);
}
