/**
 * Routing by host: exact names first, then the longest matching `*.suffix`
 * wildcard, then a catch-all `*` site. Compiled once per config generation; a lookup is one Map get in
 * the common case.
 */
import { normalizeAuthority } from '../core/http/authority.ts';

export interface SiteRouter<S> {
  route(host: string): S | null;
}

/**
 * The routing host of a Host value: `Example.org.:8080` → `example.org` (lower-case, no port, no
 * trailing dot, IPv6 brackets kept). The same normalisation parse uses (core/http/authority.ts).
 */
export function normalizeHost(hostHeader: string | undefined): string {
  return normalizeAuthority(hostHeader, false)?.host ?? '';
}

export function createSiteRouter<S>(entries: readonly { hosts: readonly string[]; site: S }[]): SiteRouter<S> {
  const exact = new Map<string, S>();
  const wildcards: { suffix: string; site: S }[] = [];
  let fallback: S | null = null;
  for (const { hosts, site } of entries) {
    for (const host of hosts) {
      if (host === '*') fallback = site;
      else if (host.startsWith('*.')) wildcards.push({ suffix: host.slice(1), site });
      else exact.set(host, site);
    }
  }
  wildcards.sort((a, b) => b.suffix.length - a.suffix.length);
  return {
    route(host) {
      const hit = exact.get(host);
      if (hit !== undefined) return hit;
      for (const w of wildcards) if (host.length > w.suffix.length && host.endsWith(w.suffix)) return w.site;
      return fallback;
    },
  };
}
