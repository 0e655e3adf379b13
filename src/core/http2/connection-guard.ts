/**
 * The flood limits of one HTTP/2 connection, judged frame by frame from both directions (the frames
 * come from frame-scanner.ts). Each limit answers one attack class of HTTP/2:
 *
 * | limit                        | attack                                              | GOAWAY code        |
 * |------------------------------|-----------------------------------------------------|--------------------|
 * | client resets /s and /conn   | Rapid Reset, CVE-2023-44487                         | ENHANCE_YOUR_CALM  |
 * | provoked resets /s and /conn | MadeYouReset, CVE-2025-8671                         | ENHANCE_YOUR_CALM  |
 * | concurrent streams           | streams beyond an acknowledged SETTINGS limit       | PROTOCOL_ERROR     |
 * | refused streams /s           | streams beyond the limit before it was acknowledged | ENHANCE_YOUR_CALM  |
 * | CONTINUATION per block       | CONTINUATION flood, CVE-2024-27316                  | ENHANCE_YOUR_CALM  |
 * | header block bytes           | the same, with few large frames                     | ENHANCE_YOUR_CALM  |
 * | SETTINGS /s                  | settings flood, CVE-2019-9515                       | ENHANCE_YOUR_CALM  |
 * | PING /s                      | ping flood, CVE-2019-9512                           | ENHANCE_YOUR_CALM  |
 * | PRIORITY (and unknown) /s    | resource loop, CVE-2019-9513                        | ENHANCE_YOUR_CALM  |
 * | WINDOW_UPDATE /s (+1 a KiB)  | control frame flood                                 | ENHANCE_YOUR_CALM  |
 * | empty frames /s              | empty frames flood, CVE-2019-9518                   | ENHANCE_YOUR_CALM  |
 *
 * ENHANCE_YOUR_CALM is RFC 9113 §7's code for "the peer is generating excessive load"; a client that
 * opens more streams than it acknowledged breaks §5.1.2 (PROTOCOL_ERROR). The per-second limits are
 * token buckets; "provoked" resets are RST_STREAM frames the server sent with an error code Bulwark did
 * not choose itself (its own resets are marked with {@link ConnectionGuard.markOwnReset}).
 *
 * Streams are tracked from the frames of both directions (open until each side ended it or one side
 * reset it: RFC 9113 §5.1), so the count matches what the HTTP/2 library counts against
 * SETTINGS_MAX_CONCURRENT_STREAMS. The table of open streams is bounded by that limit: a stream
 * beyond it is refused, never stored.
 *
 * Pure: time is `nowMs`.
 */
import { FLAG, FRAME, H2_ERROR } from './frame-scanner.ts';

/** A token bucket's shape: `burst` at once, `rate` per second sustained. */
export interface BudgetSpec {
  readonly rate: number;
  readonly burst: number;
}

/** A budget with a cap over the connection's life as well. */
export interface LifetimeBudgetSpec extends BudgetSpec {
  readonly perConnection: number;
}

/** The limits of a connection (from the `http2:` config block). */
export interface ConnectionLimits {
  readonly maxConcurrentStreams: number;
  readonly maxContinuations: number;
  /** Compressed bytes of one header block (HEADERS + CONTINUATION payloads). */
  readonly maxHeaderBlockBytes: number;
  readonly clientResets: LifetimeBudgetSpec;
  readonly provokedResets: LifetimeBudgetSpec;
  readonly refusedStreams: BudgetSpec;
  readonly settings: BudgetSpec;
  readonly ping: BudgetSpec;
  readonly priority: BudgetSpec;
  readonly windowUpdate: BudgetSpec;
  readonly emptyFrames: BudgetSpec;
}

/** Why a connection must end: `reason` names the limit (records say `h2/<reason>`), `code` goes in the GOAWAY. */
export interface Violation {
  readonly reason: string;
  readonly code: number;
  readonly detail: string;
}

/** A token bucket, refilled continuously from `nowMs`. */
class Budget {
  private tokens: number;
  private last = -1;
  private readonly perMs: number;
  private readonly burst: number;
  constructor(spec: BudgetSpec) {
    this.tokens = spec.burst;
    this.burst = spec.burst;
    this.perMs = spec.rate / 1000;
  }
  /** Takes one token; false when there is none. */
  take(nowMs: number): boolean {
    if (this.last >= 0 && nowMs > this.last) this.tokens = Math.min(this.burst, this.tokens + (nowMs - this.last) * this.perMs);
    if (this.last < nowMs) this.last = nowMs;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
  /** Adds `n` tokens (up to the burst). */
  credit(n: number): void {
    this.tokens = Math.min(this.burst, this.tokens + n);
  }
}

const REMOTE_ENDED = 1;
const LOCAL_ENDED = 2;

/** What a connection's frames added up to, for its record and the stats. */
export interface GuardCounts {
  readonly streamsOpened: number;
  readonly clientResets: number;
  readonly provokedResets: number;
  readonly refusedStreams: number;
  readonly frames: number;
}

/** The guard of one connection; see the module comment. */
export class ConnectionGuard {
  private readonly limits: ConnectionLimits;
  private readonly streams = new Map<number, number>();
  private readonly ownResets = new Set<number>();
  private readonly clientResetBudget: Budget;
  private readonly provokedBudget: Budget;
  private readonly refusedBudget: Budget;
  private readonly settingsBudget: Budget;
  private readonly pingBudget: Budget;
  private readonly priorityBudget: Budget;
  private readonly windowBudget: Budget;
  private readonly emptyBudget: Budget;
  private settingsAcked = false;
  private lastStreamId = 0;
  /** The stream whose header block is open (HEADERS without END_HEADERS), 0 when none. */
  private blockStream = 0;
  private blockContinuations = 0;
  private blockBytes = 0;
  /** When the open header block started (ms), -1 when none. */
  blockSinceMs = -1;
  streamsOpened = 0;
  clientResets = 0;
  provokedResets = 0;
  refusedStreams = 0;
  frames = 0;

