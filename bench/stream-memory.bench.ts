/**
 * Streaming memory: memory stays flat while a 1 GiB body streams through Bulwark, up and down. Bulwark runs as
 * its own process (the production bundle); its RSS is sampled from /proc every 50 ms. The reference is
 * Bulwark's own RSS when idle, measured in the same run just before.
 *
 * Options: --gib N (default 1).
 */
import http from 'node:http';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { siteYaml, startBulwarkProcess } from './lib/bulwark-process.ts';
import { rssMb } from './lib/processes.ts';

const { values } = parseArgs({ options: { gib: { type: 'string', default: '1' } } });
const SIZE = Math.round(Number(values.gib) * 1024 ** 3);
const CHUNK = Buffer.alloc(256 * 1024, 7);

function generate(total: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      const n = Math.min(CHUNK.length, total - sent);
      sent += n;
      this.push(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n));
    },
  });
}

const origin = http.createServer((req, res) => {
  if (req.method === 'POST') {
    let n = 0;
    req.on('data', (c: Buffer) => (n += c.length));
    req.on('end', () => res.end(String(n)));
    return;
  }
  res.writeHead(200, { 'content-length': SIZE });
  generate(SIZE).pipe(res);
});
await new Promise<void>((r) => origin.listen(0, '127.0.0.1', () => r()));
const originUrl = `http://127.0.0.1:${(origin.address() as { port: number }).port}`;
const bulwark = await startBulwarkProcess(siteYaml(originUrl, '    max_body_bytes: 4gb\n'), null);
const url = `http://127.0.0.1:${bulwark.port}`;

async function sampled(label: string, fn: () => Promise<number>): Promise<void> {
  await new Promise((r) => setTimeout(r, 1000));
  const idle = rssMb(bulwark.pid);
  let peak = idle;
  const timer = setInterval(() => (peak = Math.max(peak, rssMb(bulwark.pid))), 50);
  const t = performance.now();
  const bytes = await fn();
  const s = (performance.now() - t) / 1000;
  clearInterval(timer);
  process.stdout.write(
    `${label.padEnd(9)} ${(bytes / 1024 ** 3).toFixed(2)} GiB in ${s.toFixed(1)} s (${(bytes / 1024 ** 2 / s).toFixed(0)} MiB/s); Bulwark RSS idle ${idle.toFixed(0)} MiB, peak ${peak.toFixed(0)} MiB (+${(peak - idle).toFixed(0)} MiB, ${((peak - idle) / (bytes / 1024 ** 2) * 100).toFixed(2)}% of the bytes streamed)\n`,
  );
}

try {
  await sampled('upload', async () => {
    const res = await request(`${url}/upload`, { method: 'POST', body: generate(SIZE), headers: { 'content-length': String(SIZE) } });
    return Number(await res.body.text());
  });
  await sampled('download', async () => {
    const res = await request(`${url}/download`);
    let n = 0;
    for await (const c of res.body) n += (c as Buffer).length;
    return n;
  });
} finally {
  await bulwark.stop();
  origin.close();
}
