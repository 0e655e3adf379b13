/**
 * Bulwark's own work per request, without node:http: the proxy server's request handler (context,
 * parse, identify, decide, enforce or shield, the page or cached response, and the record with the
 * detector's aggregates) driven with in-memory requests and responses, in CPU ns per request.
 *
 *   node scripts/run-bench.mjs bench/request-path.bench.ts      (bundled like production; ~20 s)
 *
 * What node:http itself costs per request (parsing, ServerResponse, the socket write) is what the
 * socket benchmarks (bench:reject, bench:shield) add on top; this one isolates the part we own, so a
 * change to the request path can be measured without the noise of the load tool and the kernel.
 * The fake response is not a BulwarkResponse, so heads take the plain writeHead fallback here: what
 * prepared heads save (node:http's field validation) shows only in the socket benchmarks.
 * Cases: a limited client on keep-alive connections (429, answered from the refusal lane after the
 * first refusal on each connection), a cache hit, and a reference `writeHead + end` of a plain 429 on
 * the same fake response (what a bare server does in JavaScript). Interleaved rounds, median kept.
 */
import { EventEmitter } from 'node:events';
import http from 'node:http';
import { request } from 'undici';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { parseConfigText } from '../src/config/load.ts';
import { createPhaseFailureHandler } from '../src/edge/phase-failure.ts';
import { createProxyServer } from '../src/edge/proxy-server.ts';
import { createPipeline } from '../src/pipeline/runner.ts';
import { DEFAULT_PHASES } from '../src/pipeline/phases/index.ts';
import { createRequestIds } from '../src/edge/request-id.ts';
import { createBulwark } from '../src/main.ts';

const cpuNs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
};

class FakeSocket extends EventEmitter {
  remoteAddress: string;
  remotePort = 40000;
  bytesRead = 0;
  bytesWritten = 0;
  destroyed = false;
  constructor(address: string) {
    super();
    this.remoteAddress = address;
  }
  destroy(): this {
    this.destroyed = true;
    return this;
  }
}

function fakeRequest(socket: FakeSocket, url: string, host = 'bench.local'): http.IncomingMessage {
  const req = new EventEmitter() as unknown as Record<string, unknown>;
  req.method = 'GET';
  req.url = url;
  req.httpVersion = '1.1';
  req.httpVersionMajor = 1;
  req.httpVersionMinor = 1;
  req.rawHeaders = ['Host', host, 'User-Agent', 'wrk', 'Accept', '*/*'];
  req.headers = { host, 'user-agent': 'wrk', accept: '*/*' };
  req.socket = socket;
  return req as unknown as http.IncomingMessage;
}

/** Enough of a ServerResponse for the request path: head + end, then 'close' as node:http emits it. */
class FakeResponse extends EventEmitter {
  statusCode = 200;
  headersSent = false;
  writableEnded = false;
  writableFinished = false;
  destroyed = false;
  shouldKeepAlive = true;
  bytes = 0;
  constructor(readonly req: http.IncomingMessage, readonly socket: FakeSocket) {
    super();
  }
  writeHead(status: number, headers: string[]): this {
    this.statusCode = status;
    this.headersSent = true;
    this.bytes = headers.length * 16;
    return this;
  }
  end(body?: string | Buffer): this {
    this.writableEnded = true;
    this.writableFinished = true;
    this.socket.bytesWritten += this.bytes + (body === undefined ? 0 : body.length);
    this.emit('close');
    return this;
  }
  destroy(): this {
    this.destroyed = true;
    return this;
  }
}

