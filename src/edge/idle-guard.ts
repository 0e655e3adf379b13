/**
 * `idle_timeout`: a client connection with no traffic in either direction for that long is closed.
 *
 * Node's own way (`server.timeout` → `socket.setTimeout`) re-arms a timer on every request of a
 * keep-alive connection (node:http swaps the keep-alive timeout for the idle one each time), which costs
 * a timer-list insert on the hot path of a flood. A sweep does the same job for nothing per request:
 * every `idle/4` (at most once a second) it compares each connection's byte counters with the previous
 * sweep and destroys the connections that have not moved for `idle_timeout` (closed within a quarter of
 * the timeout late at most). Keep-alive gaps between requests stay node:http's (`keep_alive_timeout`).
 */
import type { Socket } from 'node:net';

export interface IdleGuard {
  /** Starts watching a connection; call `forget` when it closes. */
  track(socket: Socket): void;
  forget(socket: Socket): void;
  /** Applies a new idle timeout (ms; 0 disables) from the next sweep on. */
  setTimeout(ms: number): void;
  /** One sweep now (the timer runs it every idle/4, at most once a second). */
  sweep(): void;
  readonly closed: number;
  stop(): void;
}

interface Watched {
  /** bytesRead + bytesWritten at the last sweep that saw them move. */
  traffic: number;
  /** When they last moved (ms). */
  since: number;
}

/** Decides whether a connection idle since `since` (traffic unchanged) is past `idleMs` at `nowMs`. */
export function isIdleTooLong(since: number, nowMs: number, idleMs: number): boolean {
  return idleMs > 0 && nowMs - since >= idleMs;
}

export function createIdleGuard(initialMs: number, now: () => number = Date.now): IdleGuard {
  const watched = new Map<Socket, Watched>();
  let idleMs = initialMs;
  let closed = 0;
  let timer: NodeJS.Timeout | null = null;

  function sweep(): void {
    const t = now();
    for (const [socket, w] of watched) {
      const traffic = socket.bytesRead + socket.bytesWritten;
      if (traffic !== w.traffic) {
        w.traffic = traffic;
        w.since = t;
      } else if (isIdleTooLong(w.since, t, idleMs)) {
        closed++;
        watched.delete(socket);
        socket.destroy();
      }
    }
  }

  function arm(): void {
    if (timer !== null) clearInterval(timer);
    timer = null;
    if (idleMs <= 0) return;
    timer = setInterval(sweep, Math.max(50, Math.min(1000, Math.floor(idleMs / 4))));
    timer.unref();
  }
  arm();

  return {
    track(socket) {
      watched.set(socket, { traffic: socket.bytesRead + socket.bytesWritten, since: now() });
    },
    forget(socket) {
      watched.delete(socket);
    },
    setTimeout(ms) {
      if (ms === idleMs) return;
      idleMs = ms;
      arm();
    },
    sweep,
    get closed() {
      return closed;
    },
    stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      watched.clear();
    },
  };
}
