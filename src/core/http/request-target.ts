/**
 * The one normalised request target: what rules, the cache key, the 404 budget, the record and the
 * origin all see.
 *
 * A rule on `/admin` must not be slipped past with `/%61dmin`, `/x/../admin` or `//admin` while the
 * origin, which decodes and resolves them, serves `/admin`. So the target is normalised once, before
 * identify and decide, and exactly the normalised target is forwarded:
 * - RFC 3986 §6.2.2.1–2 in the whole target: percent-escape hex upper-cased, escaped unreserved
 *   characters (`A-Z a-z 0-9 - . _ ~`) decoded;
 * - RFC 3986 §6.2.2.3 in the path: dot segments removed (§5.2.4), and empty segments merged
 *   (`//` → `/`, as nginx's default `merge_slashes` does, so the origin's reading and the rules agree);
 * - refused (400) in the path: an escaped `/` or `\` (`%2F`, `%5C`), which origins disagree about —
 *   some decode them into separators after the rules ran, some do not — and escaped control characters
 *   (`%00`–`%1F`, `%7F`), which no page needs; a `%` not followed by two hex digits is not a URI.
 * The query keeps its separators and order (the cache key sorts it separately); only its escapes are
 * normalised, and a stray `%` there is left as it is. Case is not changed: a rule that must match
 * case-insensitively says so (`(?i)`). Pure.
 */

/** A target Bulwark will not forward, with the stable code its 400 answer records. */
export interface TargetRefusal {
  readonly code: 'BULWARK_ERR_INVALID_TARGET' | 'BULWARK_ERR_ENCODED_SEPARATOR';
}

/** What {@link scanTarget} found. */
export const TARGET_BAD = -1;
export const TARGET_CLEAN = 0;
export const TARGET_NEEDS_NORMALIZING = 1;

/**
 * One pass over an origin-form target: {@link TARGET_BAD} for characters no target may contain
 * (controls, space, `#`, `\`, non-ASCII), {@link TARGET_NEEDS_NORMALIZING} when it holds an escape or,
 * in its path, a dot segment candidate (`/.`) or an empty segment (`//`); else {@link TARGET_CLEAN}
 * (the common case: the target is already normal and is used as it is).
 */
export function scanTarget(url: string): number {
  let verdict = TARGET_CLEAN;
  let inPath = true;
  let prev = 0;
  for (let i = 0; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c <= 32 || c === 127 || c === 35 /* # */ || c === 92 /* \ */ || c > 126) return TARGET_BAD;
    if (c === 37 /* % */) verdict = TARGET_NEEDS_NORMALIZING;
    else if (c === 63 /* ? */) inPath = false;
    else if (inPath && prev === 47 /* / */ && (c === 46 /* . */ || c === 47)) verdict = TARGET_NEEDS_NORMALIZING;
    prev = c;
  }
  return verdict;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

function isUnreserved(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 95 || c === 126;
}

const HEX = '0123456789ABCDEF';

/**
 * Normalises the escapes of `s` (RFC 3986 §6.2.2.1–2). In a path (`strict`), a malformed escape and
 * escaped separators or controls refuse the target; in a query they are left as they are.
 */
function normalizeEscapes(s: string, strict: boolean): string | TargetRefusal {
  if (s.indexOf('%') === -1) return s;
  let out = '';
  let from = 0;
  for (let i = s.indexOf('%'); i !== -1; i = s.indexOf('%', i + 1)) {
    const hi = i + 2 < s.length ? hexValue(s.charCodeAt(i + 1)) : -1;
    const lo = hi === -1 ? -1 : hexValue(s.charCodeAt(i + 2));
    if (lo === -1) {
      if (strict) return { code: 'BULWARK_ERR_INVALID_TARGET' };
      continue;
    }
    const c = hi * 16 + lo;
    if (strict && (c === 47 || c === 92)) return { code: 'BULWARK_ERR_ENCODED_SEPARATOR' };
    if (strict && (c < 32 || c === 127)) return { code: 'BULWARK_ERR_INVALID_TARGET' };
    out += s.slice(from, i) + (isUnreserved(c) ? String.fromCharCode(c) : `%${HEX[hi]}${HEX[lo]}`);
    from = i + 3;
    i += 2;
  }
  return out + s.slice(from);
}

/**
 * RFC 3986 §5.2.4 dot-segment removal on an absolute path, with empty segments merged: `/a/./b/../c`
 * → `/a/c`, `/a//b` → `/a/b`, `/..` → `/`. A trailing `/`, `/.` or `/..` leaves a trailing slash.
 */
export function removeDotSegments(path: string): string {
  const segments = path.split('/');
  const out: string[] = [];
  let trailing = false;
  // segments[0] is the empty string before the leading '/'.
  for (let i = 1; i < segments.length; i++) {
    const seg = segments[i]!;
    const last = i === segments.length - 1;
    if (seg === '..') out.pop();
    else if (seg !== '.' && seg !== '') out.push(seg);
    trailing = last && (seg === '.' || seg === '..' || seg === '');
  }
  if (out.length === 0) return '/';
  return trailing ? `/${out.join('/')}/` : `/${out.join('/')}`;
}

/**
 * The normalised form of an origin-form target (`/path?query`, already found free of bad characters by
 * {@link scanTarget}), or the refusal (see the module comment). Idempotent: a normal target comes
 * back unchanged.
 */
export function normalizeOriginTarget(url: string): string | TargetRefusal {
  const q = url.indexOf('?');
  const rawPath = q === -1 ? url : url.slice(0, q);
  const decoded = normalizeEscapes(rawPath, true);
  if (typeof decoded !== 'string') return decoded;
  const path = decoded.indexOf('/.') === -1 && decoded.indexOf('//') === -1 ? decoded : removeDotSegments(decoded);
  if (q === -1) return path;
  const query = normalizeEscapes(url.slice(q + 1), false) as string;
  return `${path}?${query}`;
}
