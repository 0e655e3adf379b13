/**
 * Slow POST defence: once `body_rate_grace` has passed, a request body arriving
 * slower than `min_body_rate` bytes per second gets the connection closed. One sweep a second over the
 * uploads in progress (no timer per request). Progress is read from the socket's byte counter, so
 * nothing is added to the body stream itself; an upload that is paused because the origin is slow to
 * read (our own backpressure) is never held against the client.
 */
import type { IncomingMessage } from 'node:http';

interface Upload {
  readonly req: IncomingMessage;
  readonly startMs: number;
  readonly startBytes: number;
}

export interface SlowBodyGuard {
  track(req: IncomingMessage, nowMs: number): void;
  /** Uploads closed for being too slow, since start. */
  readonly closed: number;
  readonly tracking: number;
  stop(): void;
}

export function createSlowBodyGuard(settings: () => { minRate: number; graceMs: number }, now: () => number = Date.now): SlowBodyGuard {
  const uploads = new Set<Upload>();
  let closed = 0;
  const timer = setInterval(() => {
    const t = now();
    const { minRate, graceMs } = settings();
    for (const u of uploads) {
      const req = u.req;
      const socket = req.socket as typeof req.socket | null;
      if (req.complete || req.destroyed || socket === null) {
        uploads.delete(u);
        continue;
      }
      const elapsed = t - u.startMs;
      if (elapsed < graceMs || minRate <= 0) continue;
      if (req.readableLength >= req.readableHighWaterMark || req.isPaused()) continue; // our backpressure
      const rate = ((socket.bytesRead - u.startBytes) * 1000) / elapsed;
      if (rate < minRate) {
        closed++;
        uploads.delete(u);
        socket.destroy();
      }
    }
  }, 1000);
  timer.unref();
  return {
    track(req, nowMs) {
      const u = { req, startMs: nowMs, startBytes: req.socket.bytesRead };
      uploads.add(u);
      req.once('end', () => uploads.delete(u));
      req.once('close', () => uploads.delete(u));
    },
    get closed() {
      return closed;
    },
    get tracking() {
      return uploads.size;
    },
    stop() {
      clearInterval(timer);
      uploads.clear();
    },
  };
}
