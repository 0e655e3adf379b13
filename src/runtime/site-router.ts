/**
 * Routing by host (issue #2, point 1): exact names first, then the longest matching `*.suffix`
 * wildcard, then a catch-all `*` site. Compiled once per config generation; a lookup is one Map get in
 * the common case.
 */

export interface SiteRouter<S> {
  route(host: string): S | null;
}

/** Strips the port and a trailing dot, lower-cases, and unwraps IPv6 brackets: `Example.org.:8080` → `example.org`. */
export function normalizeHost(hostHeader: string | undefined): string {
  if (hostHeader === undefined || hostHeader === '') return '';
  let h = hostHeader;
  if (h.charCodeAt(0) === 91 /* [ */) {
    const end = h.indexOf(']');
    h = end === -1 ? h : h.slice(0, end + 1);
  } else {
    const colon = h.indexOf(':');
    if (colon !== -1) h = h.slice(0, colon);
  }
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h.toLowerCase();
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
