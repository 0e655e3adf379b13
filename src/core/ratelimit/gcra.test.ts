import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { assertCost, compileGcra, gcraDecide, gcraNextTat } from './gcra.ts';
import type { GcraLimit, GcraSpec, RateLimitResult } from './gcra.ts';
import { createLimiterTable } from './limiter-table.ts';

/** Feed (time, cost) requests to one key through pure GCRA; return each result. */
function run(limit: GcraLimit, requests: Array<[number, number?]>): RateLimitResult[] {
  let tat = -Infinity;
  return requests.map(([t, cost = 1]) => {
    const r = gcraDecide(tat, t, limit, cost);
    if (r.allowed) tat = gcraNextTat(tat, t, limit, cost);
    return r;
  });
}

describe('compileGcra', () => {
  it('uses Traefik defaults: period 1 s, burst 1', () => {
    const l = compileGcra({ average: 10 });
    assert.deepEqual(l, { average: 10, period: 1000, burst: 1, intervalMs: 100, toleranceMs: 100 });
  });

  it('rejects invalid specs with BULWARK_ERR_RATELIMIT_SPEC', () => {
    const bad: GcraSpec[] = [
      { average: 0 },
      { average: -1 },
      { average: Number.NaN },
      { average: Infinity },
      { average: 1, period: 0 },
      { average: 1, burst: 0 },
      { average: 1, burst: 1.5 },
    ];
    for (const spec of bad) assert.throws(() => compileGcra(spec), { code: 'BULWARK_ERR_RATELIMIT_SPEC' }, JSON.stringify(spec));
  });

  it('rejects a cost that could never be admitted', () => {
    const l = compileGcra({ average: 1, burst: 3 });
    for (const cost of [0, -1, 3.5, 4, Number.NaN]) assert.throws(() => assertCost(l, cost), { code: 'BULWARK_ERR_RATELIMIT_COST' });
    assertCost(l, 3);
    assertCost(l, 0.5);
  });
});

describe('gcraDecide (fake clock)', () => {
  const cases: Array<{ name: string; spec: GcraSpec; requests: Array<[number, number?]>; expect: Array<Partial<RateLimitResult>> }> = [
    {
      name: 'burst 3 at one instant, then refused with the exact wait',
      spec: { average: 10, period: 1000, burst: 3 },
      requests: [[0], [0], [0], [0], [50], [100]],
      expect: [
        { allowed: true, remaining: 2, resetMs: 100, retryAfterMs: 0, limit: 3 },
        { allowed: true, remaining: 1, resetMs: 200 },
        { allowed: true, remaining: 0, resetMs: 300 },
        { allowed: false, remaining: 0, retryAfterMs: 100, resetMs: 300 },
        { allowed: false, retryAfterMs: 50, resetMs: 250 },
        { allowed: true, remaining: 0, resetMs: 300 },
      ],
    },
    {
      name: 'steady rate at exactly the average is always admitted',
      spec: { average: 2, period: 1000, burst: 1 },
      requests: [[0], [500], [1000], [1500], [1999]],
      expect: [{ allowed: true }, { allowed: true }, { allowed: true }, { allowed: true }, { allowed: false, retryAfterMs: 1 }],
    },
    {
      name: 'a fractional interval (1000/3 ms) still admits the whole burst at once',
      spec: { average: 3, period: 1000, burst: 3 },
      requests: [[0], [0], [0], [0], [334]],
      expect: [{ allowed: true }, { allowed: true }, { allowed: true, remaining: 0 }, { allowed: false, retryAfterMs: 334 }, { allowed: true }],
    },
    {
      name: 'cost counts several units; a refused costly request consumes nothing',
      spec: { average: 1, period: 1000, burst: 5 },
      requests: [[0, 3], [0, 3], [0, 2], [0, 1]],
      expect: [
        { allowed: true, remaining: 2 },
        { allowed: false, remaining: 2, retryAfterMs: 1000 },
        { allowed: true, remaining: 0 },
        { allowed: false },
      ],
    },
    {
      name: 'an idle key is back to a full bucket',
      spec: { average: 1, period: 60_000, burst: 2 },
      requests: [[0], [0], [0], [120_000], [120_000], [120_000]],
      expect: [{ allowed: true }, { allowed: true }, { allowed: false, retryAfterMs: 60_000 }, { allowed: true, remaining: 1 }, { allowed: true }, { allowed: false }],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const results = run(compileGcra(c.spec), c.requests);
      c.expect.forEach((want, i) => {
        for (const [k, v] of Object.entries(want)) assert.equal(results[i][k as keyof RateLimitResult], v, `request ${i} ${k}`);
      });
    });
  }
});

/** Arbitrary spec + arrival sequence (ms deltas between requests, costs ≤ burst). */
const scenario = fc
  .record({
    average: fc.integer({ min: 1, max: 50 }),
    period: fc.integer({ min: 1, max: 5000 }),
    burst: fc.integer({ min: 1, max: 20 }),
  })
  .chain((spec) =>
    fc.record({
      spec: fc.constant(spec),
      arrivals: fc.array(fc.tuple(fc.integer({ min: 0, max: Math.ceil((2 * spec.period) / spec.average) }), fc.integer({ min: 1, max: spec.burst })), {
        minLength: 1,
        maxLength: 300,
      }),
    }),
  );

/** Assert that in every window [a_i, a_j] of admitted requests the admitted units ≤ rate·t + burst. */
function assertBound(spec: Required<GcraSpec>, admitted: Array<[number, number]>): void {
  for (let i = 0; i < admitted.length; i++) {
    let units = 0;
    for (let j = i; j < admitted.length; j++) {
      units += admitted[j][1];
      const t = admitted[j][0] - admitted[i][0];
      const bound = (spec.average * t) / spec.period + spec.burst;
      assert.ok(units <= bound + 1e-9, `${units} units admitted in ${t} ms; bound ${bound}`);
    }
  }
}

describe('GCRA admission bound (property): never more than rate × t + burst in any window t', () => {
  it('holds for pure GCRA on any arrival sequence', () => {
    fc.assert(
      fc.property(scenario, ({ spec, arrivals }) => {
        const limit = compileGcra(spec);
        let now = 1_700_000_000_000;
        let tat = -Infinity;
        const admitted: Array<[number, number]> = [];
        for (const [dt, cost] of arrivals) {
          now += dt;
          if (gcraDecide(tat, now, limit, cost).allowed) {
            tat = gcraNextTat(tat, now, limit, cost);
            admitted.push([now, cost]);
          }
        }
        assertBound(spec, admitted);
      }),
      { numRuns: 300 },
    );
  });

  it('holds through a tiny limiter table flooded by other keys (eviction and sketch fallback)', () => {
    fc.assert(
      fc.property(scenario, fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 2 ** 31 }), ({ spec, arrivals }, noisePerStep, seed) => {
        const limit = compileGcra(spec);
        const table = createLimiterTable({ maxKeys: 16, seed, sketchWidth: 16, sketchDepth: 2 });
        let now = 1_700_000_000_000;
        let noise = 0;
        const admitted: Array<[number, number]> = [];
        for (const [dt, cost] of arrivals) {
          now += dt;
          for (let k = 0; k < noisePerStep; k++) table.check(`limit:x|noise-${noise++}`, limit, now);
          if (table.check('limit:x|attacker', limit, now, cost).allowed) admitted.push([now, cost]);
        }
        assertBound(spec, admitted);
      }),
      { numRuns: 150 },
    );
  });
});
