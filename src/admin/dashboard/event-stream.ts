/**
 * The dashboard's live feed: server-sent events (https://html.spec.whatwg.org/multipage/server-sent-events.html)
 * on `GET /events[?site=S]`, one `tick` event a second carrying the overview of every site and, when a
 * site is named, that site's newest sample, detector view, top keys and rules.
 *
 * Bounded:
 * - at most `maxStreams` streams at once (default 16; the next gets 503 with Retry-After) and at most
 *   `maxPerPrincipal` per token (default 4; 429);
 * - a frame is built once per tick and per site and shared by every stream watching it;
 * - a stream whose socket buffer holds more than `maxBufferedBytes` (default 256 KiB: a slow or stalled
 *   reader) skips frames instead of queueing them, and is closed after `maxSkips` consecutive skips
 *   (default 30 s worth);
 * - every tick asks whether each stream's token or session is still good, so a revocation or a
 *   session's end closes its streams within a second.
 */
import type { ServerResponse } from 'node:http';
import type { AdminRequest, StreamRoute } from '../route-types.ts';

/** Options of {@link createEventStreams}. */
export interface EventStreamOptions {
  readonly maxStreams?: number;
  readonly maxPerPrincipal?: number;
  readonly maxBufferedBytes?: number;
  readonly maxSkips?: number;
}

interface Stream {
  readonly res: ServerResponse;
  readonly site: string | null;
  readonly principal: string;
  readonly stillAllowed: () => Promise<boolean>;
  skips: number;
}

/** The streams and their broadcast. */
export interface EventStreams {
  /** The `GET /events` route. */
  readonly route: StreamRoute;
  /**
   * Sends one tick: `overview()` once, `site(name)` once per site watched (null: unknown site). Neither
   * is built when no stream is open: an unwatched dashboard costs nothing but the sampler.
   */
  broadcast(overview: () => unknown, site: (name: string) => unknown): Promise<void>;
  /** Sites some stream watches now. */
  watched(): Set<string>;
  /** Ends every stream (shutdown). */
  closeAll(): void;
  stats(): { open: number; capacity: number; refused: number; skipped: number; closedSlow: number; closedAuth: number };
}

const HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-accel-buffering': 'no',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

function refuse(res: ServerResponse, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: code, message }) + '\n';
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'retry-after': '5', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Creates the stream set (see the module comment). `sites()` names the sites a stream may watch. */
export function createEventStreams(sites: () => readonly string[], o: EventStreamOptions = {}): EventStreams {
  const maxStreams = o.maxStreams ?? 16;
  const maxPer = o.maxPerPrincipal ?? 4;
  const maxBuffered = o.maxBufferedBytes ?? 256 * 1024;
  const maxSkips = o.maxSkips ?? 30;
  const streams = new Set<Stream>();
  const c = { refused: 0, skipped: 0, closedSlow: 0, closedAuth: 0 };

  function close(s: Stream): void {
    streams.delete(s);
    if (!s.res.writableEnded) s.res.end();
  }

  const route: StreamRoute = (req: AdminRequest, res: ServerResponse) => {
    const site = req.url.searchParams.get('site');
    if (site !== null && !sites().includes(site)) return refuse(res, 404, 'not_found', `no site ${site}`);
    const who = req.principal?.tokenId ?? 'anonymous';
    if (streams.size >= maxStreams) {
      c.refused++;
      return refuse(res, 503, 'BULWARK_ERR_ADMIN_STREAMS_FULL', `${maxStreams} live streams are open already`);
    }
    if ([...streams].filter((s) => s.principal === who).length >= maxPer) {
      c.refused++;
      return refuse(res, 429, 'BULWARK_ERR_ADMIN_STREAMS_PER_TOKEN', `at most ${maxPer} live streams per token`);
    }
    res.writeHead(200, HEADERS);
    res.write('retry: 3000\n\n');
    const s: Stream = { res, site, principal: who, stillAllowed: req.stillAllowed ?? (async () => true), skips: 0 };
    streams.add(s);
    res.on('close', () => streams.delete(s));
  };

  return {
    route,
    async broadcast(overview, site) {
      if (streams.size === 0) return;
      let ov: unknown;
      let built = false;
      const frames = new Map<string | null, string>();
      const frameOf = (name: string | null): string => {
        let f = frames.get(name);
        if (f === undefined) {
          if (!built) {
            ov = overview();
            built = true;
          }
          f = `event: tick\ndata: ${JSON.stringify({ overview: ov, site: name === null ? null : site(name) })}\n\n`;
          frames.set(name, f);
        }
        return f;
      };
      for (const s of [...streams]) {
        if (!(await s.stillAllowed().catch(() => false))) {
          c.closedAuth++;
          s.res.write('event: end\ndata: {"reason":"unauthenticated"}\n\n');
          close(s);
          continue;
        }
        if (s.res.writableLength > maxBuffered) {
          c.skipped++;
          if (++s.skips >= maxSkips) {
            c.closedSlow++;
            s.res.destroy();
            streams.delete(s);
          }
          continue;
        }
        s.skips = 0;
        s.res.write(frameOf(s.site));
      }
    },
    watched: () => new Set([...streams].flatMap((s) => (s.site === null ? [] : [s.site]))),
    closeAll() {
      for (const s of [...streams]) close(s);
    },
    stats: () => ({ open: streams.size, capacity: maxStreams, ...c }),
  };
}
