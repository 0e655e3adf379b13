/**
 * The one object every phase of a request shares (pass a context, not ten parameters).
 *
 * Fields are all initialised in the constructor so every context has the same shape (V8 keeps the
 * hot path monomorphic). Phases fill them in order: parse sets `site`, identify sets the client fields,
 * decide sets `decision`, enforce/shield/forward set `outcome` and `status`; record reads them all.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ClientClass, Decision, Outcome, Priority, ThreatLevel } from '../core/vocabulary.ts';
import { PRIORITY_UNKNOWN } from '../core/vocabulary.ts';
import type { ForwardHooks } from './forward/forward-to-origin.ts';
import type { LimitsVerdict } from '../core/ratelimit/index.ts';
import type { ParsedIp } from '../core/net/ip.ts';
import type { ClearanceClaims } from '../core/challenge/index.ts';
import type { CacheEntry } from '../core/cache/entry.ts';
import type { Upstream } from '../runtime/origin-pools.ts';
import type { Runtime, SiteRuntime } from '../runtime/runtime.ts';
import { connectionMemo } from './connection-memo.ts';

/**
 * Bytes a connection read and wrote since the last call for it (the previous record on the same
 * keep-alive connection), and moves the marks forward. One request at a time, that is exactly the
 * request's own bytes, head included. Pipelined requests arrive in one read, which the socket's counters
 * cannot split: the first one recorded gets the bytes read so far and the others what came after, so
 * the records of a connection always add up to its traffic, and no byte is counted twice.
 */
export function takeSocketBytes(socket: Socket | null): { bytesIn: number; bytesOut: number } {
  if (socket === null) return { bytesIn: 0, bytesOut: 0 };
  const read = socket.bytesRead;
  const written = socket.bytesWritten ?? 0;
  const memo = connectionMemo(socket);
  const bytesIn = Math.max(0, read - memo.bytesRead);
  const bytesOut = Math.max(0, written - memo.bytesWritten);
  memo.bytesRead = read;
  memo.bytesWritten = written;
  return { bytesIn, bytesOut };
}

/**
 * What an HTTP/2 request (edge/http2) carries under this symbol: its stream's own byte counts. A
 * connection's counters cannot be split between the streams it multiplexes, so such a request is
 * accounted from its stream instead of its socket.
 */
export const kStreamBytes = Symbol('bulwark.streamBytes');

/** A request's own byte counts (an HTTP/2 stream's): bytes the client sent for it, bytes answered. */
export interface StreamBytes {
  take(): { bytesIn: number; bytesOut: number };
}

/** Whether the request arrived over HTTP/2 (it carries its stream's byte counts; an HTTP/1.x request never does). */
export function isHttp2Request(req: IncomingMessage): boolean {
  return (req as IncomingMessage & { [kStreamBytes]?: StreamBytes })[kStreamBytes] !== undefined;
}

/**
 * The bytes of a request's record: its stream's own counts (HTTP/2), else what its connection read and
 * wrote since the connection's previous record (takeSocketBytes).
 */
export function takeRequestBytes(req: IncomingMessage): { bytesIn: number; bytesOut: number } {
  const own = (req as IncomingMessage & { [kStreamBytes]?: StreamBytes })[kStreamBytes];
  return own === undefined ? takeSocketBytes(req.socket) : own.take();
}

/** Whether the request declares a body (chunked, or a non-zero Content-Length). */
export function hasRequestBody(req: IncomingMessage): boolean {
  const h = req.headers;
  return h['transfer-encoding'] !== undefined || (h['content-length'] !== undefined && h['content-length'] !== '0');
}

export const DEFAULT_ALLOW: Decision = Object.freeze({ action: 'allow', by: 'default/allow' });

export class RequestContext {
  /** Request ID sent to the origin and back to the client, shown on every Bulwark page. */
  readonly id: string;
  /**
   * The request and response. A request answered at its parsed head (edge/wire/head-run.ts) starts
   * with stand-ins shaped like node:http's; when a phase needs node:http's own, the edge hands the
   * request over and `handOver` swaps them in before the pipeline resumes.
   */
  req: IncomingMessage;
  res: ServerResponse;
  /** The config generation this request started under; a reload does not change it mid-request. */
  readonly runtime: Runtime;
  /** Wall-clock start (ms since epoch) and monotonic start (ms, performance.now()). */
  readonly startMs: number;
  readonly startMono: number;
  readonly secure: boolean;

  /** Routed site (parse phase); null until routed or when no site matches. */
  site: SiteRuntime | null = null;
  /** Host without port or trailing dot, lower-case: what routing matched (core/http/authority.ts). */
  host = '';
  /**
   * The normalised authority (host, and the port unless it is the scheme's default): the one value the
   * origin gets as Host / X-Forwarded-Host and the cache key holds. '' when the request named no host.
   */
  authority = '';
  /** Path with query, normalised by parse (core/http/request-target.ts); as received until then. */
  path: string;
  /** Path with query sent to the origin (the shield may normalise it to match its cache key). */
  originPath: string;