  constructor(limits: ConnectionLimits) {
    this.limits = limits;
    this.clientResetBudget = new Budget(limits.clientResets);
    this.provokedBudget = new Budget(limits.provokedResets);
    this.refusedBudget = new Budget(limits.refusedStreams);
    this.settingsBudget = new Budget(limits.settings);
    this.pingBudget = new Budget(limits.ping);
    this.priorityBudget = new Budget(limits.priority);
    this.windowBudget = new Budget(limits.windowUpdate);
    this.emptyBudget = new Budget(limits.emptyFrames);
  }

  /** Streams open now (by the frames seen so far). */
  get openStreams(): number {
    return this.streams.size;
  }

  /** Marks a reset Bulwark itself sends on `streamId` (not provoked by the client). */
  markOwnReset(streamId: number): void {
    if (this.streams.has(streamId)) this.ownResets.add(streamId);
  }

  /** A frame from the client; a violation when it breaks a limit (it must not reach the library). */
  inbound(type: number, flags: number, streamId: number, length: number, padding: number, nowMs: number): Violation | null {
    this.frames++;
    switch (type) {
      case FRAME.DATA:
        if ((flags & FLAG.END_STREAM) !== 0) this.ended(streamId, REMOTE_ENDED);
        else if (length - ((flags & FLAG.PADDED) !== 0 ? padding + 1 : 0) <= 0) return this.spend(this.emptyBudget, nowMs, 'empty_frames', 'empty DATA frames');
        return null;
      case FRAME.HEADERS:
        return this.headers(flags, streamId, length, padding, nowMs);
      case FRAME.CONTINUATION:
        return this.continuation(flags, length, nowMs);
      case FRAME.PRIORITY:
        return this.spend(this.priorityBudget, nowMs, 'priority_flood', 'PRIORITY frames');
      case FRAME.RST_STREAM:
        return this.clientReset(streamId, nowMs);
      case FRAME.SETTINGS:
        if ((flags & FLAG.ACK) !== 0) this.settingsAcked = true;
        return this.spend(this.settingsBudget, nowMs, 'settings_flood', 'SETTINGS frames');
      case FRAME.PING:
        return this.spend(this.pingBudget, nowMs, 'ping_flood', 'PING frames');
      case FRAME.WINDOW_UPDATE:
        return this.spend(this.windowBudget, nowMs, 'window_update_flood', 'WINDOW_UPDATE frames');
      case FRAME.GOAWAY:
      case FRAME.PUSH_PROMISE: // a protocol error the library answers itself
        return null;
      default:
        // Extension frames (RFC 9113 §5.5) are ignored, but not for free.
        return this.spend(this.priorityBudget, nowMs, 'priority_flood', 'frames of unknown types');
    }
  }

  /** A frame Bulwark's HTTP/2 library sent; a violation when it shows a limit broken (provoked resets). */
  outbound(type: number, flags: number, streamId: number, length: number, code: number, nowMs: number): Violation | null {
    switch (type) {
      case FRAME.DATA:
        // Data sent earns the client the WINDOW_UPDATEs that acknowledge it (one a KiB).
        if (length > 0) this.windowBudget.credit(length / 1024);
        if ((flags & FLAG.END_STREAM) !== 0) this.ended(streamId, LOCAL_ENDED);
        return null;
      case FRAME.HEADERS:
        if ((flags & FLAG.END_STREAM) !== 0) this.ended(streamId, LOCAL_ENDED);
        return null;
      case FRAME.RST_STREAM:
        return this.serverReset(streamId, code, nowMs);
      default:
        return null;
    }
  }

