// A load client over TLS for the HTTPS benchmarks, the same loop for both protocols so their figures
// compare: HTTP/1.1 keeps `connections` keep-alive connections busy, one request at a time each;
// HTTP/2 keeps `connections` sessions busy with `streams` requests at a time each. With `vary`, every
// request carries its own X-Bench-N header value. Loopback only. Prints one JSON line.
// Usage: node bench/servers/tls-load.mjs URL h1|h2 SECONDS CONNECTIONS STREAMS vary|same [HOST]
import http2 from 'node:http2';
import https from 'node:https';

const [url, protocol, secondsText, connectionsText, streamsText, varyText, hostText] = process.argv.slice(2);
const host = hostText ?? 'bench.test';
const target = new URL(url);
if (!/^127\.|^\[::1\]$/.test(target.hostname)) throw new Error('loopback only');
const seconds = Number(secondsText);
const connections = Number(connectionsText);
const streams = Number(streamsText);
const vary = varyText === 'vary';
const until = Date.now() + seconds * 1000;
const latencies = [];
let requests = 0;
let non2xx = 0;
let errors = 0;
let n = 0;

function done(status, startNs) {
  requests++;
  if (status < 200 || status >= 400) non2xx++;
  if (latencies.length < 200_000) latencies.push(Number(process.hrtime.bigint() - startNs) / 1e6);
}

async function h1Loop(agent) {
  while (Date.now() < until) {
    const start = process.hrtime.bigint();
    await new Promise((resolve) => {
      const headers = { host, 'user-agent': 'bench/1.0', ...(vary ? { 'x-bench-n': String(n++) } : {}) };
      const req = https.request({ host: target.hostname, port: target.port, path: target.pathname, agent, headers, servername: host, rejectUnauthorized: false }, (res) => {
        res.on('data', () => {});
        res.on('end', () => { done(res.statusCode ?? 0, start); resolve(); });
      });
      req.on('error', () => { errors++; resolve(); });
      req.end();
    });
  }
}

function session() {
  const s = http2.connect(url, { rejectUnauthorized: false, servername: host });
  s.on('error', () => {});
  return s;
}

async function h2Loop(holder) {
  while (Date.now() < until) {
    if (holder.s.closed || holder.s.destroyed || holder.goaway) {
      holder.s = session();
      holder.goaway = false;
      holder.s.once('goaway', () => { holder.goaway = true; });
    }
    const start = process.hrtime.bigint();
    await new Promise((resolve) => {
      const req = holder.s.request({ ':path': target.pathname, ':authority': host, 'user-agent': 'bench/1.0', ...(vary ? { 'x-bench-n': String(n++) } : {}) });
      let status = 0;
      req.on('response', (h) => { status = Number(h[':status']); });
      req.on('data', () => {});
      req.on('end', () => { done(status, start); resolve(); });
      // A session Bulwark recycled (graceful GOAWAY after max_requests_per_connection): retry on a new one.
      req.on('error', (err) => { if (err.code === 'ERR_HTTP2_GOAWAY_SESSION' || /REFUSED_STREAM/.test(err.message)) holder.goaway = true; else errors++; resolve(); });
    });
  }
}

const loops = [];
if (protocol === 'h1') {
  const agent = new https.Agent({ keepAlive: true, maxSockets: connections });
  for (let i = 0; i < connections; i++) loops.push(h1Loop(agent));
} else {
  for (let c = 0; c < connections; c++) {
    const holder = { s: session(), goaway: false };
    holder.s.once('goaway', () => { holder.goaway = true; });
    for (let i = 0; i < streams; i++) loops.push(h2Loop(holder));
  }
}
const started = Date.now();
await Promise.all(loops);
const elapsed = (Date.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
process.stdout.write(JSON.stringify({ tool: `node-${protocol}`, requests, rps: requests / elapsed, p50Ms: q(0.5), p99Ms: q(0.99), non2xx, errors }) + '\n');
process.exit(0);
