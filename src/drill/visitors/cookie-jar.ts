/**
 * A small cookie jar for simulated visitors of one site: stores `Set-Cookie` answers (name, value,
 * expiry) and builds the `Cookie` header. Domain and Path are ignored — a visitor talks to one site — and
 * attributes such as Secure and SameSite do not change what a drill visitor sends. Bounded: 50 cookies,
 * 4096 bytes each (RFC 6265 §6.1 minimums); beyond, the oldest cookie is dropped.
 */

/** A visitor's cookies. */
export interface CookieJar {
  /** Stores every `Set-Cookie` value of an answer; `nowMs` dates Max-Age / Expires. */
  store(setCookie: string | readonly string[] | undefined, nowMs: number): void;
  /** Sets one cookie directly (e.g. a clearance cookie computed by a challenge solver). */
  set(name: string, value: string, expiresAtMs?: number): void;
  /** The `Cookie` header value for a request at `nowMs`, or undefined when the jar is empty. */
  header(nowMs: number): string | undefined;
  get(name: string, nowMs: number): string | undefined;
  size(): number;
  clear(): void;
}

const MAX_COOKIES = 50;
const MAX_COOKIE_BYTES = 4096;

/** Creates an empty cookie jar. */
export function createCookieJar(): CookieJar {
  const cookies = new Map<string, { value: string; expiresAtMs: number }>();
  const put = (name: string, value: string, expiresAtMs: number): void => {
    cookies.delete(name);
    if (name.length + value.length > MAX_COOKIE_BYTES) return;
    if (cookies.size >= MAX_COOKIES) cookies.delete(cookies.keys().next().value as string);
    cookies.set(name, { value, expiresAtMs });
  };
  const live = (nowMs: number): Array<[string, string]> => {
    const out: Array<[string, string]> = [];
    for (const [name, c] of cookies) {
      if (c.expiresAtMs <= nowMs) cookies.delete(name);
      else out.push([name, c.value]);
    }
    return out;
  };
  return {
    store(setCookie, nowMs) {
      if (setCookie === undefined) return;
      for (const line of typeof setCookie === 'string' ? [setCookie] : setCookie) {
        const parsed = parseSetCookie(line, nowMs);
        if (!parsed) continue;
        if (parsed.expiresAtMs <= nowMs) cookies.delete(parsed.name);
        else put(parsed.name, parsed.value, parsed.expiresAtMs);
      }
    },
    set: (name, value, expiresAtMs = Infinity) => put(name, value, expiresAtMs),
    header(nowMs) {
      const pairs = live(nowMs);
      return pairs.length === 0 ? undefined : pairs.map(([n, v]) => `${n}=${v}`).join('; ');
    },
    get: (name, nowMs) => live(nowMs).find(([n]) => n === name)?.[1],
    size: () => cookies.size,
    clear: () => cookies.clear(),
  };
}

/**
 * Parses one `Set-Cookie` value (RFC 6265 §5.2): name and value, and an expiry from Max-Age (which wins)
 * or Expires; a session cookie never expires in the drill. Returns undefined for a nameless cookie.
 */
export function parseSetCookie(line: string, nowMs: number): { name: string; value: string; expiresAtMs: number } | undefined {
  const [pair, ...attrs] = line.split(';');
  const eq = pair.indexOf('=');
  if (eq <= 0) return undefined;
  const name = pair.slice(0, eq).trim();
  const value = pair.slice(eq + 1).trim();
  if (name === '') return undefined;
  let expiresAtMs = Infinity;
  let maxAgeSeen = false;
  for (const attr of attrs) {
    const [k, ...rest] = attr.split('=');
    const key = k.trim().toLowerCase();
    const v = rest.join('=').trim();
    if (key === 'max-age' && /^-?\d+$/.test(v)) {
      maxAgeSeen = true;
      expiresAtMs = Number(v) <= 0 ? -Infinity : nowMs + Number(v) * 1000;
    } else if (key === 'expires' && !maxAgeSeen) {
      const t = Date.parse(v);
      if (!Number.isNaN(t)) expiresAtMs = t;
    }
  }
  return { name, value, expiresAtMs };
}
