/**
 * Header rewriting between client and origin (RFC 9110 §7.6.1 hop-by-hop fields, RFC 7239-era
 * X-Forwarded-* conventions, RFC 9110 §7.6.3 Via).
 *
 * Works on flat `[name, value, name, value, ...]` arrays (Node's `rawHeaders`, undici's raw response
 * headers) so no intermediate objects are built on the hot path. Which fields never cross, and which a
 * client's `Connection` may remove, is core/http/forwarded-fields.ts.
 */
import { clientConnectionFields, connectionTokens, HOP_BY_HOP, NEVER_FROM_CLIENT } from '../../core/http/forwarded-fields.ts';
import type { ServerResponse } from 'node:http';
import { writeCheckedHead } from '../pages/prepared-head.ts';
import { FIELD_CONNECTION, FIELD_KEEP, FIELD_VIA, INVALID_VALUE, latin1, plainConnectionBytes, rememberedValue, rememberValue, requestFieldKind, responseFieldName } from './field-names.ts';

export const VIA_VALUE = '1.1 bulwark';

export interface ForwardedFacts {
  /** The client address as decided by identify (socket peer or trusted X-Forwarded-For). */
  readonly clientAddress: string;
  /** The X-Forwarded-For chain to send: the incoming one when the peer is a trusted proxy, else ''. */
  readonly trustedForwardedFor: string;
  readonly proto: 'http' | 'https';
  /** The request's normalised authority (core/http/authority.ts): `X-Forwarded-Host`; '' sends none. */
  readonly authority: string;
  readonly requestId: string;
  /** The `Host` the origin gets: the authority (preserve_host) or the origin URL's host. */
  readonly originHost: string;
}

/**
 * Builds the header list sent to the origin: `Host` (Bulwark's, see {@link ForwardedFacts.originHost}),
 * then the client's fields minus hop-by-hop ones and {@link NEVER_FROM_CLIENT}, then `X-Forwarded-For`
 * (chain + client), `X-Forwarded-Proto`, `X-Forwarded-Host`, `X-Request-Id` and `Via` appended.
 *
 * Fields a client names in `Connection` are removed too (RFC 9110 §7.6.1) — except Host, the framing
 * and the fields Bulwark sets, which `Connection` cannot touch; parse removed the same fields from what
 * Bulwark itself reads (forwarded-fields.ts), so the origin gets exactly the fields rules and the cache
 * key were decided on.
 *
 * What each field name gets is remembered per spelling (field-names.ts); a `Connection` that names
 * anything but `keep-alive` or `close` (rare: browsers never do) sends the request down the general path.
 */
export function originRequestHeaders(raw: readonly string[], facts: ForwardedFacts): string[] {
  const out: string[] = ['host', facts.originHost];
  let via = '';
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const kind = requestFieldKind(name);
    if (kind === FIELD_KEEP) out.push(name, raw[i + 1]!);
    else if (kind === FIELD_VIA) via = via === '' ? raw[i + 1]! : `${via}, ${raw[i + 1]!}`;
    else if (kind === FIELD_CONNECTION && !plainConnection(raw[i + 1]!)) return originRequestHeadersNaming(raw, facts);
  }
  return appendForwarded(out, facts, via);
}

/** A `Connection` value that names no field: `keep-alive` or `close` (any case), alone. */
function plainConnection(value: string): boolean {
  if (value === 'keep-alive' || value === 'close') return true;
  if (value.length !== 10 && value.length !== 5) return false;
  const lower = value.toLowerCase();
  return lower === 'keep-alive' || lower === 'close';
}

