/**
 * The malformed corpus against a plain Node 20 http server (default options): records what Node itself
 * answers for each case, which tells the proxy which cases Node already refuses and which Bulwark must
 * handle itself. The table is printed as diagnostics (one line per case) rather than asserted, because
 * it differs between Node releases (llhttp versions); the assertions only check that nothing crashed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MALFORMED_CORPUS, judgeMalformed, malformedCase, runMalformedCorpus } from './malformed.ts';
import { startPlainServer } from '../plain-server.ts';

test('corpus: names are unique snake_case, every case has an expectation and bytes', () => {
  const names = MALFORMED_CORPUS.map((c) => c.name);
  assert.equal(new Set(names).size, names.length);
  for (const c of MALFORMED_CORPUS) {
    assert.match(c.name, /^[a-z0-9_]+$/);
    assert.ok(c.expect.length > 0, c.name);
    assert.ok(c.bytes('h.example').length > 0, c.name);
  }
  assert.throws(() => malformedCase('nope'), { code: 'BULWARK_ERR_DRILL_UNKNOWN_CASE' });
});

test('judge: a second answer is always wrong; close counts only when listed', () => {
  const c = malformedCase('cl_and_te');
  assert.equal(judgeMalformed(c, 400, [400]), true);
  assert.equal(judgeMalformed(c, 400, [400, 200]), false);
  assert.equal(judgeMalformed(c, 200, [200]), false);
  assert.equal(judgeMalformed(c, 'close', []), false);
  assert.equal(judgeMalformed(malformedCase('http_09'), 'close', []), true);
  assert.equal(judgeMalformed(malformedCase('http_09'), 'timeout', []), false);
});

test('corpus against a plain Node 20 http server: what Node refuses by itself', async (t) => {
  const server = await startPlainServer({}, (req, res) => res.end(`reached ${req.method} ${req.url}`));
  try {
    const reached: string[] = [];
    const outcomes = [];
    for (const c of MALFORMED_CORPUS) {
      const before = server.seen.length;
      const result = await runMalformedCorpus({ target: server.url, cases: [c], readTimeoutMs: 1000 });
      outcomes.push(result.outcomes[0]);
      reached.push(server.seen.slice(before).map((s) => `${s.method} ${s.url.slice(0, 20)}`).join(' + '));
    }
    t.diagnostic(`| case | Bulwark must answer | Node ${process.version} answers | reached the handler | Node already as expected |`);
    t.diagnostic('|---|---|---|---|---|');
    outcomes.forEach((o, i) => {
      const extra = o.statuses.length > 1 ? ` (+${o.statuses.slice(1).join(',')})` : '';
      t.diagnostic(`| ${o.name} | ${o.expect.join('/')} | ${o.observed}${extra} | ${reached[i] || '-'} | ${o.asExpected ? 'yes' : 'NO'} |`);
    });
    const refusedByNode = outcomes.filter((o) => o.asExpected).length;
    t.diagnostic(`Node 20 alone answers ${refusedByNode}/${outcomes.length} cases as Bulwark must`);
    // No case may crash the server or leave it unable to serve.
    const after = await runMalformedCorpus({ target: server.url, cases: [], readTimeoutMs: 100 });
    assert.equal(after.outcomes.length, 0);
    assert.ok(outcomes.every((o) => o.observed !== 'connect_failed'));
  } finally {
    await server.close();
  }
});

test('the corpus run stops by itself at its duration bound', async () => {
  const server = await startPlainServer({ headersTimeout: 60_000, requestTimeout: 0 }, () => undefined);
  try {
    const t0 = performance.now();
    const result = await runMalformedCorpus({ target: server.url, readTimeoutMs: 400, bounds: { maxRequests: 100, maxDurationMs: 900, maxSockets: 1 } });
    assert.ok(performance.now() - t0 < 2000);
    assert.equal(result.stoppedBy, 'duration');
    assert.ok(result.outcomes.length < MALFORMED_CORPUS.length);
  } finally {
    await server.close();
  }
});

test('runMalformedCorpus refuses a non-loopback target', async () => {
  await assert.rejects(runMalformedCorpus({ target: 'http://127.0.0.1.nip.io/' }), { code: 'BULWARK_ERR_DRILL_TARGET_NOT_LOOPBACK' });
});
