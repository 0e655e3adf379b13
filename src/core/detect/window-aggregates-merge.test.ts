/**
 * Merging seconds of aggregates across processes: traffic split between two processes, one second of one
 * merged into the other, reads the same as one process that saw it all — counters exactly, distinct
 * counts exactly (HyperLogLog registers merge by max under a shared seed), heavy hitters within their
 * error — and a second older than the ring is refused.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createWindowAggregates } from './window-aggregates.ts';
import type { RequestEvent } from './aggregate-types.ts';

function event(address: string, path: string, cleared = false): RequestEvent {
  return {
    site: 's', outcome: 'forwarded', status: 200, address, prefix: `${address.split('.').slice(0, 3).join('.')}.0/24`, asn: 64500, country: 'ZZ',
    path, userAgent: 'ua', fingerprint: 'fp', cleared, originLatencyMs: 12, bytesIn: 100, bytesOut: 1000, cache: null, challenge: null,
  };
}

describe('window aggregates merged across processes', () => {
  it('reads like one process that saw all the traffic (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ a: fc.integer({ min: 1, max: 400 }), p: fc.constantFrom('/', '/login', '/a'), side: fc.boolean(), cleared: fc.boolean() }), { minLength: 1, maxLength: 600 }), (reqs) => {
        const opts = { hashSeed: 99, heavyExactPerSecond: 100_000 };
        const all = createWindowAggregates(opts);
        const a = createWindowAggregates(opts);
        const b = createWindowAggregates(opts);
        const t = 5_000_500;
        for (const r of reqs) {
          const e = event(`10.0.${r.a >> 8}.${r.a & 255}`, r.p, r.cleared);
          all.observe(e, t);
          (r.side ? a : b).observe(e, t);
        }
        const part = b.exportSecond(5000);
        if (part !== null) assert.equal(a.mergeSecond(part), true);
        const want = all.snapshot(5_001_010);
        const got = a.snapshot(5_001_010);
        assert.deepEqual(got.last, want.last);
        assert.deepEqual(got.distinct, want.distinct);
        const top = (s: typeof want) => s.heavy.byDimension.path.map((h) => [h.key, h.count]);
        assert.deepEqual(top(got).sort(), top(want).sort());
      }),
      { numRuns: 40 },
    );
  });

  it('refuses a second older than its ring, and exports nothing for a second it never saw', () => {
    const a = createWindowAggregates({ windowSeconds: 3, recentSeconds: 1 });
    a.observe(event('10.0.0.1', '/'), 10_000);
    const part = a.exportSecond(10)!;
    assert.equal(a.exportSecond(9), null);
    const b = createWindowAggregates({ windowSeconds: 3, recentSeconds: 1 });
    b.observe(event('10.0.0.2', '/'), 20_000);
    assert.equal(b.mergeSecond(part), false, 'ten seconds late');
    assert.equal(b.mergeSecond({ ...part, second: 20 }), true);
    assert.equal(b.snapshot(21_000).last.requests, 2);
  });
});
