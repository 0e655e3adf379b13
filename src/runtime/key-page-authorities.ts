/**
 * The scheme-qualified authorities (`https://example.org`) a site's key pages are kept fresh under.
 *
 * A cache key holds the authority the origin saw (core/http/authority.ts), so a key page refreshed for
 * one host name only helps visitors asking under that name. The refresh therefore follows visitors:
 * the authorities under which key pages were last requested, most recent first, at most
 * {@link MAX_KEY_PAGE_AUTHORITIES} (a flood of invented Host names under a wildcard site can only
 * rotate this short list, never grow the refresh work). Until a visitor asks, the site's first exact
 * host name is used (https when the site has a certificate), so a restart under attack still has a
 * copy to show; a site with only wildcard names waits for its first visitor.
 */

/** Authorities kept per site: each costs one origin request per key page and refresh period. */
export const MAX_KEY_PAGE_AUTHORITIES = 4;

export interface KeyPageAuthorities {
  /** Notes that a key page was requested under `authority` (scheme-qualified). */
  note(authority: string): void;
  /** The authorities to refresh, most recent first. */
  list(): readonly string[];
}

/** A bounded most-recently-used list of authorities, seeded with `seed` when given. */
export function createKeyPageAuthorities(seed: string | null): KeyPageAuthorities {
  const recent: string[] = seed === null ? [] : [seed];
  return {
    note(authority) {
      if (recent[0] === authority) return;
      const at = recent.indexOf(authority);
      if (at !== -1) recent.splice(at, 1);
      else if (recent.length >= MAX_KEY_PAGE_AUTHORITIES) recent.pop();
      recent.unshift(authority);
    },
    list: () => recent,
  };
}
