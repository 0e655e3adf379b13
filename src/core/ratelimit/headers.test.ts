import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLimitEvaluator } from './evaluator.ts';
import { createLimiterTable } from './limiter-table.ts';
import { rateLimitDecision, rateLimitFields, retryAfterSeconds } from './headers.ts';
import type { RequestFacts } from './facts.ts';

const T0 = 1_700_000_000_000;
const f: RequestFacts = {
  address: '198.51.100.4',
  prefix: '198.51.100.0/24',
  asn: null,
  country: null,
  fingerprint: 'x',
  site: 'www',
  method: 'GET',
  path: '/',
  header: () => undefined,
};

function make() {
  return createLimitEvaluator({
    table: createLimiterTable({ maxKeys: 64, seed: 1 }),
    limits: [
      { name: 'per-ip', average: 10, period: 1000, burst: 20, key: ['address'] },
      { name: 'per-24', average: 100, period: 60_000, burst: 3, key: ['prefix'] },
      { name: 'watch', average: 1, burst: 1, key: ['address'], shadow: true },
    ],
  });
}

describe('retryAfterSeconds', () => {
  const cases: Array<[number, number]> = [
    [0, 1],
    [1, 1],
    [999, 1],
    [1000, 1],
    [1001, 2],
    [59_500, 60],
  ];
  for (const [ms, s] of cases) it(`${ms} ms → ${s} s`, () => assert.equal(retryAfterSeconds({ allowed: false, remaining: 0, retryAfterMs: ms, resetMs: ms, limit: 1 }), s));
});

describe('rateLimitFields', () => {
  it('advertises every enforced limit when admitted (never shadow ones)', () => {
    const v = make().evaluate(f, T0);
    assert.deepEqual(rateLimitFields(v), {
      'ratelimit-policy': '"per-ip";q=20;w=2, "per-24";q=3;w=2',
      ratelimit: '"per-ip";r=19;t=1, "per-24";r=2;t=1',
    });
  });

  it('on a refusal gives Retry-After and the refusing policy only', () => {
    const e = make();
    for (let i = 0; i < 3; i++) e.evaluate(f, T0);
    const v = e.evaluate(f, T0 + 100);
    assert.equal(v.refused?.name, 'per-24');
    assert.deepEqual(rateLimitFields(v), { 'ratelimit-policy': '"per-24";q=3;w=2', ratelimit: '"per-24";r=0;t=2', 'retry-after': '1' });
    assert.deepEqual(rateLimitDecision(v.refused!), { action: 'rate_limit', by: 'limit/per-24', retryAfterS: 1, limit: 3, remaining: 0, resetS: 2 });
  });

  it('is empty when only shadow limits applied', () => {
    const e = createLimitEvaluator({ table: createLimiterTable({ maxKeys: 8, seed: 1 }), limits: [{ name: 's', average: 1, key: [], shadow: true }] });
    assert.deepEqual(rateLimitFields(e.evaluate(f, T0)), {});
  });
});
