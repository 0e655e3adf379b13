/**
 * The clearance cookie on the wire: its name, its Set-Cookie header (RFC 6265 §4.1) and finding it in a
 * Cookie header.
 *
 * Attributes: `Path=/` (the whole site), `Max-Age` (the clearance lifetime), `HttpOnly` (page scripts have
 * no business reading it), `SameSite=Lax` (sent on top-level navigations from other sites — a visitor
 * following a link keeps the clearance — but not on cross-site subrequests or POSTs), and `Secure` when the
 * request came over HTTPS. No `Domain`: the cookie belongs to the exact host that issued it.
 */

/** The cookie's name. Plain on purpose: no `__Host-` prefix, which browsers refuse on plain HTTP sites. */
export const CLEARANCE_COOKIE_NAME = 'bulwark_clearance';

/** A cookie to set, as data and as a ready Set-Cookie header value. */
export interface ClearanceCookie {
  readonly name: string;
  readonly value: string;
  readonly attributes: {
    readonly path: '/';
    readonly maxAgeS: number;
    readonly httpOnly: true;
    readonly sameSite: 'Lax';
    readonly secure: boolean;
  };
  /** The Set-Cookie header value. */
  readonly header: string;
}

/** Builds the clearance cookie for `value`, lasting `maxAgeS`, `Secure` when `secure` (request over HTTPS). */
export function buildClearanceCookie(value: string, maxAgeS: number, secure: boolean): ClearanceCookie {
  const header = `${CLEARANCE_COOKIE_NAME}=${value}; Path=/; Max-Age=${maxAgeS}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
  return { name: CLEARANCE_COOKIE_NAME, value, attributes: { path: '/', maxAgeS, httpOnly: true, sameSite: 'Lax', secure }, header };
}

/** A Set-Cookie header value that deletes the clearance cookie (e.g. after it failed verification). */
export function clearClearanceCookieHeader(secure: boolean): string {
  return `${CLEARANCE_COOKIE_NAME}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}

const NEEDLE = `${CLEARANCE_COOKIE_NAME}=`;

/**
 * The value of the first `bulwark_clearance` cookie in a Cookie header (or undefined), without parsing
 * the other cookies. Cheap: one `indexOf` in the common case.
 */
export function findClearanceCookie(cookieHeader: string | undefined): string | undefined {
  if (cookieHeader === undefined || cookieHeader.length === 0) return undefined;
  let from = 0;
  for (;;) {
    const at = cookieHeader.indexOf(NEEDLE, from);
    if (at < 0) return undefined;
    // Must be at the start of a cookie-pair: start of header, or after ';' and optional spaces.
    let i = at - 1;
    while (i >= 0 && cookieHeader.charCodeAt(i) === 0x20) i--;
    if (i < 0 || cookieHeader.charCodeAt(i) === 0x3b) {
      const start = at + NEEDLE.length;
      const end = cookieHeader.indexOf(';', start);
      return (end < 0 ? cookieHeader.slice(start) : cookieHeader.slice(start, end)).trim();
    }
    from = at + NEEDLE.length;
  }
}
