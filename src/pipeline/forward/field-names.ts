/**
 * What forwarding does with a field, by its name, remembered per name as it arrives.
 *
 * Every forwarded request and response decides, for each field, whether it crosses the proxy
 * (RFC 9110 §7.6.1 hop-by-hop fields never do; some request fields never come from a client,
 * core/http/forwarded-fields.ts) or needs special handling (`Connection`, `Via`). Deciding that from
 * scratch costs a lower-cased copy of the name and a few set lookups per field, and for a response
 * also a string made of the name's bytes. Clients and origins repeat the same few dozen names in the
 * same spelling, so the decision is remembered per exact name: a request name by its string, a
 * response name by its bytes as undici hands them over (no string is made for a known name; the
 * remembered one, in the origin's spelling, is reused).
 *
 * Both memories are capped ({@link MAX_FORWARD_FIELD_NAMES} each): once full, a name they do not know is
 * decided from scratch every time (the cost without the memory, never more), so a flood of random field
 * names cannot grow them. Their fill is in /stats (`forward_field_names`).
 */
import { HOP_BY_HOP, NEVER_FROM_CLIENT } from '../../core/http/forwarded-fields.ts';
import { MANAGED } from '../pages/prepared-head.ts';

/** Distinct names remembered per direction (exact spelling). Beyond it, names are decided each time. */
export const MAX_FORWARD_FIELD_NAMES = 1024;

/** What forwarding does with a field: one of the `FIELD_*` constants. */
export type FieldKind = 0 | 1 | 2 | 3;
/** Crosses unchanged. */
export const FIELD_KEEP = 0;
/** Never crosses (hop-by-hop; for requests also the fields Bulwark sets; for responses `X-Request-Id`). */
export const FIELD_DROP = 1;
/** `Connection`: hop-by-hop, and the fields it names are too. */
export const FIELD_CONNECTION = 2;
/** `Via`: the chain is extended with Bulwark's own entry. */
export const FIELD_VIA = 3;

/** A response field name as remembered: its spelling, its kind and whether it gives freshness. */
export interface ResponseFieldName {
  /** The name as the origin spelled it (latin1, one character per byte). */
  readonly name: string;
  readonly kind: FieldKind;
  /**
   * `Cache-Control` or `Expires`: the fields that can give a response explicit freshness (RFC 9111
   * §4.2.1). A response with neither is stored only by a micro-cache (core/cache/storable.ts).
   */
  readonly freshness: boolean;
  /**
   * A name node:http would accept (an RFC 9110 §5.6.2 token) and writes without looking at it: not one
   * of the fields it manages (Connection, Keep-Alive, Transfer-Encoding, Trailer, Expect). A head whose
   * every forwarded name is plain can be written as one checked block (prepared-head.ts).
   */
  readonly plain: boolean;
  /** `Content-Length`. */
  readonly length: boolean;
  /** `Date`. */
  readonly date: boolean;
  /**
   * The last value seen under this name that node:http accepts (at most {@link MAX_REMEMBERED_VALUE}
   * characters), reused by {@link responseFieldValue} when the same bytes come again: an origin sends
   * the same `Content-Type`, the same `Date` within a second, the same `Cache-Control`, over and over.
   */
  lastValue: string | null;
}

/** Longest value remembered per response field name (a name's memory stays small whatever it holds). */
export const MAX_REMEMBERED_VALUE = 128;

/** node:http's test of a field value (RFC 9110 §5.5: no control character but HTAB). */
export const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

/** node:http's test of a field name (a token, RFC 9110 §5.6.2). */
const TOKEN = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/;

/** The kind of a client request field by its lower-case name (what the origin gets of it). */
function requestKindOfLower(lower: string): FieldKind {
  if (lower === 'connection') return FIELD_CONNECTION;
  if (HOP_BY_HOP.has(lower) || NEVER_FROM_CLIENT.has(lower)) return FIELD_DROP;
  return lower === 'via' ? FIELD_VIA : FIELD_KEEP;
}

/** The kind of an origin response field by its lower-case name (what the client gets of it). */
function responseKindOfLower(lower: string): FieldKind {
  if (lower === 'connection') return FIELD_CONNECTION;
  if (HOP_BY_HOP.has(lower) || lower === 'x-request-id') return FIELD_DROP;
  return lower === 'via' ? FIELD_VIA : FIELD_KEEP;
}

