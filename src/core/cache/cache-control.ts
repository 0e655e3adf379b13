/**
 * Parsing of the HTTP caching header fields a shared cache reads: `Cache-Control` (request and response),
 * `Expires`, `Date`, `Age` and `Vary` — RFC 9111 (https://www.rfc-editor.org/rfc/rfc9111) and the
 * stale-* extensions of RFC 5861 (https://www.rfc-editor.org/rfc/rfc5861).
 *
 * Pure and allocation-light: the hot path parses one short `Cache-Control` string per origin response.
 * When in doubt a value is read the way that caches *less* (an invalid `max-age` means "stale", an
 * invalid `Expires` means "in the past"), because a shared cache that stores too much leaks one user's
 * page to another.
 */

/**
 * Header fields as node:http (`IncomingHttpHeaders`) and undici (response `headers`) hand them over:
 * lower-case names; a field sent on several lines may arrive as an array.
 */
export type HeaderBag = Readonly<Record<string, string | readonly string[] | undefined>>;

/** Reads one request header field (lower-case name); several lines joined with ", ". */
export type HeaderGetter = (name: string) => string | undefined;

/**
 * The value of field `name` in `bag` (lower-case name), several lines joined with ", " as RFC 9110 §5.3
 * allows for list-based fields; `undefined` when absent. Do not use it to rebuild `Set-Cookie`.
 *
 * Names come from the other side (a response's `Vary`, a rule): only a string or an array of strings
 * is a field value. node:http's header objects inherit from Object.prototype, so `constructor` or
 * `__proto__` would otherwise find a function or an object there — never a field the request sent.
 */
export function headerValue(bag: HeaderBag, name: string): string | undefined {
  const v = bag[name];
  if (typeof v === 'string') return v;
  if (!Array.isArray(v)) return undefined;
  return v.length === 0 ? undefined : (v as readonly string[]).join(', ');
}

/** A {@link HeaderGetter} over a {@link HeaderBag}, for adapting node:http requests. */
export function headerGetter(bag: HeaderBag): HeaderGetter {
  return (name) => headerValue(bag, name);
}

/**
 * Parsed `Cache-Control` directives (RFC 9111 §5.2). Durations are in seconds, `undefined` when the
 * directive is absent. `maxStale` is `Infinity` for a bare request `max-stale`.
 *
 * Qualified forms (`private="set-cookie"`, `no-cache="x"`) set the same flag as the bare forms: Bulwark
 * does not store a response partially, so both mean "do not store" (stricter than RFC 9111 §5.2.2.4/7).
 */
export interface CacheControl {
  readonly maxAge: number | undefined;
  readonly sMaxAge: number | undefined;
  readonly staleWhileRevalidate: number | undefined;
  readonly staleIfError: number | undefined;
  readonly maxStale: number | undefined;
  readonly minFresh: number | undefined;
  readonly noStore: boolean;
  readonly noCache: boolean;
  readonly private: boolean;
  readonly public: boolean;
  readonly mustRevalidate: boolean;
  readonly proxyRevalidate: boolean;
  readonly immutable: boolean;
  readonly noTransform: boolean;
  readonly onlyIfCached: boolean;
  /** Some directive had an invalid or conflicting value; that duration was read as 0 ("stale"). */
  readonly invalid: boolean;
}

type MutableCacheControl = { -readonly [K in keyof CacheControl]: CacheControl[K] };

/** The directives of an absent or empty `Cache-Control` field. */
export const EMPTY_CACHE_CONTROL: CacheControl = Object.freeze(emptyCacheControl());

function emptyCacheControl(): MutableCacheControl {
  return {
    maxAge: undefined,
    sMaxAge: undefined,
    staleWhileRevalidate: undefined,
    staleIfError: undefined,
    maxStale: undefined,
    minFresh: undefined,
    noStore: false,
    noCache: false,
    private: false,
    public: false,
    mustRevalidate: false,
    proxyRevalidate: false,
    immutable: false,
    noTransform: false,
    onlyIfCached: false,
    invalid: false,
  };
}

/** RFC 9111 §1.2.2: a delta-seconds too large to represent is read as 2^31. */
export const DELTA_SECONDS_MAX = 2147483648;

/**
 * Parses delta-seconds (`1*DIGIT`, RFC 9111 §1.2.2); a quoted form is tolerated. Returns `undefined`
 * for anything else (the caller decides what invalid means — for freshness it means stale).
 */
export function parseDeltaSeconds(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  let s = raw;
  if (s.length >= 2 && s.charCodeAt(0) === 34 && s.charCodeAt(s.length - 1) === 34) s = s.slice(1, -1);
  if (s.length === 0 || s.length > 16) return s.length > 16 && /^\d+$/.test(s) ? DELTA_SECONDS_MAX : undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  const n = Number(s);
  return n > DELTA_SECONDS_MAX ? DELTA_SECONDS_MAX : n;
}

