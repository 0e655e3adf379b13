// An operator watching the console during a benchmark: one live dashboard stream (server-sent events) on
// a site, and a Prometheus scrape of /metrics every second, both with a Bearer token.
// Usage: node console-watcher.mjs ADMIN_URL TOKEN SITE. Prints `watching 1` once the first tick arrived,
// and on SIGTERM one JSON line: ticks received, scrapes answered 200, scrape failures, bytes received.
import http from 'node:http';

const [adminUrl, token, site] = process.argv.slice(2);
const url = new URL(adminUrl);
const headers = { host: url.host, authorization: `Bearer ${token}` };
const stats = { ticks: 0, scrapes: 0, scrapeFailures: 0, streamBytes: 0, metricsBytes: 0 };
let announced = false;

const stream = http.get({ host: url.hostname, port: url.port, path: `/events?site=${encodeURIComponent(site)}`, headers, agent: false }, (res) => {
  if (res.statusCode !== 200) {
    process.stderr.write(`stream refused: ${res.statusCode}\n`);
    process.exit(1);
  }
  res.setEncoding('utf8');
  res.on('data', (c) => {
    stats.streamBytes += c.length;
    const n = c.split('event: tick').length - 1;
    stats.ticks += n;
    if (n > 0 && !announced) {
      announced = true;
      process.stdout.write('watching 1\n');
    }
  });
});
stream.on('error', (e) => process.stderr.write(`stream error: ${e.message}\n`));

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
setInterval(() => {
  const req = http.get({ host: url.hostname, port: url.port, path: '/metrics', headers, agent }, (res) => {
    let n = 0;
    res.on('data', (c) => (n += c.length));
    res.on('end', () => {
      if (res.statusCode === 200) stats.scrapes++;
      else stats.scrapeFailures++;
      stats.metricsBytes += n;
    });
  });
  req.on('error', () => stats.scrapeFailures++);
}, 1000);

process.on('SIGTERM', () => {
  process.stdout.write(JSON.stringify(stats) + '\n');
  process.exit(0);
});