const requestKinds = new Map<string, FieldKind>();

/** The kind of a client request field (any spelling), remembered while there is room. */
export function requestFieldKind(name: string): FieldKind {
  const known = requestKinds.get(name);
  if (known !== undefined) return known;
  const kind = requestKindOfLower(name.toLowerCase());
  if (requestKinds.size < MAX_FORWARD_FIELD_NAMES) requestKinds.set(name, kind);
  return kind;
}

/** Response names by a hash of their bytes; a name whose hash another name holds is decided each time. */
const responseNames = new Map<number, ResponseFieldName>();

type Latin1 = Buffer & { latin1Slice?(start: number, end: number): string };
const FAST_LATIN1 = typeof (Buffer.prototype as Latin1).latin1Slice === 'function';

/**
 * A field's bytes as a string, one character per byte (latin1: what HTTP/1.1 field bytes are, and how
 * node:http writes them back). Node's own `latin1Slice` when present (what `toString('latin1')` ends
 * in, without its argument handling), else `toString`.
 */
export function latin1(value: Buffer | string): string {
  if (typeof value === 'string') return value;
  return FAST_LATIN1 ? (value as Latin1).latin1Slice!(0, value.length) : value.toString('latin1');
}

function decideResponseName(name: string): ResponseFieldName {
  const lower = name.toLowerCase();
  return {
    name,
    kind: responseKindOfLower(lower),
    freshness: lower === 'cache-control' || lower === 'expires',
    plain: TOKEN.test(name) && !MANAGED.has(lower),
    length: lower === 'content-length',
    date: lower === 'date',
    lastValue: null,
  };
}

/** True when `name` (latin1) is exactly the bytes of `bytes`. */
function sameBytes(name: string, bytes: Buffer): boolean {
  const n = bytes.length;
  if (name.length !== n) return false;
  for (let i = 0; i < n; i++) if (name.charCodeAt(i) !== bytes[i]) return false;
  return true;
}

/** An origin response field name (undici's raw Buffer, or a string), remembered while there is room. */
export function responseFieldName(raw: Buffer | string): ResponseFieldName {
  if (typeof raw === 'string') return decideResponseName(raw);
  const n = raw.length;
  let h = n;
  for (let i = 0; i < n; i++) h = (Math.imul(h, 31) + raw[i]!) | 0;
  const known = responseNames.get(h);
  if (known !== undefined && sameBytes(known.name, raw)) return known;
  const decided = decideResponseName(latin1(raw));
  if (known === undefined && responseNames.size < MAX_FORWARD_FIELD_NAMES) responseNames.set(h, decided);
  return decided;
}

/**
 * The value remembered for `field` when `raw` holds the same bytes (see
 * {@link ResponseFieldName.lastValue}; one node:http accepts), else null: make the string, check it, and
 * {@link rememberValue} it.
 */
export function rememberedValue(field: ResponseFieldName, raw: Buffer | string): string | null {
  const last = field.lastValue;
  if (last === null) return null;
  return (typeof raw === 'string' ? raw === last : sameBytes(last, raw)) ? last : null;
}

/** Remembers `value` for `field`: only a value node:http accepts (checked with {@link INVALID_VALUE}), if short. */
export function rememberValue(field: ResponseFieldName, value: string): void {
  if (value.length <= MAX_REMEMBERED_VALUE) field.lastValue = value;
}

/** A `Connection` value of exactly `keep-alive` or `close` (the usual spelling): names no field. */
export function plainConnectionBytes(raw: Buffer | string): boolean {
  if (typeof raw === 'string') return raw === 'keep-alive' || raw === 'close';
  return (raw.length === 10 && sameBytes('keep-alive', raw)) || (raw.length === 5 && sameBytes('close', raw));
}

/** The memories' fill (for /stats): names remembered per direction, against their cap. */
export function forwardFieldNames(): { readonly request: number; readonly response: number; readonly cap: number } {
  return { request: requestKinds.size, response: responseNames.size, cap: MAX_FORWARD_FIELD_NAMES };
}
