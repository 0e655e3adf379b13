/**
 * Response heads prepared ahead of time, for the answers Bulwark sends most under attack (429 pages,
 * cache hits).
 *
 * node:http validates and serialises every header field of every response (two regular expressions
 * and a few string operations per field): up to ~0.4 µs per field in one A/B on this (noisy) machine,
 * comparable to Bulwark's own decision work for a request that repeats. A 429 carries seven fields and a cache hit
 * eight or more, yet they are the same for every answer but for a value or two. So the constant
 * fields are validated once, when prepared (`prepareFields`), and written as one block; the
 * per-request values (request ID, `Age`, `Retry-After`...) are appended as they are, because their
 * grammar makes them safe by construction (the callers only pass digits, request IDs and limit names).
 *
 * The block goes through `BulwarkResponse`, node:http's ServerResponse with its head serialisation
 * (`_storeHeader`) taught one more input type; everything else (Date, keep-alive, Connection,
 * framing, pipelining) stays node's. That hook is internal API, so at load a self-check compares the
 * head it produces with node's own for the same fields, keep-alive or not; if they ever differ (another
 * Node version), `PREPARED_HEADS` is false and every prepared write falls back to a plain `writeHead`
 * with the same fields, validated by node as before. Heads are identical either way. A request answered
 * at its parsed head has a stand-in response instead (edge/wire/head-exchange.ts, marked with
 * `kTakesPreparedHeads`): it takes the same block and writes the head itself, node:http's way.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';

/** Constant header fields, validated once: the block to write and the pairs for the fallback. */
export interface PreparedFields {
  readonly block: string;
  readonly pairs: readonly string[];
  /** The fields include content-length (else every write must pass it first in `extra`). */
  readonly hasLength: boolean;
  /** The fields include a Date (a cached response's own): node:http's is then not added. */
  readonly hasDate: boolean;
}

/** Fields node:http manages itself around a prepared block: a prepared set must not contain them. */
export const MANAGED = new Set(['connection', 'transfer-encoding', 'expect', 'trailer', 'keep-alive']);

/** Header fields as node:http writes them (`name: value` lines), and what the head needs to know of them. */
export interface FieldLines {
  readonly block: string;
  readonly hasLength: boolean;
  readonly hasDate: boolean;
}

/**
 * A flat field list (`[name, value, name, value...]`) as node:http writes it, each field validated as
 * node:http validates it (a name that is no token, a value with a control character: node's own error
 * is thrown). Null when node:http must write the list itself: a field it manages (Connection,
 * Keep-Alive, Transfer-Encoding, Expect, Trailer), a name or value that is not a string, an odd length.
 */
export function fieldLines(pairs: readonly unknown[]): FieldLines | null {
  if (pairs.length % 2 !== 0) return null;
  let block = '';
  let length = false;
  let date = false;
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i];
    const value = pairs[i + 1];
    if (typeof name !== 'string' || typeof value !== 'string') return null;
    http.validateHeaderName(name);
    http.validateHeaderValue(name, value);
    const lower = name.toLowerCase();
    if (MANAGED.has(lower)) return null;
    if (lower === 'content-length') length = true;
    else if (lower === 'date') date = true;
    block += name + ': ' + value + '\r\n';
  }
  return { block, hasLength: length, hasDate: date };
}

/**
 * Validates constant fields (`[name, value, name, value...]`) once. They must not include the fields
 * node:http manages (Connection, Keep-Alive, Transfer-Encoding, Expect, Trailer). Throws like node:http
 * does on an invalid name or value.
 */
export function prepareFields(pairs: readonly string[]): PreparedFields {
  const lines = fieldLines(pairs);
  if (lines === null) throw new Error(`prepared heads cannot carry ${pairs.find((name, i) => i % 2 === 0 && MANAGED.has(name.toLowerCase())) ?? 'an odd field list'}`);
  return { block: lines.block, pairs: [...pairs], hasLength: lines.hasLength, hasDate: lines.hasDate };
}

/**
 * A head's fields as one block, recognised by BulwarkResponse. Only ever passed to writeHead when no
 * field was set with setHeader (writePreparedHead checks), so node:http hands it to _storeHeader as is.
 */
class PreparedHead {
  constructor(
    readonly block: string,
    readonly hasDate: boolean,
  ) {}
}

/**
 * Marks responses that are not node:http's but take a PreparedHead in writeHead as BulwarkResponse
 * does: the stand-ins of requests answered at their parsed head (edge/wire/head-exchange.ts), which
 * write the head themselves.
 */
export const kTakesPreparedHeads = Symbol('bulwark.takesPreparedHeads');

