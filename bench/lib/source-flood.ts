/**
 * A bounded flood from many loopback source addresses: each source is one undici Client bound to its own
 * address (`127.<1 + i / 256>.<i % 256>.1`, so every source also has its own /24), with one request in
 * flight at a time, replaced by a fresh connection every `churn` requests. A scheduler hands requests to
 * idle sources at `rate` per second overall. Every request differs — its path, query, cookie and Referer
 * change, the user agent is one of a few browsers' — the way a botnet's requests do. Stops by itself after
 * `seconds` or `maxRequests`, whichever comes first, then waits at most 5 s for requests in flight.
 */
import { Client } from 'undici';

export interface FloodOptions {
  readonly url: string;
  readonly sources: number;
  readonly rate: number;
  readonly seconds: number;
  readonly maxRequests: number;
  /** Requests per connection before a source opens a new one (default 40). */
  readonly churn?: number;
}

export interface FloodResult {
  readonly sent: number;
  readonly answered: number;
  readonly errors: number;
  /** Answers by status code. */
  readonly statuses: Readonly<Record<string, number>>;
  readonly seconds: number;
}

const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  'Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36',
];

/** The source address of source `i` (at most 65,536 sources). */
export const sourceAddress = (i: number): string => `127.${1 + (i >> 8)}.${i & 255}.1`;

/** Runs the flood (see the module comment). Loopback targets only. */
export async function runSourceFlood(o: FloodOptions): Promise<FloodResult> {
  const target = new URL(o.url);
  if (!/^127\./.test(target.hostname)) throw new Error(`floods only target loopback, not ${target.hostname}`);
  if (o.sources > 65_536) throw new Error('at most 65,536 sources');
  const churn = o.churn ?? 40;
  const opts = (i: number) => ({ localAddress: sourceAddress(i), headersTimeout: 5000, bodyTimeout: 5000, keepAliveTimeout: 10_000, connectTimeout: 5000 });
  const clients = Array.from({ length: o.sources }, (_, i) => new Client(target.origin, opts(i)));
  const uses = new Uint32Array(o.sources);
  const idle: number[] = Array.from({ length: o.sources }, (_, i) => i);
  const statuses: Record<string, number> = {};
  let sent = 0;
  let answered = 0;
  let errors = 0;
  let inFlight = 0;

  async function fire(i: number, n: number): Promise<void> {
    if (uses[i]! >= churn) {
      uses[i] = 0;
      const old = clients[i]!;
      clients[i] = new Client(target.origin, opts(i));
      void old.close().catch(() => {});
    }
    uses[i]!++;
    inFlight++;
    try {
      const res = await clients[i]!.request({
        method: 'GET',
        path: `/article/${i}/${n}?page=${n % 50}`,
        headers: {
          host: target.host,
          'user-agent': AGENTS[i % AGENTS.length]!,
          accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
          'accept-language': 'en-US,en;q=0.9',
          cookie: `session=${(n * 2654435761) >>> 0}`,
          referer: `http://${target.host}/p/${n % 97}`,
        },
      });
      await res.body.dump();
      answered++;
      statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
    } catch {
      errors++;
    } finally {
      inFlight--;
      idle.push(i);
    }
  }

  const started = performance.now();
  const until = started + o.seconds * 1000;
  await new Promise<void>((resolve) => {
    let budget = 0;
    let last = started;
    const timer = setInterval(() => {
      const now = performance.now();
      budget = Math.min(budget + ((now - last) / 1000) * o.rate, o.rate / 10);
      last = now;
      if (now >= until || sent >= o.maxRequests) {
        clearInterval(timer);
        resolve();
        return;
      }
      while (budget >= 1 && idle.length > 0 && sent < o.maxRequests) {
        budget--;
        void fire(idle.shift()!, sent++);
      }
    }, 5);
  });
  const seconds = (performance.now() - started) / 1000;
  const drainUntil = performance.now() + 5000;
  while (inFlight > 0 && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 50));
  await Promise.all(clients.map((c) => c.destroy().catch(() => {})));
  return { sent, answered, errors, statuses, seconds };
}
