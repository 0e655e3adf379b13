/**
 * Shared rate limits (limit-journal.ts): processes that exchange their journals admit, together, what one
 * process would admit — within the documented overshoot bound — and without the exchange they would admit
 * once per process. Property-tested over random limits, arrival patterns and process counts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compileGcra, createLimiterTable, createLimitEvaluator, type LimitSpec } from '../core/ratelimit/index.ts';
import type { RequestFacts } from '../core/ratelimit/facts.ts';
import { createJournaledTable } from './limit-journal.ts';

const SEED = 12345;

function facts(address: string): RequestFacts {
  return { address, prefix: '', asn: null, country: null, fingerprint: '', site: 's', method: 'GET', path: '/', header: () => undefined } as unknown as RequestFacts;
}

/** `n` processes with one limit each, on tables sharing the seed; `exchange` every `intervalMs`. */
function deployment(n: number, spec: LimitSpec, exchange: boolean) {
  const tables = Array.from({ length: n }, () => createJournaledTable(createLimiterTable({ maxKeys: 1024, seed: SEED })));
  const evaluators = tables.map((table) => createLimitEvaluator({ limits: [spec], table }));
  return {
    /** One request at process `p`; true when admitted. */
    request(p: number, address: string, nowMs: number): boolean {
      return evaluators[p]!.evaluate(facts(address), nowMs).refused === null;
    },
    exchange(nowMs: number) {
      if (!exchange) return;
      const journals = tables.map((t) => t.take());
      journals.forEach((j, from) => {
        if (j === null) return;
        tables.forEach((t, to) => {
          if (to !== from) t.apply(j, nowMs);
        });
      });
    },
  };
}

describe('limits shared between processes', () => {
  it('counts a client once across processes that exchange journals (property, with the overshoot bound)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 4 }),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 20, max: 200 }),
        fc.array(fc.nat(3), { minLength: 50, maxLength: 400 }),
        (n, average, burst, intervalMs, targets) => {
          const spec: LimitSpec = { name: 'per-address', average, burst, key: ['address'] };
          const limit = compileGcra(spec);
          const shared = deployment(n, spec, true);
          const alone = deployment(n, spec, false);
          const stepMs = 5;
          let admittedShared = 0;
          let admittedAlone = 0;
          let t = 1_000_000;
          let lastExchange = t;
          for (const target of targets) {
            t += stepMs;
            if (t - lastExchange >= intervalMs) {
              shared.exchange(t);
              lastExchange = t;
            }
            if (shared.request(target % n, '203.0.113.7', t)) admittedShared++;
            if (alone.request(target % n, '203.0.113.7', t)) admittedAlone++;
          }
          const windowMs = targets.length * stepMs;
          const oneProcess = (limit.average * windowMs) / limit.period + limit.burst;
          // Each other process may have admitted, unseen, at most its bucket's room during one interval.
          const perOther = Math.min(limit.burst + (limit.average * (intervalMs + stepMs)) / limit.period, (intervalMs + stepMs) / stepMs);
          const bound = oneProcess + (n - 1) * perOther;
          assert.ok(admittedShared <= Math.ceil(bound) + 1, `shared admitted ${admittedShared} > bound ${bound}`);
          assert.ok(admittedShared <= admittedAlone, 'sharing never admits more than not sharing');
        },
      ),
      { numRuns: 60 },
    );
  });

  it('without the exchange, each process admits the full limit (what sharing prevents)', () => {
    const spec: LimitSpec = { name: 'per-address', average: 10, burst: 10, key: ['address'] };
    for (const exchange of [false, true]) {
      const d = deployment(3, spec, exchange);
      let admitted = 0;
      for (let i = 0; i < 300; i++) {
        const t = 1_000_000 + i * 10;
        if (i % 10 === 0) d.exchange(t);
        if (d.request(i % 3, '198.51.100.1', t)) admitted++;
      }
      // 3 s at 10/s + burst 10 = 40 for one process.
      if (exchange) assert.ok(admitted <= 40 + 2 * 11, `shared: ${admitted}`);
      else assert.ok(admitted >= 3 * 40 - 3, `alone: ${admitted}`);
    }
  });

  it('journals each key once per interval, bounded, and applies only well-formed entries', () => {
    const t = createJournaledTable(createLimiterTable({ maxKeys: 1024, seed: SEED }), 4);
    const limit = compileGcra({ average: 100 });
    for (let i = 0; i < 10; i++) t.commitHashed(1, 2, limit, 1000, 1);
    for (let k = 0; k < 10; k++) t.commitHashed(100 + k, 7, limit, 1000, 1);
    const j = t.take()!;
    assert.equal(j.length, 4 * 3, 'four keys fit, the rest is counted as dropped');
    assert.deepEqual(j.slice(0, 3), [1, 2, 100]);
    assert.equal(t.journalStats().dropped, 7);
    assert.equal(t.take(), null);
    const other = createJournaledTable(createLimiterTable({ maxKeys: 1024, seed: SEED }));
    assert.equal(other.apply([1, 2, 50, 3, 4, -1, 5, 6, Number.NaN, 7], 1000), 1);
    assert.equal(other.tatHashed(1, 2, 1000), 1050);
    assert.equal(other.take(), null, 'applied entries are not journaled again (no echo)');
  });
});