/** What a PreparedHead given to writeHead carries (its block and whether it has a Date); null for anything else. */
export function preparedHeadParts(fields: unknown): { readonly block: string; readonly hasDate: boolean } | null {
  return fields instanceof PreparedHead ? fields : null;
}

/** Whether `res` takes a PreparedHead in writeHead (see the module comment) with no field set with setHeader. */
function takesPrepared(res: ServerResponse): boolean {
  if (res instanceof BulwarkResponse) return (res as unknown as Record<symbol, unknown>)[kOutHeaders!] == null;
  return (res as unknown as Record<symbol, unknown>)[kTakesPreparedHeads] === true;
}

let dateSecond = -1;
let dateLine = '';
/** The whole `Date` field line, formatted once a second (node:http caches the value likewise). */
export function utcDateLine(): string {
  const s = Math.floor(Date.now() / 1000);
  if (s !== dateSecond) {
    dateSecond = s;
    dateLine = 'Date: ' + new Date(s * 1000).toUTCString() + '\r\n';
  }
  return dateLine;
}

let tailTimeout = NaN;
let tailMax = NaN;
let tailAnnounce = false;
let keepAliveLines = '';
/** `Connection: keep-alive` and its `Keep-Alive` line, built once per server setting (they never change). */
export function keepAliveTail(timeoutMs: number, maxRequests: number, announce: boolean): string {
  if (timeoutMs !== tailTimeout || maxRequests !== tailMax || announce !== tailAnnounce) {
    tailTimeout = timeoutMs;
    tailMax = maxRequests;
    tailAnnounce = announce;
    const max = ~~maxRequests > 0 ? `, max=${maxRequests}` : '';
    keepAliveLines = 'Connection: keep-alive\r\n' + (announce ? `Keep-Alive: timeout=${Math.floor(timeoutMs / 1000)}${max}\r\n` : '');
  }
  return keepAliveLines;
}

/** The internal OutgoingMessage fields the head serialisation reads (node 20–22). */
interface OutgoingInternals {
  sendDate: boolean;
  shouldKeepAlive: boolean;
  _keepAliveTimeout: number;
  _defaultKeepAlive: boolean;
  _maxRequestsPerSocket: number;
  maxRequestsOnConnectionReached: boolean;
  _last: boolean;
  _header: string | null;
  _headerSent: boolean;
  _storeHeader(firstLine: string, headers: unknown): void;
}

/**
 * Bulwark's ServerResponse: accepts a PreparedHead in writeHead (see the module comment); nothing else
 * differs from node:http's. (Overriding `emit` as well, to record on 'close' without a listener, was
 * tried: in an A/B on this noisy machine it was slower per response than the listener it saves.)
 */
export class BulwarkResponse extends http.ServerResponse {
  _storeHeader(firstLine: string, headers: unknown): void {
    const self = this as unknown as OutgoingInternals;
    if (!(headers instanceof PreparedHead)) {
      (http.ServerResponse.prototype as unknown as OutgoingInternals)._storeHeader.call(this, firstLine, headers);
      return;
    }
    // node:http's _storeHeader for a head with Content-Length and no Connection field.
    let header = firstLine + headers.block;
    if (self.sendDate && !headers.hasDate) header += utcDateLine();
    if (self.shouldKeepAlive && self.maxRequestsOnConnectionReached) header += 'Connection: close\r\n';
    else if (self.shouldKeepAlive) {
      header += keepAliveTail(self._keepAliveTimeout, self._maxRequestsPerSocket, !!self._keepAliveTimeout && self._defaultKeepAlive);
    } else {
      self._last = true;
      header += 'Connection: close\r\n';
    }
    self._header = header + '\r\n';
    self._headerSent = false;
  }
}

/**
 * Writes a head: the prepared constant fields plus per-request `extra` pairs whose values are safe by
 * construction (digits, request IDs, limit names — never client input). Prepared heads are for
 * complete bodies: `content-length` is in `fields` or first in `extra`. Falls back to a validated
 * `writeHead` when the response is not a BulwarkResponse, the self-check failed, or a field was set
 * with setHeader before.
 */
export function writePreparedHead(res: ServerResponse, status: number, fields: PreparedFields, extra: readonly string[]): void {
  // A field set earlier with setHeader would make node:http take its merging path: plain writeHead then.
  if (!fields.hasLength && extra[0] !== 'content-length') throw new Error('a prepared head needs content-length');
  if (PREPARED_HEADS && takesPrepared(res)) {
    let block = fields.block;
    let safe = true;
    for (let i = 0; i < extra.length; i += 2) {
      const value = extra[i + 1]!;
      // Defence in depth: a line break would split the head (callers promise none; node:http then refuses it).
      if (value.indexOf('\n') !== -1 || value.indexOf('\r') !== -1) safe = false;
      block += extra[i] + ': ' + value + '\r\n';
    }
    if (safe) {
      res.writeHead(status, new PreparedHead(block, fields.hasDate) as unknown as string[]);
      return;
    }
  }
  res.writeHead(status, fields.pairs.concat(extra));
}

