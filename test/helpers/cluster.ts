/**
 * Test helpers for deployments of several Bulwark processes: nodes as child processes (the production
 * bundle, through the drill's process helper, so a node can be killed like a crashed machine), a TCP
 * relay that can cut one node off from Redis (a network partition) and heal it, loads from many loopback
 * source addresses, and polling helpers.
 */
import net from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { startBulwarkChild, type BulwarkChild } from '../../src/drill/bulwark-process.ts';
import { createTestToken } from './bulwark.ts';

/** A node: the child process, and the headers that authenticate an operator on its admin listener. */
export interface TestNode extends BulwarkChild {
  readonly headers: Record<string, string>;
}

/** Starts one node on `host` (a loopback address) with `config` merged over a quiet test base. */
export async function startNode(host: string, config: Record<string, unknown>): Promise<TestNode> {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-node-'));
  const token = await createTestToken(join(dir, 'state'));
  const child = await startBulwarkChild({
    config: {
      listen: { http: [`${host}:0`] },
      admin: { listen: `${host}:0` },
      log: { level: 'info' },
      identify: { geo: { enabled: false } },
      state_dir: join(dir, 'state'),
      ...config,
    },
    dir,
    stopTimeoutMs: 10_000,
  });
  return Object.assign(child, { headers: token.headers });
}

/** GET a JSON document (admin API), with the operator's headers. */
export async function getJson<T = Record<string, unknown>>(url: string, headers: Record<string, string> = {}): Promise<T> {
  const res = await request(url, { headers });
  if (res.statusCode !== 200) {
    const text = await res.body.text();
    throw new Error(`GET ${url}: ${res.statusCode} ${text.slice(0, 200)}`);
  }
  return (await res.body.json()) as T;
}

/** Polls `check` every 50 ms until it is true or `ms` passed; returns the time it took (Infinity: never). */
export async function waitFor(ms: number, check: () => Promise<boolean> | boolean): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    try {
      if (await check()) return Date.now() - t0;
    } catch {
      // not there yet
    }
    if (Date.now() - t0 > ms) return Infinity;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A TCP relay to `target` that can be cut (every connection dropped, new ones refused) and healed. */
export interface Relay {
  readonly port: number;
  cut(): void;
  heal(): void;
  close(): Promise<void>;
}

/** Starts a relay on 127.0.0.1 to `targetPort`. */
export async function startRelay(targetPort: number): Promise<Relay> {
  let open = true;
  const pairs = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (!open) return client.destroy();
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
    pairs.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const done = (): void => {
      client.destroy();
      upstream.destroy();
      pairs.delete(client);
      pairs.delete(upstream);
    };
    client.on('error', done).on('close', done);
    upstream.on('error', done).on('close', done);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut() {
      open = false;
      for (const s of pairs) s.destroy();
    },
    heal() {
      open = true;
    },
    close: () =>
      new Promise((r) => {
        for (const s of pairs) s.destroy();
        server.close(() => r());
      }),
  };
}

/** What a load saw. */
export interface LoadResult {
  readonly sent: number;
  /** Answers by HTTP status, and requests without one by `error:<code>`. */
  readonly byStatus: Record<string, number>;
  /** Requests that got no answer (dropped connection, refused). */
  readonly failed: number;
}

/**
 * Sends `rps` requests a second for `seconds` from `sources` (loopback addresses), each request to the
 * next of `targets` in turn (round robin), keep-alive per source and target. The user agent is an API
 * client's by default (a threat level never challenges those; a test about challenges passes a browser's). Bounded: at most 256
 * requests in flight (beyond that a send is counted as failed rather than queued).
 */
export async function load(targets: readonly string[], sources: readonly string[], rps: number, seconds: number, path = '/', userAgent = 'curl/8.5.0'): Promise<LoadResult> {
  const agents = new Map<string, Agent>();
  const agentFor = (source: string): Agent => {
    let a = agents.get(source);
    if (a === undefined) agents.set(source, (a = new Agent({ localAddress: source, connections: 16, keepAliveTimeout: 2000, connect: { timeout: 1000 } })));
    return a;
  };
  const byStatus: Record<string, number> = {};
  let sent = 0;
  let failed = 0;
  let inFlight = 0;
  const pending: Array<Promise<void>> = [];
  const total = Math.round(rps * seconds);
  const t0 = Date.now();
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / rps;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    sent++;
    if (inFlight >= 256) {
      failed++;
      byStatus['error:too_many_in_flight'] = (byStatus['error:too_many_in_flight'] ?? 0) + 1;
      continue;
    }
    inFlight++;
    const target = targets[i % targets.length]!;
    const source = sources[i % sources.length]!;
    pending.push(
      request(`${target}${path}`, { dispatcher: agentFor(source), headersTimeout: 3000, bodyTimeout: 3000, headers: { 'user-agent': userAgent } })
        .then(async (res) => {
          await res.body.dump();
          byStatus[res.statusCode] = (byStatus[res.statusCode] ?? 0) + 1;
        })
        .catch((err: { code?: string }) => {
          failed++;
          const k = `error:${err.code ?? 'unknown'}`;
          byStatus[k] = (byStatus[k] ?? 0) + 1;
        })
        .finally(() => void inFlight--),
    );
  }
  await Promise.all(pending);
  await Promise.all([...agents.values()].map((a) => a.close().catch(() => {})));
  return { sent, byStatus, failed };
}

/** `count` loopback addresses under `prefix` (two octets, e.g. `127.60` → 127.60.0.1, 127.60.0.2, …). */
export function addresses(prefix: string, count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(`${prefix}.${Math.floor(i / 250)}.${(i % 250) + 1}`);
  return out;
}

/** Whether a connection from `localAddress` to `url` is closed without an answer (a ban or deny list drops it). */
export function dropped(url: string, localAddress: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    let data = false;
    const s = net.connect({ port: Number(u.port), host: u.hostname, localAddress }, () => s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    s.on('data', () => {
      data = true;
      s.destroy();
    });
    s.on('close', () => resolve(!data));
    s.on('error', () => {});
    setTimeout(() => s.destroy(), 2000).unref();
  });
}