/** Bulwark's own fields after the client's: forwarding facts, request ID and the extended Via. */
function appendForwarded(out: string[], facts: ForwardedFacts, via: string): string[] {
  out.push(
    'x-forwarded-for',
    facts.trustedForwardedFor === '' ? facts.clientAddress : `${facts.trustedForwardedFor}, ${facts.clientAddress}`,
    'x-forwarded-proto',
    facts.proto,
  );
  if (facts.authority !== '') out.push('x-forwarded-host', facts.authority);
  out.push('x-request-id', facts.requestId, 'via', via === '' ? VIA_VALUE : `${via}, ${VIA_VALUE}`);
  return out;
}

/** {@link originRequestHeaders} for a request whose `Connection` names fields: those are removed too. */
function originRequestHeadersNaming(raw: readonly string[], facts: ForwardedFacts): string[] {
  const named = clientConnectionFields(raw);
  const out: string[] = ['host', facts.originHost];
  let via = '';
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || NEVER_FROM_CLIENT.has(lower) || (named !== null && named.has(lower))) continue;
    if (lower === 'via') {
      via = via === '' ? raw[i + 1]! : `${via}, ${raw[i + 1]!}`;
      continue;
    }
    out.push(name, raw[i + 1]!);
  }
  return appendForwarded(out, facts, via);
}

/** What {@link clientResponseHeaders} noticed in a response head besides the list it built. */
export interface ResponseHeadFacts {
  /**
   * The origin sent `Cache-Control` or `Expires` (true also when unsure): false means the response
   * carries no explicit freshness, so only a micro-cache could store it (core/cache/storable.ts).
   */
  explicitFreshness: boolean;
  /**
   * Every forwarded name is one node:http writes without looking at it (field-names.ts `plain`) and a
   * `Content-Length` is among them: {@link writeClientHead} may write the head as one checked block.
   */
  plainHead: boolean;
  /** A `Date` is among the forwarded fields (node:http then adds none). */
  hasDate: boolean;
  /**
   * The list's first `checkedValues` entries (names and values) hold only values node:http accepts,
   * checked while the list was built: {@link writeClientHead} checks the rest (the fields appended).
   */
  checkedValues: number;
}

/**
 * Converts the origin's raw response headers (undici gives Buffers) into the flat string list written
 * to the client, minus hop-by-hop fields (and the fields the origin's `Connection` names, RFC 9110
 * §7.6.1), with `x-request-id` and `Via` added. Names keep the origin's spelling. A dropped field's value
 * is never turned into a string; a known name never is (field-names.ts). `facts`, when given, is filled
 * in (see {@link ResponseHeadFacts}).
 */
export function clientResponseHeaders(raw: readonly (Buffer | string)[], requestId: string, facts?: ResponseHeadFacts): string[] {
  const out: string[] = [];
  let via = '';
  let freshness = false;
  let plain = true;
  let length = false;
  let date = false;
  let valid = true;
  for (let i = 0; i < raw.length; i += 2) {
    const field = responseFieldName(raw[i]!);
    const kind = field.kind;
    if (kind === FIELD_KEEP) {
      let value = rememberedValue(field, raw[i + 1]!);
      if (value === null) {
        value = latin1(raw[i + 1]!);
        if (INVALID_VALUE.test(value)) valid = false;
        else rememberValue(field, value);
      }
      out.push(field.name, value);
      if (field.freshness) freshness = true;
      if (!field.plain) plain = false;
      if (field.length) length = true;
      if (field.date) date = true;
    } else if (kind === FIELD_VIA) {
      const value = latin1(raw[i + 1]!);
      if (INVALID_VALUE.test(value)) valid = false;
      via = via === '' ? value : `${via}, ${value}`;
    } else if (kind === FIELD_CONNECTION && !plainConnectionBytes(raw[i + 1]!) && !plainConnection(latin1(raw[i + 1]!))) {
      if (facts !== undefined) {
        facts.explicitFreshness = true;
        facts.plainHead = false;
        facts.checkedValues = 0;
      }
      return clientResponseHeadersNaming(raw, requestId);
    }
  }
  if (facts !== undefined) {
    facts.explicitFreshness = freshness;
    facts.plainHead = plain && length;
    facts.hasDate = date;
    facts.checkedValues = valid ? out.length : 0;
  }
  out.push('x-request-id', requestId, 'via', via === '' ? VIA_VALUE : `${via}, ${VIA_VALUE}`);
  return out;
}

