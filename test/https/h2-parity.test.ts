/**
 * HTTP/2 and HTTP/1.1 on one TLS port give the same answers: a table of requests — pass-through, cache
 * (miss, then hit), rules (block, challenge), rate limits, unknown host, oversized body, HEAD, POST
 * bodies with and without Content-Length, the whole challenge flow to a clearance, a ban — is sent over
 * both protocols, each from its own source address so both start from the same state, and the answers
 * (status, the fields that carry a decision, the body) and the records (outcome, decision, cache
 * status) must match. The records, the access log and /stats name the protocol.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import type http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { solvePow } from '../../src/core/challenge/pow.ts';
import { readChallengeForm } from '../../src/drill/visitors/challenge-solvers.ts';
import type { RequestRecord } from '../../src/telemetry/request-record.ts';
import { h1Request, h2Request, h2Session, startHttpsBulwark, until, type Answer, type HttpsBulwark, type Req } from '../helpers/https.ts';
import { startSimpleOrigin, type SimpleOrigin } from '../helpers/simple-origin.ts';

const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';
const BROWSER = { 'user-agent': UA, accept: 'text/html,application/xhtml+xml' };
const logDir = mkdtempSync(join(tmpdir(), 'bulwark-h2-log-'));
let origin: SimpleOrigin;
const bodies: string[] = [];
let b: HttpsBulwark;

before(async () => {
  origin = await startSimpleOrigin((req, res) => {
    let body = '';
    req.setEncoding('latin1');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      bodies.push(body);
      const cached = req.url!.startsWith('/cached');
      const text = `origin saw ${req.method} ${req.url} body=${body.length}:${body.slice(0, 20)}`;
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text), 'cache-control': cached ? 'public, max-age=60' : 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : text);
    });
  });
  b = await startHttpsBulwark({
    origin: origin.url,
    log: { level: 'silent', access_log: { path: join(logDir, 'access.log'), format: 'json' } },
    sites: [
      {
        name: 'alpha',
        hosts: ['alpha.test'],
        origins: [origin.url],
        max_body_bytes: 1000,
        tls: { cert: `${process.cwd()}/test/fixtures/tls/alpha.test.crt`, key: `${process.cwd()}/test/fixtures/tls/alpha.test.key` },
        challenge: { difficulty: { normal: 8 } },
        policy: {
          rules: [
            { name: 'block-wp', match: { path: '/wp-admin' }, action: 'block' },
            { name: 'challenge-scanners', match: { user_agent: '(?i)sqlmap' }, action: 'challenge' },
            { name: 'members', match: { path: '/members' }, action: 'challenge' },
          ],
          limits: [{ name: 'limited', average: 3, period: '1m', burst: 3, key: ['address'], match: { path: '/limited' } }],
        },
      },
    ],
  });
});
after(async () => {
  await b.stop();
  await origin.close();
});

/** The parts of an answer that must be the same over both protocols (request IDs masked). */
function essence(a: Answer): Record<string, unknown> {
  const h = a.headers;
  const id = h['x-request-id'] ?? '';
  return {
    status: a.status,
    type: h['content-type'],
    cache: h['x-bulwark-cache'],
    challenge: h['x-bulwark-challenge'],
    cacheControl: h['cache-control'],
    retryAfter: h['retry-after'] !== undefined,
    rateLimit: h.ratelimit?.replace(/t=\d+/, 't=*'),
    setCookie: h['set-cookie'] === undefined ? undefined : h['set-cookie'].replace(/=[^;]*/, '=*').replace(/Expires=[^;]*/i, 'Expires=*'),
    location: h.location,
    body: (id === '' ? a.body : a.body.split(id).join('<id>')).replace(/via-h[12]/g, 'via-hN').replace(/(content="|bw-count">|bw-delay:)\d+/g, '$1<s>').replace(/name="(token|seed)" value="[^"]*"/g, 'name="$1" value="*"'),
  };
}

/** The fields of a record that must be the same over both protocols. */
function recordEssence(r: RequestRecord): Record<string, unknown> {
  return { outcome: r.outcome, status: r.status, decisionBy: r.decisionBy, cacheStatus: r.cacheStatus, errorCode: r.errorCode, method: r.method, path: r.path.replace(/via-h[12]/, 'via-hN'), challenge: r.challenge, cleared: r.cleared };
}

/** Runs `steps` over one protocol from `address`; returns each answer's essence and the records. */
async function run(protocol: '1.1' | '2', address: string, steps: readonly Req[]): Promise<{ answers: Record<string, unknown>[]; records: Record<string, unknown>[] }> {
  let session: http2.ClientHttp2Session | null = null;
  if (protocol === '2') session = await h2Session(b.httpsPort, address);
  const answers: Record<string, unknown>[] = [];
  const tag = protocol === '2' ? 'via-h2' : 'via-h1';
  for (const s of steps) {
    const step = { ...s, path: s.path.replace('{p}', tag) };
    let a: Answer;
    if (protocol === '2') {
      // HTTP/2 names the host in :authority.
      const { host, ...headers } = step.headers ?? {};
      a = await h2Request(session!, { ...step, headers }, host ?? 'alpha.test');
    } else a = await h1Request(b.httpsPort, step, address);
    assert.equal(a.protocol, protocol === '2' ? '2.0' : '1.1');
    answers.push(essence(a));
  }
  session?.close();
  await until(() => b.records.filter((r) => r.clientAddress === address).length >= steps.length);
  const mine = b.records.filter((r) => r.clientAddress === address);
  assert.ok(mine.every((r) => r.httpVersion === (protocol === '2' ? '2.0' : '1.1')), 'records name the protocol');
  return { answers, records: mine.map(recordEssence) };
}

