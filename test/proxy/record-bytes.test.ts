/**
 * The record's byte counts over real sockets, for the two ways a request is recorded: at once when the
 * pipeline answered before returning (429 pages here), and on the response's close (forwarded), on one
 * keep-alive connection: one request at a time (exact per record), then pipelined (a queued answer must
 * not be recorded before it reaches the socket, or bytes would be lost or counted twice).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startBulwark, type TestBulwark } from '../helpers/bulwark.ts';
import { rawExchange } from '../helpers/raw-http.ts';
import { startSimpleOrigin, type SimpleOrigin } from '../helpers/simple-origin.ts';
import type { RequestRecord } from '../../src/telemetry/request-record.ts';

let origin: SimpleOrigin;
let b: TestBulwark;

before(async () => {
  origin = await startSimpleOrigin();
  b = await startBulwark({
    policy: { escalation: { enabled: false } },
    sites: [
      { name: 'open', hosts: ['open.test'], origins: [origin.url] },
      ...['one', 'two'].map((n) => ({ name: n, hosts: [`${n}.test`], origins: [origin.url], policy: { limits: [{ name: 'hourly', average: 1, period: '1h', burst: 1, key: ['site'] }] } })),
    ],
  });
});

after(async () => {
  await b.stop();
  await origin.close();
});

/** Splits what the server sent into whole responses (every one here has a Content-Length). */
function responses(text: string, partialOk = false): string[] {
  const out: string[] = [];
  let at = 0;
  while (at < text.length) {
    const headEnd = text.indexOf('\r\n\r\n', at);
    const length = headEnd === -1 ? 0 : Number(/\r\ncontent-length: (\d+)/i.exec(text.slice(at, headEnd))?.[1] ?? 0);
    if (headEnd === -1 || headEnd + 4 + length > text.length) {
      assert.ok(partialOk, 'whole responses');
      break;
    }
    out.push(text.slice(at, headEnd + 4 + length));
    at = headEnd + 4 + length;
  }
  return out;
}

/** Five requests; `tight` is a site that admits one request an hour (each test has its own). */
const heads = (tight: string): string[] => [
  `GET /a HTTP/1.1\r\nHost: ${tight}\r\n\r\n`, // admitted: forwarded, recorded on close
  `GET /b HTTP/1.1\r\nHost: ${tight}\r\nX-Pad: 1\r\n\r\n`, // 429, answered at once
  `GET /c HTTP/1.1\r\nHost: ${tight}\r\nX-Pad: 22\r\n\r\n`, // 429
  'GET /d HTTP/1.1\r\nHost: open.test\r\nX-Pad: 333\r\n\r\n', // forwarded
  `GET /e HTTP/1.1\r\nHost: ${tight}\r\nX-Pad: 4444\r\n\r\n`, // 429 after a forwarded one
];
const STATUSES = [200, 429, 429, 200, 429];

/** Sends each head on one keep-alive connection after the previous answer arrived; returns the answers. */
function sequential(port: number, heads: readonly string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const answers: string[] = [];
    let buffered = '';
    socket.on('error', reject);
    socket.on('connect', () => socket.write(heads[0]!));
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      const whole = responses(buffered, true);
      if (whole.length === 0) return;
      answers.push(whole[0]!);
      buffered = buffered.slice(whole[0]!.length);
      if (answers.length === heads.length) {
        socket.destroy();
        resolve(answers);
      } else socket.write(heads[answers.length]!);
    });
  });
}

async function recorded(sent: readonly string[], run: () => Promise<string[]>): Promise<{ answers: string[]; records: RequestRecord[] }> {
  const records: RequestRecord[] = [];
  b.bulwark.recorder.addSink('test', (r) => records.push(r));
  try {
    const answers = await run();
    await new Promise((r) => setTimeout(r, 50));
    return { answers, records: sent.map((h) => records.find((r) => r.path === h.slice(4, 6))!) };
  } finally {
    b.bulwark.recorder.removeSink('test');
  }
}

test('one request at a time on a keep-alive connection: each record has its own bytes in and out', async () => {
  const HEADS = heads('one.test');
  const { answers, records } = await recorded(HEADS, () => sequential(b.port, HEADS));
  assert.deepEqual(answers.map((a) => Number(a.slice(9, 12))), STATUSES);
  records.forEach((r, i) => {
    assert.ok(r !== undefined, `a record for ${HEADS[i]!.slice(4, 6)}`);
    assert.equal(r.status, STATUSES[i]);
    assert.equal(r.bytesIn, HEADS[i]!.length, `bytesIn of ${r.path}`);
    assert.equal(r.bytesOut, answers[i]!.length, `bytesOut of ${r.path}`);
  });
  assert.equal(records[1]!.outcome, 'limited');
});

test('pipelined requests: the records together account for every byte, none twice', async () => {
  // Socket counters cannot split bytes that arrived in one read between pipelined requests; what must
  // hold is that nothing is lost or counted twice (a queued answer must not be recorded early).
  const HEADS = heads('two.test');
  const { answers, records } = await recorded(HEADS, async () => responses((await rawExchange(b.port, HEADS.join(''), { idleMs: 500 })).text));
  assert.deepEqual(answers.map((a) => Number(a.slice(9, 12))), STATUSES);
  assert.equal(records.filter((r) => r !== undefined).length, HEADS.length);
  assert.equal(records.reduce((n, r) => n + r.bytesIn, 0), HEADS.join('').length);
  assert.equal(records.reduce((n, r) => n + r.bytesOut, 0), answers.join('').length);
});