// Looked up by directive names from the origin: Maps, so `constructor` or `__proto__` finds nothing.
const DURATION_FIELDS: ReadonlyMap<string, keyof MutableCacheControl> = new Map(Object.entries({
  'max-age': 'maxAge',
  's-maxage': 'sMaxAge',
  'stale-while-revalidate': 'staleWhileRevalidate',
  'stale-if-error': 'staleIfError',
  'min-fresh': 'minFresh',
} as const));

const FLAG_FIELDS: ReadonlyMap<string, keyof MutableCacheControl> = new Map(Object.entries({
  'no-store': 'noStore',
  'no-cache': 'noCache',
  private: 'private',
  public: 'public',
  'must-revalidate': 'mustRevalidate',
  'proxy-revalidate': 'proxyRevalidate',
  immutable: 'immutable',
  'no-transform': 'noTransform',
  'only-if-cached': 'onlyIfCached',
} as const));

/**
 * Parses a request or response `Cache-Control` field value (RFC 9111 §5.2). Directive names are
 * case-insensitive; unknown directives are ignored (§5.2.3). A duration with an invalid value, or given
 * twice with different values, is read as 0 and flags `invalid` (§4.2.1: "consider the response stale").
 * Several field lines may be passed joined with commas.
 */
export function parseCacheControl(value: string | undefined): CacheControl {
  if (value === undefined || value.length === 0) return EMPTY_CACHE_CONTROL;
  const cc = emptyCacheControl();
  for (const [name, arg] of splitDirectives(value)) applyDirective(cc, name, arg);
  return cc;
}

function applyDirective(cc: MutableCacheControl, name: string, arg: string | undefined): void {
  const flag = FLAG_FIELDS.get(name);
  if (flag !== undefined) {
    (cc as Record<string, unknown>)[flag] = true;
    return;
  }
  if (name === 'max-stale') {
    const v = arg === undefined ? Infinity : parseDeltaSeconds(arg);
    cc.maxStale = v ?? 0;
    return;
  }
  const field = DURATION_FIELDS.get(name);
  if (field === undefined) return;
  const parsed = parseDeltaSeconds(arg);
  const previous = cc[field] as number | undefined;
  if (parsed === undefined || (previous !== undefined && previous !== parsed)) {
    (cc as Record<string, unknown>)[field] = 0;
    cc.invalid = true;
    return;
  }
  (cc as Record<string, unknown>)[field] = parsed;
}

/** Splits `a, b=1, c="x,y"` into `[name (lower-case), argument | undefined]` pairs, honouring quotes. */
function* splitDirectives(value: string): Generator<[string, string | undefined]> {
  const n = value.length;
  let i = 0;
  while (i < n) {
    let start = i;
    let eq = -1;
    let inQuotes = false;
    for (; i < n; i++) {
      const c = value.charCodeAt(i);
      if (inQuotes) {
        if (c === 92) i++; // quoted-pair
        else if (c === 34) inQuotes = false;
      } else if (c === 34) inQuotes = true;
      else if (c === 61 && eq < 0) eq = i;
      else if (c === 44) break;
    }
    const end = i;
    i++;
    while (start < end && isSpace(value.charCodeAt(start))) start++;
    if (eq < 0) {
      const name = value.slice(start, end).trim().toLowerCase();
      if (name.length > 0) yield [name, undefined];
    } else {
      const name = value.slice(start, eq).trim().toLowerCase();
      if (name.length > 0) yield [name, value.slice(eq + 1, end).trim()];
    }
  }
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9;
}

const IMF_FIXDATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const RFC850_DATE = /^[A-Z][a-z]{5,8}, \d{2}-[A-Z][a-z]{2}-\d{2} \d{2}:\d{2}:\d{2} GMT$/;
const ASCTIME_DATE = /^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;

/**
 * Parses an HTTP-date (RFC 9110 §5.6.7: IMF-fixdate, and the obsolete RFC 850 and asctime forms) to
 * milliseconds since the epoch; `undefined` for anything else (e.g. `Expires: 0`, which RFC 9111 §5.3
 * says to read as "in the past" — the caller does that). `Date.parse` alone is not used because it
 * accepts things like "99999" (a year in the future).
 */
export function parseHttpDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const s = value.trim();
  let ms = Number.NaN;
  if (IMF_FIXDATE.test(s) || RFC850_DATE.test(s)) ms = Date.parse(s);
  else if (ASCTIME_DATE.test(s)) ms = Date.parse(`${s} GMT`);
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * Parses `Vary` (RFC 9110 §12.5.5) into lower-case, sorted, de-duplicated field names. Returns `'*'`
 * when any member is `*` (the response varies on something outside the request: never storable).
 */
export function parseVary(value: string | undefined): readonly string[] | '*' {
  if (value === undefined) return [];
  const names: string[] = [];
  for (const part of value.split(',')) {
    const name = part.trim().toLowerCase();
    if (name.length === 0) continue;
    if (name === '*') return '*';
    if (!names.includes(name)) names.push(name);
  }
  return names.sort();
}
