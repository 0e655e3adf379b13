import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createLimitEvaluator } from './evaluator.ts';
import type { LimitSpec } from './evaluator.ts';
import { createLimiterTable } from './limiter-table.ts';
import { compileKey, createAddressWords, encodeFreeValue, MAX_KEY_PART_CHARS } from './key.ts';
import type { AddressWords, KeyHashing } from './key.ts';
import { createPartHashes } from './part-hash.ts';
import { parseIp } from '../net/ip.ts';
import { compileMatch, compilePathPatterns } from './match.ts';
import type { RequestFacts } from './facts.ts';

const T0 = 1_700_000_000_000;

/** Request facts with defaults; headers from a plain object (lower-case names). */
function facts(over: Partial<Omit<RequestFacts, 'header'>> & { headers?: Record<string, string> } = {}): RequestFacts {
  const headers = over.headers ?? {};
  return {
    address: '203.0.113.7',
    prefix: '203.0.113.0/24',
    asn: 64500,
    country: 'NL',
    fingerprint: 'fp1',
    site: 'www',
    method: 'GET',
    path: '/',
    ...over,
    header: (name) => headers[name],
  };
}

/** Key hashing as an evaluator does it: one part memo, the address parsed once per request. */
function keyHashing(address: AddressWords = createAddressWords()): KeyHashing {
  return { parts: createPartHashes({ seed: Uint32Array.of(7, 9), maxHashChars: MAX_KEY_PART_CHARS }), address };
}

function evaluator(limits: LimitSpec[], maxKeys = 4096) {
  return createLimitEvaluator({ limits, table: createLimiterTable({ maxKeys, seed: 17 }) });
}

describe('compileKey', () => {
  const cases: Array<{ parts: Parameters<typeof compileKey>[1]; f: RequestFacts; key: string }> = [
    { parts: ['address'], f: facts(), key: 'limit:l|203.0.113.7' },
    { parts: ['prefix', 'site'], f: facts(), key: 'limit:l|203.0.113.0/24|www' },
    { parts: ['asn', 'country', 'fingerprint'], f: facts(), key: 'limit:l|64500|NL|fp1' },
    { parts: ['asn', 'country'], f: facts({ asn: null, country: null }), key: 'limit:l|-|-' },
    { parts: ['method', 'path'], f: facts({ method: 'POST', path: '/login' }), key: 'limit:l|4:POST|6:/login' },
    { parts: [{ header: 'X-Api-Key' }], f: facts({ headers: { 'x-api-key': 'k|1' } }), key: 'limit:l|3:k|1' },
    { parts: [{ header: 'x-api-key' }], f: facts(), key: 'limit:l|-' },
    { parts: [], f: facts(), key: 'limit:l|' },
  ];
  for (const c of cases) {
    it(`${JSON.stringify(c.parts)} → ${c.key}`, () => assert.equal(compileKey('l', c.parts).compose(c.f), c.key));
  }

  it('length-prefixes free values so a `|` cannot forge another key, and cuts long ones', () => {
    const two = compileKey('l', [{ header: 'a' }, { header: 'b' }]);
    const f1 = facts({ headers: { a: 'x|y', b: 'z' } });
    const f2 = facts({ headers: { a: 'x', b: 'y|z' } });
    assert.notEqual(two.compose(f1), two.compose(f2));
    const hashOf = (f: RequestFacts): string => {
      const st = new Uint32Array([1, 2]);
      two.hashInto(f, st, keyHashing());
      return `${st[0]}:${st[1]}`;
    };
    assert.notEqual(hashOf(f1), hashOf(f2));
    assert.notEqual(hashOf(facts({ headers: { a: '' } })), hashOf(facts({ headers: {} })), 'absent ≠ empty');
    assert.equal(hashOf(facts({ headers: { a: 'q' } })), hashOf(facts({ headers: { a: 'q' } })));
    const long = 'v'.repeat(10_000);
    assert.equal(encodeFreeValue(long), `10000:${'v'.repeat(MAX_KEY_PART_CHARS)}`);
  });
});