/** {@link clientResponseHeaders} for a response whose `Connection` names fields: those are removed too. */
function clientResponseHeadersNaming(raw: readonly (Buffer | string)[], requestId: string): string[] {
  const strings: string[] = new Array(raw.length);
  for (let i = 0; i < raw.length; i++) strings[i] = latin1(raw[i]!);
  const named = connectionTokens(strings);
  const out: string[] = [];
  let via = '';
  for (let i = 0; i < strings.length; i += 2) {
    const name = strings[i]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || lower === 'x-request-id' || (named !== null && named.has(lower))) continue;
    if (lower === 'via') {
      via = via === '' ? strings[i + 1]! : `${via}, ${strings[i + 1]!}`;
      continue;
    }
    out.push(name, strings[i + 1]!);
  }
  out.push('x-request-id', requestId, 'via', via === '' ? VIA_VALUE : `${via}, ${VIA_VALUE}`);
  return out;
}

/**
 * Writes the client's response head from the list {@link clientResponseHeaders} built (plus any fields
 * appended since: the forward handler only appends). When its facts say every name is plain and a Content-Length
 * is there, the head is written as one block after checking each value as node:http does (values
 * checked while the list was built are not checked again; names were checked once each,
 * field-names.ts), without node:http's per-field name check and lower-casing; any doubt (a value node
 * would refuse, a response that is not Bulwark's) goes through `writeHead`, which validates and throws
 * as before. Same bytes on the wire either way. Returns true when the head went out as a block.
 */
export function writeClientHead(res: ServerResponse, status: number, headers: readonly string[], facts: ResponseHeadFacts): boolean {
  if (facts.plainHead) {
    let block = '';
    let valid = true;
    const checked = facts.checkedValues;
    for (let i = 0; i < headers.length; i += 2) {
      const value = headers[i + 1]!;
      if (i >= checked && INVALID_VALUE.test(value)) {
        valid = false;
        break;
      }
      block += headers[i]! + ': ' + value + '\r\n';
    }
    if (valid && writeCheckedHead(res, status, block, facts.hasDate)) return true;
  }
  res.writeHead(status, headers as string[]);
  return false;
}

/**
 * The origin's own fields from a list `clientResponseHeaders` built: without the `x-request-id` and
 * Bulwark's `Via` it appended (the origin's `Via` chain, if any, kept). What the cache stores: an
 * entry must not carry the request ID of the request that filled it, nor Bulwark's Via twice, since
 * every answer from the cache adds its own.
 */
export function originResponseHeaders(flat: readonly string[]): string[] {
  const n = flat.length;
  if (n < 4 || flat[n - 4] !== 'x-request-id' || flat[n - 2] !== 'via') {
    // Not a list clientResponseHeaders built: at least never keep a request ID.
    const kept: string[] = [];
    for (let i = 0; i < n; i += 2) if (flat[i]!.toLowerCase() !== 'x-request-id') kept.push(flat[i]!, flat[i + 1]!);
    return kept;
  }
  const out = flat.slice(0, n - 4);
  const via = flat[n - 1]!;
  const ours = `, ${VIA_VALUE}`;
  if (via !== VIA_VALUE) out.push('via', via.endsWith(ours) ? via.slice(0, -ours.length) : via);
  return out;
}

/** Looks up a header value (first occurrence, case-insensitive) in a flat raw list. */
export function rawHeader(raw: readonly string[], lowerName: string): string | undefined {
  for (let i = 0; i < raw.length; i += 2) {
    const n = raw[i]!;
    if (n.length === lowerName.length && n.toLowerCase() === lowerName) return raw[i + 1];
  }
  return undefined;
}
