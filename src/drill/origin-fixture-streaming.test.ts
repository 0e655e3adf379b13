/**
 * Upload and download of 256 MiB through the fixture, checking that neither side buffers: resident memory
 * (client and fixture share this process) must grow far less than the body size. Figures are printed as
 * test diagnostics; no timing is asserted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { startOriginFixture } from './origin-fixture.ts';
import { patternByte } from './origin-fixture-routes.ts';

const SIZE = 256 * 1024 * 1024;
const MiB = 1024 * 1024;

function sampleRss(): { stop(): { baseMb: number; peakMb: number } } {
  const base = process.memoryUsage.rss();
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage.rss());
      return { baseMb: Math.round(base / MiB), peakMb: Math.round(peak / MiB) };
    },
  };
}

function generated(total: number): Readable {
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      const n = Math.min(chunk.length, total - sent);
      sent += n;
      this.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    },
  });
}

test('POST /upload of 256 MiB streams through with flat memory', async (t) => {
  const fixture = await startOriginFixture();
  try {
    const rss = sampleRss();
    const t0 = performance.now();
    const res = await request(`${fixture.url}/upload`, {
      method: 'POST',
      body: generated(SIZE),
      headers: { 'content-length': String(SIZE) },
      bodyTimeout: 60_000,
      headersTimeout: 60_000,
    });
    const answer = (await res.body.json()) as { bytes: number; sha256: string };
    const { baseMb, peakMb } = rss.stop();
    const seconds = (performance.now() - t0) / 1000;
    t.diagnostic(`upload 256 MiB: ${seconds.toFixed(2)} s, ${(256 / seconds).toFixed(0)} MiB/s, RSS ${baseMb} → peak ${peakMb} MB (+${peakMb - baseMb})`);
    assert.equal(answer.bytes, SIZE);
    assert.equal(fixture.stats().bodyBytesIn, SIZE);
    assert.ok(peakMb - baseMb < 96, `RSS grew by ${peakMb - baseMb} MB while 256 MiB streamed`);
  } finally {
    await fixture.stop();
  }
});

test('GET /download?bytes=256 MiB streams with flat memory and the expected pattern', async (t) => {
  const fixture = await startOriginFixture();
  try {
    const rss = sampleRss();
    const t0 = performance.now();
    const res = await request(`${fixture.url}/download?bytes=${SIZE}`, { bodyTimeout: 60_000 });
    assert.equal(res.headers['content-length'], String(SIZE));
    let received = 0;
    let mismatches = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      if (chunk[0] !== patternByte(received)) mismatches++;
      received += chunk.length;
    }
    const { baseMb, peakMb } = rss.stop();
    const seconds = (performance.now() - t0) / 1000;
    t.diagnostic(`download 256 MiB: ${seconds.toFixed(2)} s, ${(256 / seconds).toFixed(0)} MiB/s, RSS ${baseMb} → peak ${peakMb} MB (+${peakMb - baseMb})`);
    assert.equal(received, SIZE);
    assert.equal(mismatches, 0);
    assert.ok(peakMb - baseMb < 96, `RSS grew by ${peakMb - baseMb} MB while 256 MiB streamed`);
  } finally {
    await fixture.stop();
  }
});

test('/download refuses a nonsensical size with 400', async () => {
  const fixture = await startOriginFixture();
  try {
    for (const bad of ['-1', 'abc', String(2 ** 60)]) {
      const res = await request(`${fixture.url}/download?bytes=${bad}`);
      assert.equal(res.statusCode, 400, bad);
      await res.body.dump();
    }
  } finally {
    await fixture.stop();
  }
});