describe('address key part', () => {
  const key = compileKey('l', ['address', 'site']);
  const hashing = keyHashing();
  const hashOf = (f: RequestFacts, address = createAddressWords()): string => {
    const st = new Uint32Array([1, 2]);
    hashing.address = address;
    key.hashInto(f, st, hashing);
    return `${st[0]}:${st[1]}`;
  };
  it('hashes an address the same from facts.ip, from its text and from its text parsed once per evaluation', () => {
    for (const a of ['203.0.113.7', '2001:db8::1', '::1']) {
      const fromText = hashOf(facts({ address: a }));
      assert.equal(hashOf(facts({ address: a, ip: parseIp(a) })), fromText, a);
      const shared = createAddressWords();
      assert.equal(hashOf(facts({ address: a }), shared), fromText);
      assert.equal(hashOf(facts({ address: a }), shared), fromText, 'second key of the same evaluation reuses the parse');
    }
  });
  it('one client, one key: an IPv4-mapped IPv6 address and IPv6 case variants hash as the address they are', () => {
    assert.equal(hashOf(facts({ address: '::ffff:203.0.113.7' })), hashOf(facts({ address: '203.0.113.7' })));
    assert.equal(hashOf(facts({ address: '2001:DB8::A' })), hashOf(facts({ address: '2001:db8::a' })));
  });
  it('keeps addresses, other text and absent parts apart', () => {
    const seen = new Set([
      hashOf(facts({ address: '203.0.113.7' })),
      hashOf(facts({ address: '203.0.113.8' })),
      hashOf(facts({ address: '2001:db8::1' })),
      hashOf(facts({ address: '::203.0.113.7' })),
      hashOf(facts({ address: 'not-an-address' })),
      hashOf(facts({ address: '' })),
    ]);
    assert.equal(seen.size, 6);
  });
});

describe('compilePathPatterns / compileMatch', () => {
  const table: Array<{ patterns: string[]; yes: string[]; no: string[] }> = [
    { patterns: ['/search'], yes: ['/search', '/search/x', '/searches'], no: ['/', '/s'] },
    { patterns: ['=/login'], yes: ['/login'], no: ['/login/', '/logins'] },
    { patterns: ['/api/*/edit'], yes: ['/api/1/edit'], no: ['/api/1/2/edit', '/api/1/edit/x'] },
    { patterns: ['/static/**'], yes: ['/static/a/b.css'], no: ['/stat'] },
    { patterns: ['/file.?s'], yes: ['/file.js', '/file.ts'], no: ['/file.css', '/fileajs'] },
    { patterns: ['~^/user/\\d+$'], yes: ['/user/42'], no: ['/user/x', '/user/42/'] },
    { patterns: ['=/a', '/b', '/c/*'], yes: ['/a', '/bb', '/c/d'], no: ['/ab', '/c/d/e'] },
  ];
  for (const t of table) {
    it(`${t.patterns.join(' ')}`, () => {
      const m = compilePathPatterns(t.patterns);
      for (const p of t.yes) assert.equal(m(p), true, p);
      for (const p of t.no) assert.equal(m(p), false, p);
    });
  }

  it('single-kind lists (one exact path, prefixes only, regexes only) answer as the general predicate', () => {
    /** The documented semantics for the generated patterns (letters and `/` only), written plainly. */
    const one = (p: string, path: string): boolean => {
      if (p[0] === '=') return path === p.slice(1);
      if (p.startsWith('~^')) return path.startsWith(p.slice(2)); // no metacharacters in the generated text
      if (p.endsWith('*')) return path.startsWith(p.slice(0, -1)) && !path.slice(p.length - 1).includes('/');
      return path.startsWith(p);
    };
    const reference = (patterns: readonly string[], path: string): boolean => patterns.some((p) => one(p, path));
    const segment = fc.constantFrom('a', 'b', 'ab', '');
    const path = fc.array(segment, { minLength: 1, maxLength: 3 }).map((xs) => '/' + xs.join('/'));
    const pattern = fc.oneof(path, path.map((p) => '=' + p), path.map((p) => '~^' + p), path.map((p) => p + '*'));
    fc.assert(
      fc.property(fc.array(pattern, { minLength: 1, maxLength: 3 }), fc.array(path, { minLength: 1, maxLength: 5 }), (patterns, paths) => {
        const m = compilePathPatterns(patterns);
        for (const p of paths) assert.equal(m(p), reference(patterns, p), `${JSON.stringify(patterns)} on ${p}`);
      }),
      { numRuns: 500 },
    );
  });

  it('rejects empty and invalid patterns', () => {
    for (const bad of ['', '=', '~', '~(']) assert.throws(() => compilePathPatterns([bad]), { code: 'BULWARK_ERR_RATELIMIT_SPEC' });
  });

  it('needs every present criterion; an empty match is no matcher at all', () => {
    assert.equal(compileMatch(undefined), null);
    assert.equal(compileMatch({ path: [], methods: [] }), null);
    const m = compileMatch({ path: '=/login', methods: ['post'], sites: ['www'] })!;
    assert.equal(m(facts({ path: '/login', method: 'POST' })), true);
    assert.equal(m(facts({ path: '/login', method: 'GET' })), false);
    assert.equal(m(facts({ path: '/login', method: 'POST', site: 'blog' })), false);
  });
});