const state = mkdtempSync(join(tmpdir(), 'bulwark-reqpath-'));
const origin = http.createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'public, max-age=3600' });
  res.end('x'.repeat(64));
});
await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
const originPort = (origin.address() as { port: number }).port;
const config = parseConfigText(
  `state_dir: ${JSON.stringify(state)}\nlisten:\n  http: ["127.0.0.1:0"]\nadmin:\n  listen: null\nlog:\n  level: warn\n` +
    `identify:\n  geo:\n    enabled: false\n` +
    `policy:\n  escalation:\n    enabled: false\n` +
    `sites:\n  - name: limited\n    hosts: ["limited.local"]\n    origins: ["http://127.0.0.1:${originPort}"]\n` +
    `    policy:\n      limits:\n        - { name: everyone, average: 1, period: 1h, burst: 1, key: [site] }\n` +
    `  - name: bench\n    hosts: ["*"]\n    origins: ["http://127.0.0.1:${originPort}"]\n`,
);
const logger = pino({ level: 'warn' });
const bulwark = createBulwark({ config, logger });
await bulwark.start();
// Warm the cache for `/` through the real listener (admission after a few uses), under the Host the
// fake requests use: the cache key holds the authority the origin saw.
for (let i = 0; i < 4; i++) {
  const r = await request(`${bulwark.url()}/`, { headers: { host: 'bench.local' } });
  await r.body.arrayBuffer();
}
const proxy = createProxyServer(
  { logger, recorder: bulwark.recorder, nextId: createRequestIds(), pipeline: createPipeline(DEFAULT_PHASES, createPhaseFailureHandler(logger)), getRuntime: () => bulwark.runtime(), onRuntimeIdle: () => {} },
  false,
  config.connections,
);

const sockets = Array.from({ length: 64 }, (_, i) => new FakeSocket(`127.0.${i >> 8}.${(i & 255) + 1}`));
const statuses = new Map<string, Map<number, number>>();
function run(path: string, name: string, host?: string): (i: number) => void {
  const seen = new Map<number, number>();
  statuses.set(name, seen);
  return (i) => {
    const socket = sockets[i & 63]!;
    const req = fakeRequest(socket, path, host);
    const res = new FakeResponse(req, socket);
    proxy.server.emit('request', req, res);
    seen.set(res.statusCode, (seen.get(res.statusCode) ?? 0) + 1);
  };
}
const bareBody = 'Too Many Requests\n';
const cases: Record<string, (i: number) => void> = {
  'reference: bare 429 (fake res)': (i) => {
    const socket = sockets[i & 63]!;
    const req = fakeRequest(socket, '/');
    const res = new FakeResponse(req, socket);
    res.writeHead(429, ['content-type', 'text/plain', 'content-length', String(bareBody.length), 'retry-after', '1']);
    res.end(bareBody);
  },
  'limited client: 429': run('/', '429', 'limited.local'),
  'cache hit': run('/', 'hit'),
};

// `--only <text>` keeps the reference and the cases whose name contains it (for profiling one case).
const only = process.argv.indexOf('--only');
if (only !== -1) for (const name of Object.keys(cases)) if (!name.startsWith('reference') && !name.includes(process.argv[only + 1] ?? '')) delete cases[name];
const rounds: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (const fn of Object.values(cases)) for (let i = 0; i < 20_000; i++) fn(i);
for (let r = 0; r < 7; r++) {
  for (const [name, fn] of Object.entries(cases)) {
    const t0 = cpuNs();
    let n = 0;
    while (cpuNs() - t0 < 300e6 && n < 2_000_000) {
      for (let i = 0; i < 1000; i++) fn(n + i);
      n += 1000;
    }
    rounds[name]!.push((cpuNs() - t0) / n);
  }
  // Let the detector's per-second timer and the event loop run between rounds.
  await new Promise((resolve) => setTimeout(resolve, 50));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ref = median(rounds['reference: bare 429 (fake res)']!);
console.log(`${'case'.padEnd(34)} ${'ns/req'.padStart(8)}  × reference`);
for (const [name, xs] of Object.entries(rounds)) console.log(`${name.padEnd(34)} ${median(xs).toFixed(0).padStart(8)}  ${(median(xs) / ref).toFixed(2)}`);
for (const [name, seen] of statuses) console.log(`statuses ${name}: ${[...seen].map(([s, n]) => `${s}×${n}`).join(' ')}`);
await bulwark.stop();
proxy.stop();
origin.close();
