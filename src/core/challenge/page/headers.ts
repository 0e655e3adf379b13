/**
 * Status codes and headers for challenge answers. The caller decides which status to send; these are the
 * values Bulwark uses.
 *
 * A challenge page is never a 200: crawlers, caches and uptime monitors must not take it for the page
 * they asked for. 403 says "not without passing the check"; 429 (RFC 6585 §4) suits a challenge that a
 * rate limit triggered. `Cache-Control: no-store` keeps it out of every cache (RFC 9111 §5.2.2.5).
 */

/** Status of a challenge page. */
export const CHALLENGE_STATUS = 403;
/** Status of a challenge page shown because a rate limit was reached. */
export const CHALLENGE_STATUS_RATE_LIMITED = 429;
/** Status of the "cookies switched off" page. */
export const COOKIES_OFF_STATUS = 403;
/** Status of a successful verification: See Other, so the browser follows with a GET (RFC 9110 §15.4.4). */
export const VERIFY_SUCCESS_STATUS = 303;
/** Status for clients that cannot solve a page (status_only exemptions): Too Many Requests… */
export const STATUS_ONLY_STATUS = 429;
/** …or Service Unavailable, for the site-wide `under_attack` level (RFC 9110 §15.6.4). */
export const STATUS_ONLY_UNDER_ATTACK = 503;
/** Retry-After (seconds) sent with status_only answers by default. */
export const STATUS_ONLY_RETRY_AFTER_S = 30;

/**
 * Headers for a challenge or cookies-off page with CSP nonce `cspNonce`: HTML, never cached, never
 * indexed, never framed, no referrer leaves the site, and a Content-Security-Policy that allows only the
 * page's own inline style and script (by nonce), workers from `blob:` (the solver), and forms posting to
 * the site itself. Nothing else can load.
 */
export function challengePageHeaders(cspNonce: string): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy':
      `default-src 'none'; script-src 'nonce-${cspNonce}'; style-src 'nonce-${cspNonce}'; ` +
      "worker-src blob:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    'x-robots-tag': 'noindex, nofollow',
    'referrer-policy': 'same-origin',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
  };
}