describe('createLimitEvaluator', () => {
  const perIp: LimitSpec = { name: 'per-ip', average: 10, period: 1000, burst: 5, key: ['address'] };
  const login: LimitSpec = { name: 'login', average: 1, period: 60_000, burst: 2, key: ['address'], match: { path: '=/login', methods: ['POST'] } };

  it('rejects bad specs, naming the limit', () => {
    const bad: Array<[LimitSpec[], RegExp]> = [
      [[{ ...perIp, name: 'has space' }], /limit name/],
      [[perIp, perIp], /used twice/],
      [[{ ...perIp, average: 0 }], /limit per-ip: average/],
      [[{ ...perIp, cost: 6 }], /limit per-ip: cost/],
      [[{ ...perIp, key: ['address', 'address'] }], /appears twice/],
      [[{ ...perIp, key: [{ header: 'bad header' }] }], /invalid header name/],
      [[{ ...perIp, match: { path: '~(' } }], /per-ip: path pattern/],
    ];
    for (const [specs, msg] of bad) assert.throws(() => evaluator(specs), msg);
  });

  it('returns a shared empty verdict when no limit applies', () => {
    const e = evaluator([login]);
    const v = e.evaluate(facts({ path: '/' }), T0);
    assert.equal(v.refused, null);
    assert.equal(v.checks.length, 0);
  });

  it('evaluates every applicable limit and names the first enforced refusal', () => {
    const e = evaluator([perIp, login]);
    const f = facts({ method: 'POST', path: '/login' });
    const seen = [e.evaluate(f, T0), e.evaluate(f, T0), e.evaluate(f, T0)];
    assert.deepEqual(seen.map((v) => v.refused?.name ?? null), [null, null, 'login']);
    assert.deepEqual(seen[0].checks.map((c) => [c.name, c.key]), [
      ['per-ip', 'limit:per-ip|203.0.113.7'],
      ['login', 'limit:login|203.0.113.7'],
    ]);
    assert.equal(seen[2].refused!.result.retryAfterMs, 60_000);
    assert.equal(seen[2].refused!.limit.by, 'limit/login');
  });

  it('is atomic: a request refused by one limit spends nothing from the others', () => {
    const e = evaluator([perIp, login]);
    const post = facts({ method: 'POST', path: '/login' });
    e.evaluate(post, T0);
    e.evaluate(post, T0);
    for (let i = 0; i < 20; i++) assert.equal(e.evaluate(post, T0).refused?.name, 'login');
    // per-ip spent only the 2 admitted requests: 3 of 5 left for other pages.
    const get = e.evaluate(facts(), T0);
    assert.equal(get.refused, null);
    assert.equal(get.checks[0].result.remaining, 2);
  });

  it('shadow limits count as if enforced alone but never refuse', () => {
    const e = evaluator([{ ...login, name: 'login-shadow', shadow: true, match: undefined }, perIp]);
    const results = [];
    for (let i = 0; i < 4; i++) results.push(e.evaluate(facts(), T0));
    assert.deepEqual(results.map((v) => v.refused), [null, null, null, null]);
    assert.deepEqual(results.map((v) => v.checks[0].result.allowed), [true, true, false, false]);
    assert.deepEqual(results.map((v) => v.checks[1].result.remaining), [4, 3, 2, 1]);
    // A request refused by an enforced limit is still counted by a shadow limit that would admit it.
    const e2 = evaluator([{ ...perIp, name: 'big-shadow', burst: 100, shadow: true }, { ...perIp, burst: 1 }]);
    e2.evaluate(facts(), T0);
    const v = e2.evaluate(facts(), T0);
    assert.equal(v.refused?.name, 'per-ip');
    assert.equal(v.checks[0].result.remaining, 98);
  });

  it('keys per prefix catch an IPv6 /64 rotation that per-address limits miss', () => {
    const e = evaluator([
      { name: 'per-ip', average: 10, burst: 10, key: ['address'] },
      { name: 'per-64', average: 10, burst: 20, key: ['prefix'] },
    ]);
    let refusedBy = '';
    let n = 0;
    for (; n < 100 && refusedBy === ''; n++) {
      const v = e.evaluate(facts({ address: `2001:db8::${n.toString(16)}`, prefix: '2001:db8::/64' }), T0);
      refusedBy = v.refused?.name ?? '';
    }
    assert.equal(refusedBy, 'per-64');
    assert.equal(n, 21);
  });

  it('peek decides like evaluate and records nothing', () => {
    const e = evaluator([perIp]);
    for (let i = 0; i < 10; i++) assert.equal(e.peek(facts(), T0).checks[0].result.remaining, 4);
    assert.equal(e.evaluate(facts(), T0).checks[0].result.remaining, 4);
    assert.equal(e.peek(facts(), T0).checks[0].result.remaining, 3);
  });

  it('a slot claimed in phase two cannot evict a key found idle in phase one (no reset)', () => {
    // Capacity 16 = two buckets: every key may use every slot, so the eviction victim is predictable.
    const e = createLimitEvaluator({
      table: createLimiterTable({ maxKeys: 16, seed: 5 }),
      limits: [
        { name: 'by-path', average: 1000, burst: 1000, key: ['path'], match: { path: '/p' } },
        { name: 'per-ip', average: 1, period: 1000, burst: 1, key: ['address'] },
      ],
    });
    e.evaluate(facts({ address: 'victim' }), T0); // victim's TAT = T0 + 1000: the oldest entry
    for (let i = 1; i < 16; i++) e.evaluate(facts({ address: `other-${i}` }), T0 + i); // busy until T0 + 1000 + i
    // At T0 + 1000 victim's entry is idle, the only evictable one; this request claims a slot for the
    // new path key *and* records victim's per-ip request. Written in the wrong order, the claim would
    // take victim's slot and victim would come back with a fresh bucket.
    assert.equal(e.evaluate(facts({ address: 'victim', path: '/p1' }), T0 + 1000).refused, null);
    assert.equal(e.evaluate(facts({ address: 'victim' }), T0 + 1000).refused?.name, 'per-ip');
  });

  it('figures read late are those of the moment of the decision (they are computed lazily)', () => {
    const e = evaluator([perIp, { name: 'shadow-ip', average: 2, burst: 3, key: ['address'], shadow: true }]);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('a', 'b'), fc.integer({ min: 0, max: 400 })), { minLength: 1, maxLength: 40 }), (steps) => {
        const kept: Array<{ verdict: ReturnType<typeof e.evaluate>; expected: unknown }> = [];
        let now = T0;
        for (const [address, dt] of steps) {
          now += dt;
          const expected = e.peek(facts({ address }), now).checks.map((c) => ({ ...c.result }));
          kept.push({ verdict: e.evaluate(facts({ address }), now), expected });
        }
        // Read after every later request has changed the table: still what phase one saw.
        for (const k of kept) {
          assert.deepEqual(k.verdict.checks.map((c) => ({ ...c.result })), k.expected);
          for (const c of k.verdict.checks) assert.equal(c.allowed, c.result.allowed);
          assert.equal(k.verdict.refused, k.verdict.checks.find((c) => !c.shadow && !c.result.allowed) ?? null);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('applies cost', () => {
    const e = evaluator([{ name: 'search', average: 10, burst: 10, cost: 4, key: ['address'] }]);
    assert.deepEqual([0, 1, 2].map(() => e.evaluate(facts(), T0).refused?.name ?? 'ok'), ['ok', 'ok', 'search']);
  });
});

describe('createLimitEvaluator under table pressure (property)', () => {
  it('every limit keeps rate × t + burst per key while a tiny table evicts and falls back', () => {
    const specs: LimitSpec[] = [
      { name: 'per-ip', average: 5, period: 1000, burst: 3, key: ['address'] },
      { name: 'per-24', average: 8, period: 1000, burst: 6, key: ['prefix'] },
      { name: 'login', average: 1, period: 2000, burst: 2, key: ['address'], match: { path: '=/login' } },
      { name: 'watch', average: 2, period: 1000, burst: 1, key: ['fingerprint'], shadow: true },
    ];
    const requests = fc.array(
      fc.record({ dt: fc.integer({ min: 0, max: 60 }), ip: fc.integer({ min: 0, max: 40 }), login: fc.boolean(), fp: fc.integer({ min: 0, max: 3 }) }),
      { minLength: 1, maxLength: 250 },
    );
    fc.assert(
      fc.property(requests, fc.integer({ min: 0, max: 2 ** 31 }), (reqs, seed) => {
        const e = createLimitEvaluator({ limits: specs, table: createLimiterTable({ maxKeys: 16, seed, sketchWidth: 16, sketchDepth: 2 }) });
        const admitted = new Map<string, number[]>();
        let now = T0;
        for (const r of reqs) {
          now += r.dt;
          const f = facts({ address: `10.0.${r.ip % 5}.${r.ip}`, prefix: `10.0.${r.ip % 5}.0/24`, path: r.login ? '/login' : '/', fingerprint: `fp${r.fp}` });
          const v = e.evaluate(f, now);
          for (const c of v.checks) {
            // What the table recorded: enforced limits when the request passed, shadow limits on their own.
            if (c.result.allowed && (c.shadow || v.refused === null)) {
              const times = admitted.get(c.key) ?? [];
              times.push(now);
              admitted.set(c.key, times);
            }
          }
        }
        for (const [key, times] of admitted) {
          const spec = specs.find((s) => key.startsWith(`limit:${s.name}|`))!;
          for (let i = 0; i < times.length; i++) {
            for (let j = i; j < times.length; j++) {
              const bound = (spec.average * (times[j] - times[i])) / (spec.period ?? 1000) + (spec.burst ?? 1);
              assert.ok(j - i + 1 <= bound + 1e-9, `${key}: ${j - i + 1} admitted in ${times[j] - times[i]} ms`);
            }
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});