  /** Client address (socket peer, or from a trusted X-Forwarded-For), normalised. */
  clientAddress = '';
  /** The client address parsed (identify), shared by the prefix, geo and decide; null when not an IP. */
  ip: ParsedIp | null = null;
  /** X-Forwarded-For chain received from a trusted proxy, '' otherwise. */
  forwardedFor = '';
  /** Aggregation prefix of the client (e.g. `203.0.113.0/24`, `2001:db8:1:2::/64`), '' until identified. */
  prefix = '';
  /** Autonomous system and country of the client address (null when unknown or not yet loaded). */
  asn: number | null = null;
  country: string | null = null;
  /** `public`, `loopback`, `private`, ... (geo labels non-public ranges instead of locating them). */
  addressLabel = 'public';
  /** Header fingerprint: order and presence of header names, '' until computed. */
  fingerprint = '';
  /** What the user agent looks like (browser, crawler, library, unknown). */
  uaClass: ClientClass = 'unknown';
  /**
   * The client is a cleared visitor: its proof-of-work clearance satisfies the site's own challenge at
   * this level (queue priority, the 404 budget's exemption, the detector's signature rules' exemption).
   */
  cleared = false;
  /**
   * Clearance cookie status (core/challenge/gate.ts `ClearanceStatus`): none; valid (cleared); limited (a
   * no-JS clearance passing this level's challenge, without privileges); insufficient (weaker than this
   * level's challenge); invalid.
   */
  clearance: 'none' | 'valid' | 'limited' | 'insufficient' | 'invalid' = 'none';
  /** The verified clearance (what it proves: decide and enforce ask whether it satisfies a challenge), else null. */
  clearanceClaims: ClearanceClaims | null = null;
  /** A search-engine crawler verified by reverse and forward DNS. */
  verifiedCrawler = false;
  /** The site's threat level when the request arrived. */
  level: ThreatLevel = 'normal';
  /** Challenge step of this request, for the detector and solve-rate stats. */
  challengeEvent: 'issued' | 'solved' | 'failed' | null = null;
  /** Queue priority toward the origin. */
  priority: Priority = PRIORITY_UNKNOWN;

  decision: Decision = DEFAULT_ALLOW;
  /** The rate limits' verdict (for RateLimit headers), null when no limit applied. */
  limits: LimitsVerdict | null = null;
  /** How the request ended; set by whichever phase answers. Null = still running (record treats as error). */
  outcome: Outcome | null = null;
  /** Cache status header value, null when the cache was not involved. */
  cacheStatus: string | null = null;
  /** A fresh cache hit answered at once: the entry, its key and the request's cache class (edge/wire/hit.ts). */
  hitEntry: CacheEntry | null = null;
  hitKey = '';
  hitAnonymous = false;
  /** Monotonic ms when the request was sent to the origin and when its head came back, -1 if not. */
  originSentMono = -1;
  originLatencyMs = -1;
  /** Stable error code when something failed (`BULWARK_ERR_...`, undici `UND_ERR_...`). */
  errorCode: string | null = null;
  /** Cancels the work toward the origin when the client goes away. */
  abortOrigin: ((reason?: Error) => void) | null = null;
  /** Status to record when no ServerResponse carried it (101 for an upgraded tunnel), else 0. */
  statusOverride = 0;
  /** This is an `Upgrade` request (WebSocket): no cache, forwarded as a tunnel. */
  upgrade = false;
  /** Set by record so it runs exactly once. */
  recorded = false;
  /** Where and how `forward` sends the request: chosen by the shield; null = the site's next upstream. */
  upstream: Upstream | null = null;
  forwardHooks: ForwardHooks | null = null;
  /** The request body as the shield received it (whole, or a prefix then the stream), else null: it streams. */
  requestBody: Buffer | AsyncIterable<Buffer> | null = null;
  /** A WebSocket upgrade's first bytes after the head (node:http hands them over with 'upgrade'). */
  upgradeHead: Buffer | null = null;

  constructor(id: string, req: IncomingMessage, res: ServerResponse, runtime: Runtime, secure: boolean, startMs: number, startMono: number) {
    this.id = id;
    this.req = req;
    this.res = res;
    this.runtime = runtime;
    this.secure = secure;
    this.startMs = startMs;
    this.startMono = startMono;
    this.path = req.url ?? '/';
    this.originPath = this.path;
  }

  /**
   * Continues the request on node:http's request and response objects (made for the same head) after
   * it started on the head's stand-ins: the header object the phases so far read (and parse trimmed) is
   * carried over, so what later phases see is what earlier ones did.
   */
  handOver(req: IncomingMessage, res: ServerResponse): void {
    req.headers = this.req.headers;
    this.req = req;
    this.res = res;
  }

  /** Marks the request as answered with `outcome`. The first outcome set wins. */
  end(outcome: Outcome): void {
    if (this.outcome === null) this.outcome = outcome;
  }
}
