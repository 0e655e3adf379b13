/**
 * The drill's slow-client findings, as regressions: a slow POST never reaches the origin (its small body
 * is received whole first), and a slow reader neither holds an origin slot nor escapes the minimum send
 * rate.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startBulwark } from '../helpers/bulwark.ts';
import { startOriginFixture } from '../helpers/origin.ts';

test('slow POST: the origin never sees a request whose small body is still dribbling in', async () => {
  const origin = await startOriginFixture();
  const b = await startBulwark({ origin: origin.url, connections: { min_body_rate: 1000, body_rate_grace: '1s' } });
  try {
    const closedAfter = await new Promise<number>((resolve) => {
      const t = Date.now();
      const s = net.connect({ port: b.port, host: '127.0.0.1', localAddress: '127.0.60.1' }, () => s.write('POST /search HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n'));
      const timer = setInterval(() => s.writable && s.write('aaaa'), 250);
      s.on('close', () => {
        clearInterval(timer);
        resolve(Date.now() - t);
      });
      s.on('error', () => {});
      setTimeout(() => s.destroy(), 15_000).unref();
    });
    assert.ok(closedAfter < 8000, `cut after ${closedAfter} ms`);
    assert.equal(origin.stats().byPath['/search'] ?? 0, 0, 'the origin never saw it');
    assert.equal(b.bulwark.runtime().sites[0]!.shield.admission.stats().inflight, 0);
  } finally {
    await b.stop();
    await origin.stop();
  }
});

test('slow read: a reader below the minimum send rate is cut off and its origin slot returns', async () => {
  const origin = await startOriginFixture();
  const b = await startBulwark({ origin: origin.url, connections: { min_send_rate: 4096, body_rate_grace: '2s' } });
  try {
    const s = net.connect({ port: b.port, host: '127.0.0.1', localAddress: '127.0.61.1' }, () => s.write('GET /download?bytes=67108864 HTTP/1.1\r\nHost: x\r\n\r\n'));
    s.on('error', () => {});
    s.pause(); // read nothing for a while: the kernel buffers fill
    let got = 0;
    const reader = setInterval(() => {
      const chunk = s.read(64) as Buffer | null; // then a trickle: 64 bytes every 50 ms
      if (chunk) got += chunk.length;
    }, 50);
    // Judged on Bulwark's side: the paused client only notices once it reads through its buffers.
    let closed = false;
    for (let i = 0; i < 120 && !closed; i++) {
      await new Promise((r) => setTimeout(r, 100));
      closed = (b.bulwark.stats() as { slow_reads_closed: number }).slow_reads_closed >= 1;
    }
    clearInterval(reader);
    s.destroy();
    assert.ok(closed, `a slow reader (${got} bytes read) is cut off`);
    assert.equal(b.bulwark.gate.stats().open, 0, 'its connection is gone');
    assert.equal(b.bulwark.runtime().sites[0]!.shield.admission.stats().inflight, 0, 'its origin slot is back');
  } finally {
    await b.stop();
    await origin.stop();
  }
});
