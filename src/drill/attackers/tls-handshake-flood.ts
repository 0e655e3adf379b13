/**
 * The TLS handshake flood: new TLS connections as fast as the rate allows, from many source addresses,
 * each a full handshake (no session to resume: the expensive kind for the server), closed as soon as it
 * completes. It measures what a handshake flood can get: handshakes completed, and connections refused
 * before the handshake (closed at accept). Bounded by the drill's count, duration, sockets and signal;
 * loopback only.
 */
import net from 'node:net';
import tls from 'node:tls';
import { assertLoopbackTarget } from '../loopback-guard.ts';
import { sourceAddress, type SourceRange } from '../source-pool.ts';
import { createKeyedCounter, createRateSeries, type RatePoint } from '../stats.ts';
import { checkBounds, sleep, startBoundedRun, type AttackBounds, type StoppedBy } from './bounds.ts';

export interface HandshakeFloodOptions {
  /** `https://127.x.y.z:port`. */
  readonly target: string;
  readonly ratePerS: number;
  readonly sources: number;
  readonly sourceRange?: SourceRange;
  /** Handshakes in flight at most. Default 64. */
  readonly concurrency?: number;
  readonly bounds: AttackBounds;
  readonly signal?: AbortSignal;
}

export interface HandshakeFloodResult {
  readonly attempted: number;
  /** Full handshakes the server completed. */
  readonly completed: number;
  /** Connections the server closed before the handshake finished (refused at accept, banned). */
  readonly refused: number;
  readonly errors: Readonly<Record<string, number>>;
  /** Completed handshakes per second. */
  readonly completedPerSecond: readonly RatePoint[];
  readonly durationMs: number;
  readonly stoppedBy: StoppedBy;
}

/** One full handshake from `localAddress`: 'completed', or why it did not. */
function handshake(host: string, port: number, localAddress: string, signal: AbortSignal): Promise<string> {
  return new Promise((resolve) => {
    const tcp = net.connect({ host, port, localAddress });
    tcp.on('error', () => {});
    const s = tls.connect({ socket: tcp, rejectUnauthorized: false, ALPNProtocols: ['h2', 'http/1.1'] });
    let done = false;
    const finish = (why: string): void => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      s.destroy();
      resolve(why);
    };
    const onAbort = (): void => finish('aborted');
    signal.addEventListener('abort', onAbort, { once: true });
    s.once('secureConnect', () => finish('completed'));
    s.once('error', (err: Error & { code?: string }) => finish(err.code ?? 'error'));
    s.once('close', () => finish('closed'));
  });
}

/** Runs the flood; resolves once every handshake in flight settled. */
export async function runHandshakeFlood(o: HandshakeFloodOptions): Promise<HandshakeFloodResult> {
  const url = assertLoopbackTarget(o.target);
  const bounds = checkBounds(o.bounds);
  const run = startBoundedRun(bounds, o.signal);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || 443);
  const errors = createKeyedCounter(32);
  const perSecond = createRateSeries(1800);
  const concurrency = Math.max(1, Math.min(o.concurrency ?? 64, bounds.maxSockets));
  const s = { attempted: 0, completed: 0, refused: 0 };
  let tokens = 0;
  let last = performance.now();
  const worker = async (): Promise<void> => {
    while (!run.signal.aborted && s.attempted < bounds.maxRequests) {
      const now = performance.now();
      tokens = Math.min(concurrency, tokens + ((now - last) * o.ratePerS) / 1000);
      last = now;
      if (tokens < 1) {
        await sleep(Math.max(1, ((1 - tokens) * 1000) / o.ratePerS), run.signal);
        continue;
      }
      tokens -= 1;
      const i = s.attempted++;
      const why = await handshake(host, port, sourceAddress(i % o.sources, o.sourceRange), run.signal);
      if (why === 'completed') {
        s.completed++;
        perSecond.add(Date.now());
      } else if (why !== 'aborted') {
        s.refused++;
        errors.add(why);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, () => worker()));
  run.dispose();
  const series = perSecond.series(Date.now());
  const first = series.findIndex((p) => p.count > 0);
  return {
    ...s,
    errors: errors.snapshot(),
    completedPerSecond: first < 0 ? [] : series.slice(first),
    durationMs: Math.round(run.elapsedMs()),
    stoppedBy: run.stoppedBy(),
  };
}
