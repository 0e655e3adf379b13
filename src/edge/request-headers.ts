/**
 * Bulwark's IncomingMessage: node:http's, with a cheaper way to build `req.headers`.
 *
 * node:http builds the header object of every request before it emits 'request' (it reads
 * `req.headers` itself to look for Expect and Upgrade), so no request escapes that cost, whatever the
 * handler reads. Its builder lower-cases each field name through a large switch, allocates a new
 * lower-case string for every name it does not know in the sender's exact case (`Sec-Fetch-Dest`,
 * `X-Forwarded-For` from most proxies...) and slices a prefixed name for every list-valued one: about
 * 0.9–1.2 µs for the eight fields a browser sends, against 0.4 µs here (measured side by side in one
 * process on this machine). Field names repeat from request to request, so this builder remembers, per
 * name exactly as received, its lower-case key and how node:http combines repeats of it.
 *
 * Exactly node:http's result, by construction: the rule for a name is not a copy of node's table but
 * learned from node's own builder (one two-line probe per new name: which key it files the name
 * under, and whether a repeat is dropped, joined with ", " or "; ", or collected in an array, as for
 * Set-Cookie; a name node files nowhere, like `__proto__`, is skipped as node's assignment skips it).
 * The memory of names is capped: once full, a request carrying a name it does not know is built by
 * node:http's own builder (the cost of stock node:http, never more), so a flood of random field names
 * can neither grow it nor make a request slower than without it.
 */
import http from 'node:http';

/** How repeats of a field are combined (what node:http does with them). */
const enum Repeat {
  /** The first value wins (Host, User-Agent, Content-Length...). */
  Drop,
  /** Joined with ", " (most fields). */
  Comma,
  /** Joined with "; " (Cookie). */
  Semicolon,
  /** Collected in an array (Set-Cookie). */
  List,
  /** Never filed (a name such as `__proto__`, whose assignment node:http's object ignores). */
  Skip,
}

interface FieldRule {
  readonly key: string;
  readonly repeat: Repeat;
}

/** Distinct field names remembered (exact case as received). Beyond it, node:http's builder takes over. */
export const MAX_KNOWN_FIELD_NAMES = 2048;

const internals = (() => {
  const symbols = Object.getOwnPropertySymbols(new http.IncomingMessage(null as never));
  const headers = symbols.find((s) => s.description === 'kHeaders');
  const count = symbols.find((s) => s.description === 'kHeadersCount');
  const getter = Object.getOwnPropertyDescriptor(http.IncomingMessage.prototype, 'headers')?.get;
  return headers !== undefined && count !== undefined && getter !== undefined ? { headers, count, getter } : null;
})();

const rules = new Map<string, FieldRule>();

/** node:http's rule for a field name, learned from its own builder over the name given twice. */
function probe(name: string): FieldRule {
  const m = new http.IncomingMessage(null as never) as http.IncomingMessage & Record<symbol, unknown>;
  m.rawHeaders = [name, 'a', name, 'b'];
  m[internals!.count] = 4;
  const built = internals!.getter.call(m) as Record<string, string | string[]>;
  const keys = Object.keys(built);
  if (keys.length !== 1) return { key: '', repeat: Repeat.Skip };
  const key = keys[0]!;
  const v = built[key];
  const repeat = Array.isArray(v) ? Repeat.List : v === 'a, b' ? Repeat.Comma : v === 'a; b' ? Repeat.Semicolon : Repeat.Drop;
  return { key, repeat };
}

/** The rule for `name`, learned on first sight while there is room; undefined once the memory is full. */
function ruleOf(name: string): FieldRule | undefined {
  const known = rules.get(name);
  if (known !== undefined || rules.size >= MAX_KNOWN_FIELD_NAMES) return known;
  const rule = probe(name);
  rules.set(name, rule);
  return rule;
}

/** Field names remembered so far (for the memory's fill). */
export function knownFieldNames(): number {
  return rules.size;
}

type Internal = http.IncomingMessage & Record<symbol, unknown>;

/** Builds the header object from the raw fields; null when a name is unknown and the memory full. */
function build(raw: readonly string[], n: number): Record<string, string | string[]> | null {
  const h: Record<string, string | string[]> = {};
  for (let i = 0; i < n; i += 2) {
    const rule = ruleOf(raw[i]!);
    if (rule === undefined) return null;
    const key = rule.key;
    const value = raw[i + 1]!;
    switch (rule.repeat) {
      case Repeat.Drop:
        if (h[key] === undefined) h[key] = value;
        break;
      case Repeat.Comma:
      case Repeat.Semicolon: {
        const old = h[key];
        h[key] = typeof old === 'string' ? old + (rule.repeat === Repeat.Comma ? ', ' : '; ') + value : value;
        break;
      }
      case Repeat.List: {
        const list = h[key];
        if (list === undefined) h[key] = [value];
        else (list as string[]).push(value);
        break;
      }
      default:
        break;
    }
  }
  return h;
}

/** `req.headers` for Bulwark's requests: built from remembered rules, else by node:http (see the module comment). */
function headersOf(this: http.IncomingMessage): http.IncomingHttpHeaders {
  const self = this as unknown as Internal;
  const cached = self[internals!.headers];
  if (cached) return cached as http.IncomingHttpHeaders;
  const built = (this as unknown as { joinDuplicateHeaders?: boolean }).joinDuplicateHeaders ? null : build(this.rawHeaders, self[internals!.count] as number);
  if (built === null) return internals!.getter.call(this) as http.IncomingHttpHeaders;
  self[internals!.headers] = built;
  return built as http.IncomingHttpHeaders;
}

/**
 * The request class Bulwark's node:http servers create (`IncomingMessage` server option). Only the
 * `headers` accessor differs (see the module comment); a server that joins duplicate fields
 * (`joinDuplicateHeaders`) gets node's own builder, and on a Node whose internals are not as expected
 * the class is node's IncomingMessage unchanged.
 */
export class BulwarkRequest extends http.IncomingMessage {}

if (internals !== null) {
  const setter = Object.getOwnPropertyDescriptor(http.IncomingMessage.prototype, 'headers')?.set;
  Object.defineProperty(BulwarkRequest.prototype, 'headers', { get: headersOf, set: setter, configurable: true, enumerable: false });
}

/**
 * The header object node:http would build for a request with these raw fields (a request answered at
 * its parsed head, edge/wire/head-exchange.ts, has no IncomingMessage to build it): from the remembered
 * rules, else by node:http's own builder. Null on a Node whose internals are not as expected.
 */
export function headersOfRaw(raw: string[]): http.IncomingHttpHeaders | null {
  if (internals === null) return null;
  const built = build(raw, raw.length);
  if (built !== null) return built as http.IncomingHttpHeaders;
  const m = new http.IncomingMessage(null as never) as Internal;
  m.rawHeaders = raw;
  m[internals.count] = raw.length;
  return internals.getter.call(m) as http.IncomingHttpHeaders;
}

/** Whether {@link headersOfRaw} can build header objects on this Node. */
export const HEADERS_OF_RAW = internals !== null;
