/**
 * Slow read defence (docs/threats.md, "slow read"; and the drill's slow-read finding): a client that keeps reading a
 * response, but slower than `min_send_rate` bytes per second, is cut off. `send_timeout` only catches a
 * client that stops reading altogether, and counting the bytes handed to the socket says little (the
 * kernel's send buffer, megabytes on loopback, absorbs them): so once a second, for responses whose
 * socket is backed up, the guard looks at how far the socket's write counter moved over the last
 * `windowS` seconds — once the buffers are full, that is the client's real reading rate.
 */
import type { ServerResponse } from 'node:http';
import type { SlowReadWatch } from '../runtime/services.ts';

interface Watched {
  readonly res: ServerResponse;
  readonly since: number;
  /** bytesWritten at each of the last samples (one a second), oldest first. */
  readonly samples: number[];
}

export interface SlowReadGuard extends SlowReadWatch {
  readonly closed: number;
  readonly watching: number;
  stop(): void;
}

const kWatched = Symbol('bulwark.slowRead');

export function createSlowReadGuard(settings: () => { minRate: number; graceMs: number }, windowS = 3, now: () => number = Date.now): SlowReadGuard {
  const watched = new Set<Watched>();
  let closed = 0;
  const timer = setInterval(() => {
    const t = now();
    const { minRate, graceMs } = settings();
    for (const w of watched) {
      const res = w.res;
      const socket = res.socket;
      if (res.writableFinished || res.destroyed || socket === null) {
        watched.delete(w);
        continue;
      }
      w.samples.push(socket.bytesWritten);
      if (w.samples.length > windowS + 1) w.samples.shift();
      if (minRate <= 0 || t - w.since < graceMs || w.samples.length <= windowS || !res.writableNeedDrain) continue;
      const rate = (w.samples[w.samples.length - 1]! - w.samples[0]!) / windowS;
      if (rate < minRate) {
        closed++;
        watched.delete(w);
        socket.destroy();
      }
    }
  }, 1000);
  timer.unref();
  return {
    watch(res, nowMs) {
      const r = res as ServerResponse & { [kWatched]?: true };
      if (r[kWatched] || res.socket === null) return;
      r[kWatched] = true;
      watched.add({ res, since: nowMs, samples: [res.socket.bytesWritten] });
    },
    get closed() {
      return closed;
    },
    get watching() {
      return watched.size;
    },
    stop() {
      clearInterval(timer);
      watched.clear();
    },
  };
}
