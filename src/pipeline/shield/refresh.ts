/**
 * Background refreshes: a stale-while-revalidate hit triggers one refresh of its key
 * (coalesced: only the first stale hit leads), and key pages are refreshed on a timer so there is always
 * a recent copy to show. A refresh takes an admission slot only if one is free at once — when the origin
 * is struggling, the stale copy is the point — and never answers a client.
 */
import { headerValue, type HeaderGetter } from '../../core/cache/cache-control.ts';
import { createEntry } from '../../core/cache/entry.ts';
import { storable } from '../../core/cache/storable.ts';
import { PRIORITY_UNKNOWN } from '../../core/vocabulary.ts';
import type { RequestContext } from '../context.ts';
import type { SiteRuntime } from '../../runtime/runtime.ts';
import type { SiteShield } from '../../runtime/site-shield.ts';
import { VIA_VALUE } from '../forward/proxy-headers.ts';
import { keyAuthority } from '../../core/http/authority.ts';

interface RefreshTarget {
  readonly shield: SiteShield;
  readonly site: SiteRuntime;
  readonly key: string;
  /** Scheme and normalised authority the key holds (`https://example.org`): the origin is told the same. */
  readonly keyAuthority: string;
  readonly path: string;
  /** Request headers that matter for the stored variant (Vary) and for the origin. */
  readonly headers: Record<string, string>;
  readonly header: HeaderGetter;
  readonly pin: boolean;
}

/** Bulwark's own background refreshes, as one client of the admission's fair share. */
const REFRESH_CLIENT = Object.freeze({ address: 'bulwark/refresh', prefix: 'bulwark/refresh' });

const VARY_CANDIDATES = ['accept', 'accept-encoding', 'accept-language', 'user-agent'];

/** Fetches `target` from the origin and stores it. Resolves to true when the cache was updated. */
export async function refresh(t: RefreshTarget): Promise<boolean> {
  const { shield } = t;
  const now = Date.now();
  const flight = shield.coalescer.join(t.key, now, now);
  if (flight.role !== 'leader') return false;
  if (shield.admission.tryAcquire(PRIORITY_UNKNOWN, REFRESH_CLIENT, now).status !== 'admitted') {
    shield.coalescer.fail(flight.flight, 'leader_failed');
    return false;
  }
  const pick = shield.balancer.pick(now);
  if (pick === undefined) {
    shield.admission.release(REFRESH_CLIENT, 'ignored', 0, now);
    shield.coalescer.fail(flight.flight, 'leader_failed');
    return false;
  }
  const upstream = t.site.upstreams[pick.index] ?? t.site.pickUpstream();
  const started = performance.now();
  const secure = t.keyAuthority.startsWith('https://');
  const authority = t.keyAuthority.slice(secure ? 8 : 7);
  let ok = false;
  let dropped = false;
  try {
    shield.counters.refreshes++;
    const res = await upstream.pool.request({
      path: t.path,
      method: 'GET',
      // What the key says, as forward.ts tells the origin for a visitor's request.
      headers: {
        ...t.headers,
        host: upstream.options.preserve_host && authority !== '' ? authority : upstream.hostHeader,
        'x-forwarded-proto': secure ? 'https' : 'http',
        ...(authority === '' ? {} : { 'x-forwarded-host': authority }),
        'x-bulwark-refresh': '1',
        via: VIA_VALUE,
      },
    });
    dropped = res.statusCode === 503 || res.statusCode === 429;
    const chunks: Buffer[] = [];
    let bytes = 0;
    for await (const chunk of res.body) {
      bytes += (chunk as Buffer).length;
      if (bytes > shield.store.maxObjectBytes) {
        res.body.destroy();
        break;
      }
      chunks.push(chunk as Buffer);
    }
    const headers = res.headers as Record<string, string | string[]>;
    const done = Date.now();
    const decision = storable({ method: 'GET', header: t.header }, { status: res.statusCode, headers }, shield.policy, done);
    if (bytes <= shield.store.maxObjectBytes && decision.storable && res.statusCode < 500) {
      const entry = createEntry(t.key, { status: res.statusCode, headers, body: Buffer.concat(chunks, bytes) }, decision, done, t.header);
      shield.store.put(entry, { pin: t.pin });
      shield.coalescer.resolve(flight.flight, entry);
      ok = true;
    }
    shield.balancer.done(pick, dropped ? 'overloaded' : res.statusCode >= 500 ? 'http_5xx' : 'success', done);
  } catch (err) {
    dropped = true;
    shield.balancer.done(pick, (err as { code?: string }).code === 'UND_ERR_HEADERS_TIMEOUT' ? 'timeout' : 'connect_error', Date.now());
  } finally {
    if (!ok) {
      shield.counters.refreshFailures++;
      shield.coalescer.fail(flight.flight, 'leader_failed');
    }
    shield.admission.release(REFRESH_CLIENT, dropped ? 'dropped' : 'success', performance.now() - started, Date.now());
  }
  return ok;
}

/** Starts a refresh for a stale-while-revalidate hit; the response to the client is already sent. */
export function refreshInBackground(ctx: RequestContext, shield: SiteShield, key: string, header: HeaderGetter, pin: boolean): void {
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const name of VARY_CANDIDATES) {
    const v = header(name);
    if (v !== undefined) headers[name] = v;
  }
  void refresh({ shield, site: ctx.site!, key, keyAuthority: keyAuthority(ctx.secure, ctx.authority), path: ctx.originPath, headers, header, pin }).catch(() => {});
}

/**
 * Refreshes a site's key pages (called on a timer) under each authority visitors asked for them
 * (key-page-authorities.ts); requests look like an anonymous browser's.
 */
export function refreshKeyPages(shield: SiteShield, site: SiteRuntime): void {
  const headers: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, { accept: 'text/html,application/xhtml+xml', 'user-agent': 'Bulwark key-page refresh' });
  const header: HeaderGetter = (name) => headerValue(headers, name);
  for (const authority of shield.keyPageAuthorities.list()) {
    for (const path of shield.keyPages) {
      const target = shield.keyer.normalizeTarget(path);
      const key = shield.keyer.keyOfTarget('GET', authority, target);
      void refresh({ shield, site, key, keyAuthority: authority, path: target, headers, header, pin: true }).catch(() => {});
    }
  }
}