  private headers(flags: number, streamId: number, length: number, padding: number, nowMs: number): Violation | null {
    if (this.blockStream !== 0) this.blockStream = 0; // not a CONTINUATION: the library refuses the connection
    if ((streamId & 1) === 1 && streamId > this.lastStreamId) {
      this.lastStreamId = streamId;
      const refusal = this.admitStream(streamId, flags, nowMs);
      if (refusal !== null) return refusal;
    } else if ((flags & FLAG.END_STREAM) !== 0) this.ended(streamId, REMOTE_ENDED); // trailers
    const block = length - ((flags & FLAG.PADDED) !== 0 ? padding + 1 : 0) - ((flags & FLAG.PRIORITY) !== 0 ? 5 : 0);
    if (block <= 0 && (flags & (FLAG.END_STREAM | FLAG.END_HEADERS)) === 0) {
      const v = this.spend(this.emptyBudget, nowMs, 'empty_frames', 'empty HEADERS frames');
      if (v !== null) return v;
    }
    if (length > this.limits.maxHeaderBlockBytes) return tooLarge(length, this.limits.maxHeaderBlockBytes);
    if ((flags & FLAG.END_HEADERS) === 0) {
      this.blockStream = streamId;
      this.blockContinuations = 0;
      this.blockBytes = length;
      this.blockSinceMs = nowMs;
    }
    return null;
  }

  private admitStream(streamId: number, flags: number, nowMs: number): Violation | null {
    if (this.streams.size >= this.limits.maxConcurrentStreams) {
      if (this.settingsAcked) {
        return { reason: 'stream_flood', code: H2_ERROR.PROTOCOL_ERROR, detail: `stream ${streamId} opened beyond the acknowledged limit of ${this.limits.maxConcurrentStreams} concurrent streams` };
      }
      // Before the client saw the limit, the library refuses the stream (REFUSED_STREAM): counted.
      this.refusedStreams++;
      return this.spend(this.refusedBudget, nowMs, 'refused_streams', 'streams refused beyond max_concurrent_streams');
    }
    this.streamsOpened++;
    this.streams.set(streamId, (flags & FLAG.END_STREAM) !== 0 ? REMOTE_ENDED : 0);
    return null;
  }

  private continuation(flags: number, length: number, nowMs: number): Violation | null {
    if (this.blockStream === 0) return null; // out of place: the library refuses the connection
    this.blockContinuations++;
    this.blockBytes += length;
    if (this.blockContinuations > this.limits.maxContinuations) {
      return { reason: 'continuation_flood', code: H2_ERROR.ENHANCE_YOUR_CALM, detail: `more than ${this.limits.maxContinuations} CONTINUATION frames in one header block` };
    }
    if (this.blockBytes > this.limits.maxHeaderBlockBytes) return tooLarge(this.blockBytes, this.limits.maxHeaderBlockBytes);
    if ((flags & FLAG.END_HEADERS) !== 0) {
      this.blockStream = 0;
      this.blockSinceMs = -1;
    } else if (length === 0) return this.spend(this.emptyBudget, nowMs, 'empty_frames', 'empty CONTINUATION frames');
    return null;
  }

  private clientReset(streamId: number, nowMs: number): Violation | null {
    this.clientResets++;
    this.streams.delete(streamId);
    this.ownResets.delete(streamId);
    const max = this.limits.clientResets.perConnection;
    if (this.clientResets > max) return { reason: 'rapid_reset', code: H2_ERROR.ENHANCE_YOUR_CALM, detail: `more than ${max} streams reset by the client on one connection` };
    return this.spend(this.clientResetBudget, nowMs, 'rapid_reset', 'streams reset by the client');
  }

  private serverReset(streamId: number, code: number, nowMs: number): Violation | null {
    const own = this.ownResets.delete(streamId);
    const known = this.streams.delete(streamId);
    // Not provoked: Bulwark's own resets, NO_ERROR / CANCEL (a finished response, a stream given up), and
    // the library refusing a stream over the limit before the client knew it (counted when it arrived).
    if (own || code === H2_ERROR.NO_ERROR || code === H2_ERROR.CANCEL || (code === H2_ERROR.REFUSED_STREAM && !known)) return null;
    this.provokedResets++;
    const max = this.limits.provokedResets.perConnection;
    if (this.provokedResets > max) return { reason: 'provoked_resets', code: H2_ERROR.ENHANCE_YOUR_CALM, detail: `more than ${max} streams reset for the client's errors on one connection` };
    return this.spend(this.provokedBudget, nowMs, 'provoked_resets', 'streams reset for the client\'s errors');
  }

  private ended(streamId: number, side: number): void {
    const state = this.streams.get(streamId);
    if (state === undefined) return;
    const next = state | side;
    if (next === (REMOTE_ENDED | LOCAL_ENDED)) {
      this.streams.delete(streamId);
      this.ownResets.delete(streamId);
    } else this.streams.set(streamId, next);
  }

  private spend(budget: Budget, nowMs: number, reason: string, what: string): Violation | null {
    return budget.take(nowMs) ? null : { reason, code: H2_ERROR.ENHANCE_YOUR_CALM, detail: `${what} above the connection's budget` };
  }

  /** What the connection's frames added up to. */
  counts(): GuardCounts {
    return { streamsOpened: this.streamsOpened, clientResets: this.clientResets, provokedResets: this.provokedResets, refusedStreams: this.refusedStreams, frames: this.frames };
  }
}

function tooLarge(bytes: number, max: number): Violation {
  return { reason: 'header_block_too_large', code: H2_ERROR.ENHANCE_YOUR_CALM, detail: `a header block of ${bytes} bytes (limit ${max})` };
}
