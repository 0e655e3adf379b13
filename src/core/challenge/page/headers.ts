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
 * The Content-Security-Policy of every challenge page: a stylesheet, scripts and workers only from the
 * site itself (served by Bulwark at one path each), forms posting to the site itself, no inline code of
 * any kind. Nothing else can load, and nothing in it changes per request.
 */
export const CHALLENGE_PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; worker-src 'self'; " +
  "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/**
 * Headers for a challenge, retry or cookies-off page: HTML, never cached, never indexed, never framed, no
 * referrer leaves the site, and {@link CHALLENGE_PAGE_CSP}. The same frozen object for every page.
 */
export const CHALLENGE_PAGE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': CHALLENGE_PAGE_CSP,
  'x-robots-tag': 'noindex, nofollow',
  'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
});

/**
 * Headers of the solver script and the stylesheet: cacheable by anyone for a year and never revalidated
 * (their paths change with their content, RFC 8246 `immutable`), not sniffed.
 */
export const SOLVER_SCRIPT_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/javascript; charset=utf-8',
  'cache-control': 'public, max-age=31536000, immutable',
  'x-content-type-options': 'nosniff',
});
export const PAGE_STYLES_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/css; charset=utf-8',
  'cache-control': 'public, max-age=31536000, immutable',
  'x-content-type-options': 'nosniff',
});