/**
 * Writes a head whose fields the caller has checked as node:http would (`name: value\r\n` lines; names
 * are tokens, values carry no control character but HTAB), among them a `Content-Length`, and none of
 * the fields node:http manages (Connection, Keep-Alive, Transfer-Encoding, Expect, Trailer). For
 * per-request heads checked in fewer steps than node's (a forwarded origin head, whose names are checked
 * once per name). Returns false, writing nothing, when a prepared head cannot be used here (not a
 * BulwarkResponse, the self-check failed, or a field was set with setHeader): then use `writeHead`.
 */
export function writeCheckedHead(res: ServerResponse, status: number, block: string, hasDate: boolean): boolean {
  if (!PREPARED_HEADS || !takesPrepared(res)) return false;
  res.writeHead(status, new PreparedHead(block, hasDate) as unknown as string[]);
  return true;
}

/**
 * Writes a cached response's head: its prepared fields (which carry content-length) plus the two
 * values a cache answer adds per request, `Age` and `X-Request-Id`. Unlike writePreparedHead's `extra`,
 * these two are not scanned for line breaks, because neither can hold one: `ageS` is the decimal digits
 * of an integer, and a request ID is either Bulwark's own (request-id.ts: letters, digits, `-`) or an
 * incoming one that passed `isAcceptableRequestId` (`[A-Za-z0-9._:-]`, checked before the request
 * started). The scan cost a cache hit more than the rest of its head (it made V8 flatten the ID). Falls
 * back to a validated `writeHead` as writePreparedHead does.
 */
export function writeCachedHead(res: ServerResponse, status: number, fields: PreparedFields, ageS: string, requestId: string): void {
  if (PREPARED_HEADS && fields.hasLength && takesPrepared(res)) {
    res.writeHead(status, new PreparedHead(fields.block + 'age: ' + ageS + '\r\nx-request-id: ' + requestId + '\r\n', fields.hasDate) as unknown as string[]);
    return;
  }
  res.writeHead(status, fields.pairs.concat('age', ageS, 'x-request-id', requestId));
}

/** node:http's symbol for fields set with setHeader (found by looking, not by name lookup in internals). */
const kOutHeaders: symbol | undefined = (() => {
  const probe = new http.ServerResponse({ method: 'GET', httpVersionMajor: 1, httpVersionMinor: 1, headers: {} } as unknown as IncomingMessage);
  const before = new Set(Object.getOwnPropertySymbols(probe).filter((s) => (probe as unknown as Record<symbol, unknown>)[s] != null));
  probe.setHeader('x-probe', '1');
  return Object.getOwnPropertySymbols(probe).find((s) => !before.has(s) && (probe as unknown as Record<symbol, unknown>)[s] != null);
})();

/** The self-check: our head equals node's for the same fields (keep-alive and close; Date aligned). */
function selfCheck(): boolean {
  if (kOutHeaders === undefined) return false;
  try {
    const fields = prepareFields(['content-type', 'text/plain', 'content-length', '5', 'cache-control', 'no-store']);
    for (const keepAlive of [true, false]) {
      const req = { method: 'GET', httpVersionMajor: 1, httpVersionMinor: 1, headers: {} } as unknown as IncomingMessage;
      const ours = new BulwarkResponse(req);
      const node = new http.ServerResponse(req);
      for (const r of [ours, node] as unknown as OutgoingInternals[]) {
        r.shouldKeepAlive = keepAlive;
        r._keepAliveTimeout = 5000;
      }
      ours.writeHead(429, new PreparedHead(fields.block + 'x-request-id: abc\r\n', false) as unknown as string[]);
      node.writeHead(429, [...fields.pairs, 'x-request-id', 'abc']);
      const a = ours as unknown as OutgoingInternals;
      const b = node as unknown as OutgoingInternals;
      const noDate = (h: string | null) => (typeof h === 'string' ? h.replace(/\r\nDate: [^\r]*/, '') : null);
      if (noDate(a._header) === null || noDate(a._header) !== noDate(b._header) || a._headerSent !== b._headerSent || a._last !== b._last) return false;
      if (!ours.headersSent || ours.getHeader('content-type') !== undefined) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/** Whether prepared heads are written as such on this Node version (else: plain writeHead). */
export const PREPARED_HEADS: boolean = selfCheck();
