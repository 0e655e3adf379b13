/**
 * Where a visitor goes after passing a challenge: only ever a path on the same site, never an open
 * redirect (CWE-601).
 *
 * The return path travels in the challenge form, unsigned. That is safe because it is checked here on the
 * way back: it must start with exactly one `/` (so `//evil.example` and `/\evil.example`, which browsers
 * read as another host, are refused), contain only printable ASCII without backslashes (URL parsers drop
 * tabs and newlines and turn `\` into `/`, which could otherwise smuggle a `//`), be at most
 * {@link MAX_RETURN_PATH_LENGTH} characters, and not point back into Bulwark's reserved `/.bulwark/`. The
 * worst anyone can do by editing it is send a visitor to another page of the same site — which a link can
 * do anyway.
 */

/** Bulwark's reserved path prefix on every site. */
export const BULWARK_PATH_PREFIX = '/.bulwark/';
/** The verify endpoint the challenge page submits to. */
export const CHALLENGE_VERIFY_PATH = '/.bulwark/challenge/verify';
/** Longest return path kept; longer ones fall back to `/`. */
export const MAX_RETURN_PATH_LENGTH = 2048;

/** The return path if it is a safe same-site path, else undefined. */
export function sanitizeReturnPath(path: string | undefined): string | undefined {
  if (typeof path !== 'string' || path.length === 0 || path.length > MAX_RETURN_PATH_LENGTH) return undefined;
  if (path.charCodeAt(0) !== 0x2f) return undefined;
  if (path.length > 1 && (path.charCodeAt(1) === 0x2f || path.charCodeAt(1) === 0x5c)) return undefined;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === 0x5c) return undefined;
  }
  if (path.startsWith(BULWARK_PATH_PREFIX)) return undefined;
  return path;
}

/**
 * The path a challenged request should return to once cleared: for GET and HEAD the request's own path
 * and query; for other methods (whose body cannot be replayed) the same-origin page the form was on (from
 * `Referer`, when its host is `host`), else `/`.
 */
export function challengeReturnPath(method: string, pathAndQuery: string, referer: string | undefined, host: string | undefined): string {
  if (method === 'GET' || method === 'HEAD') return sanitizeReturnPath(pathAndQuery) ?? '/';
  if (referer !== undefined && host !== undefined) {
    try {
      const url = new URL(referer);
      if (url.host.toLowerCase() === host.toLowerCase()) return sanitizeReturnPath(url.pathname + url.search) ?? '/';
    } catch {
      // not a URL: fall through
    }
  }
  return '/';
}
