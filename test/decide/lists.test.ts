/**
 * Allow and deny lists over real sockets: a deny-listed source is dropped at accept (before any HTTP
 * parsing) while others are served; list files in FireHOL/Spamhaus formats load with invalid lines
 * skipped; an entry covering loopback is skipped unless forced.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { startBulwark } from '../helpers/bulwark.ts';
import { startOriginFixture } from '../helpers/origin.ts';

function connectFrom(port: number, localAddress: string): Promise<{ closedWithoutData: boolean }> {
  return new Promise((resolve) => {
    let data = false;
    const s = net.connect({ port, host: '127.0.0.1', localAddress }, () => s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    s.on('data', () => (data = true));
    s.on('close', () => resolve({ closedWithoutData: !data }));
    s.on('error', () => {});
    setTimeout(() => s.destroy(), 3000).unref();
  });
}

test('deny list: dropped at accept, other clients served, file formats and protected ranges handled', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-lists-'));
  const netset = join(dir, 'level1.netset');
  // FireHOL level1 really contains 127.0.0.0/8: it must be skipped (it would block loopback).
  writeFileSync(netset, '# firehol\n127.0.0.0/8\n127.66.0.0/16\nnot-an-ip\n');
  writeFileSync(join(dir, 'level1b.netset'), '127.66.0.0/16\n');
  const drop = join(dir, 'drop.txt');
  writeFileSync(drop, '; Spamhaus DROP\n127.77.0.0/16 ; SBL1\n');
  const origin = await startOriginFixture();
  const b = await startBulwark({
    origin: origin.url,
    lists: {
      deny: [{ cidr: '127.55.0.1', force: true }, '127.56.0.1'],
      allow: ['127.66.1.0/24'],
      files: [
        { path: netset, kind: 'deny', force: false },
        { path: join(dir, 'level1b.netset'), kind: 'deny', force: true },
        { path: drop, kind: 'deny', format: 'spamhaus-drop', force: true },
      ],
    },
  });
  try {
    const warnings = b.bulwark.runtime().lists.warnings.map((w) => w.kind);
    assert.ok(warnings.includes('protected_skipped'), 'the loopback /8 was skipped');
    assert.ok(warnings.includes('invalid_line'));
    for (const addr of ['127.55.0.1', '127.66.9.9', '127.77.1.2']) {
      assert.equal((await connectFrom(b.port, addr)).closedWithoutData, true, `${addr} is dropped`);
    }
    // 127.56.0.1 was skipped (loopback, not forced). 127.66.1.0/24 is allow-listed inside the denied 127.66.0.0/16: the longer (allow) prefix wins.
    for (const addr of ['127.0.0.1', '127.66.1.5', '127.56.0.1']) {
      const agent = new Agent({ localAddress: addr });
      const res = await request(`${b.url}/`, { dispatcher: agent });
      await res.body.dump();
      assert.equal(res.statusCode, 200, `${addr} is served`);
      await agent.close();
    }
    assert.ok(b.bulwark.gate.stats().droppedBanned >= 3);
    assert.equal(origin.stats().bySource['127.55.0.1'] ?? 0, 0);
  } finally {
    await b.stop();
    await origin.stop();
  }
});

test('a list file that cannot be read is a config error naming its key', async () => {
  await assert.rejects(startBulwark({ lists: { files: [{ path: '/nonexistent/list.txt', kind: 'deny' }] } }), /lists\.files\[0\]\.path/);
});

test('reconnect flood from a deny-listed source: every connection is closed at the listening handle, before node:net builds a Socket', async () => {
  const origin = await startOriginFixture();
  const b = await startBulwark({ origin: origin.url, lists: { deny: [{ cidr: '127.55.0.2', force: true }] }, connections: { max_connections_per_client: 2 } });
  const server = b.bulwark.listeners[0]!.server;
  let connectionEvents = 0;
  const count = (): void => {
    connectionEvents++;
  };
  server.on('connection', count);
  try {
    const before = b.bulwark.gate.stats().droppedBanned;
    const results = await Promise.all(Array.from({ length: 40 }, () => connectFrom(b.port, '127.55.0.2')));
    assert.ok(results.every((r) => r.closedWithoutData), 'every flood connection closed without an answer');
    assert.equal(b.bulwark.gate.stats().droppedBanned - before, 40, 'each drop counted');
    assert.equal(connectionEvents, 0, 'no Socket was built for a dropped connection');
    assert.equal(origin.stats().bySource['127.55.0.2'] ?? 0, 0);

    // The per-client cap is screened at the handle too: two open connections from one address, the third
    // is closed before it gets a Socket; the two admitted ones are served.
    const held = [0, 1].map(() => net.connect({ port: b.port, host: '127.0.0.1', localAddress: '127.55.0.3' }));
    await Promise.all(held.map((s) => new Promise((r) => s.once('connect', r))));
    await new Promise((r) => setTimeout(r, 50));
    const third = await connectFrom(b.port, '127.55.0.3');
    assert.equal(third.closedWithoutData, true);
    assert.equal(connectionEvents, 2, 'only the two admitted connections got a Socket');
    assert.equal(b.bulwark.gate.stats().droppedPerClient, 1);
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      held[0]!.on('data', (d) => (text += d.toString('latin1')));
      held[0]!.on('close', () => resolve(text));
      held[0]!.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    });
    assert.match(answer, /^HTTP\/1\.1 200 /);
    for (const s of held) s.destroy();
  } finally {
    server.off('connection', count);
    await b.stop();
    await origin.stop();
  }
});