const TABLE: [name: string, steps: Req[]][] = [
  ['pass-through', [{ path: '/page/{p}', headers: BROWSER }]],
  ['cache: misses until admitted, then hits', [1, 2, 3, 4].map(() => ({ path: '/cached/{p}', headers: BROWSER }))],
  ['rule: block', [{ path: '/wp-admin/{p}', headers: BROWSER }]],
  ['rule: challenge (scanner user agent)', [{ path: '/{p}', headers: { ...BROWSER, 'user-agent': 'sqlmap/1.7' } }]],
  ['rate limit: burst of 3, then 429 with Retry-After and RateLimit', [1, 2, 3, 4, 5].map(() => ({ path: '/limited/{p}', headers: BROWSER }))],
  ['unknown host: 421', [{ path: '/{p}', headers: { ...BROWSER, host: 'unknown.test' } }]],
  ['HEAD', [{ method: 'HEAD', path: '/page/{p}', headers: BROWSER }]],
  ['POST with Content-Length', [{ method: 'POST', path: '/form/{p}', headers: { ...BROWSER, 'content-type': 'application/x-www-form-urlencoded', 'content-length': '11' }, body: 'name=value!' }]],
  ['POST over max_body_bytes: 413', [{ method: 'POST', path: '/form/{p}', headers: { ...BROWSER, 'content-length': '2000' }, body: 'x'.repeat(2000) }]],
];

describe('HTTP/2 and HTTP/1.1 on one port give the same answers', () => {
  let n = 1;
  for (const [name, steps] of TABLE) {
    it(name, async () => {
      const k = n++;
      const h1 = await run('1.1', `127.0.21.${k}`, steps);
      const h2 = await run('2', `127.0.22.${k}`, steps);
      assert.deepEqual(h2.answers, h1.answers);
      assert.deepEqual(h2.records, h1.records);
    });
  }

  it('the challenge flow to a clearance works the same way', async () => {
    const flow = async (protocol: '1.1' | '2', address: string) => {
      const session = protocol === '2' ? await h2Session(b.httpsPort, address) : null;
      const send = (r: Req) => (session !== null ? h2Request(session, r) : h1Request(b.httpsPort, r, address));
      const page = await send({ path: '/members/area', headers: BROWSER });
      const form = readChallengeForm(page.body)!;
      const found = solvePow(form.seed, form.work, { maxIterations: 1 << 24 })!;
      const answer = new URLSearchParams({ token: form.token, return: form.returnPath, solution: found.solution }).toString();
      const verify = await send({ method: 'POST', path: '/.bulwark/challenge/verify', headers: { ...BROWSER, 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(answer.length) }, body: answer });
      const cookie = verify.headers['set-cookie']!.split(';')[0]!;
      const back = await send({ path: verify.headers.location!, headers: { ...BROWSER, cookie } });
      const after = await send({ path: '/members/area', headers: { ...BROWSER, cookie } });
      session?.close();
      return [page, verify, back, after].map((a) => ({ status: a.status, challenge: a.headers['x-bulwark-challenge'], cookie: a.headers['set-cookie'] !== undefined, location: a.headers.location }));
    };
    const h1 = await flow('1.1', '127.0.23.1');
    const h2 = await flow('2', '127.0.23.2');
    assert.deepEqual(h2, h1);
    assert.deepEqual(h1.map((s) => s.status), [403, 303, 303, 200]);
  });

  it('a banned address is dropped at accept over both protocols', async () => {
    const bans = b.bulwark.runtime().services.stores.bans;
    for (const key of ['127.0.24.1', '127.0.24.2']) await bans.add({ key, scope: 'address', reason: 'test', by: 'test', level: 1, createdAtMs: Date.now(), untilMs: Date.now() + 60_000, source: 'manual' }, { actor: 'cli', nowMs: Date.now() });
    await bans.sync();
    await assert.rejects(h1Request(b.httpsPort, { path: '/' }, '127.0.24.1'));
    await assert.rejects(h2Session(b.httpsPort, '127.0.24.2'));
  });

  it('the request bodies reached the origin the same way', () => {
    const forms = bodies.filter((x) => x === 'name=value!');
    assert.equal(forms.length, 2);
  });

  it('a body without Content-Length (HTTP/2 frames it) is forwarded whole', async () => {
    const session = await h2Session(b.httpsPort, '127.0.25.1');
    const a = await h2Request(session, { method: 'POST', path: '/stream', headers: BROWSER, body: 'a'.repeat(500) });
    session.close();
    assert.equal(a.status, 200);
    assert.match(a.body, /body=500:a{20}/);
  });

  it('the access log and /stats name the protocol', async () => {
    await until(() => readFileSync(join(logDir, 'access.log'), 'utf8').includes('"http_version":"2.0"'));
    const lines = readFileSync(join(logDir, 'access.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { http_version: string });
    assert.ok(lines.some((l) => l.http_version === '2.0') && lines.some((l) => l.http_version === '1.1'));
    const site = (b.bulwark.stats() as { sites: { site: string; protocols: Record<string, number> }[] }).sites.find((s) => s.site === 'alpha')!;
    assert.ok(site.protocols['2.0']! > 10 && site.protocols['1.1']! > 10, JSON.stringify(site.protocols));
  });
});
