import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { describe, it } from 'node:test';
import { createLimiterTable } from '../../core/ratelimit/index.ts';
import { createHandshakeGate, type HandshakeScope } from './handshake-gate.ts';

function socket(remoteAddress: string): Socket & { destroyed: boolean } {
  const s = { remoteAddress, destroyed: false, destroy() {
    s.destroyed = true;
  } };
  return s as unknown as Socket & { destroyed: boolean };
}

function gate(options: { perAddress?: { rate: number; burst: number } | null; perPrefix?: { rate: number; burst: number } | null; exempt?: string[] } = {}) {
  let now = 1_000_000;
  const refused: [string, string, HandshakeScope][] = [];
  const table = createLimiterTable({ maxKeys: 1024, seed: 7 });
  const g = createHandshakeGate({
    table: () => table,
    config: () => ({ handshakes: { per_address: options.perAddress === undefined ? { rate: 1, burst: 3 } : options.perAddress, per_prefix: options.perPrefix === undefined ? { rate: 2, burst: 5 } : options.perPrefix }, prefixV4: 24, prefixV6: 64 }),
    exempt: (a) => (options.exempt ?? []).includes(a),
    refused: (address, prefix, scope) => void refused.push([address, prefix, scope]),
    now: () => now,
  });
  return { g, refused, advance: (ms: number) => void (now += ms) };
}

describe('TLS handshake gate', () => {
  it('an address gets its burst, then is refused at once (socket destroyed, escalation told), then refills', () => {
    const { g, refused, advance } = gate();
    const results = [1, 2, 3, 4, 5].map(() => g.admit(socket('203.0.113.7')));
    assert.deepEqual(results, [true, true, true, false, false]);
    assert.deepEqual(refused[0], ['203.0.113.7', '203.0.113.0/24', 'address']);
    const s = socket('203.0.113.7');
    assert.equal(g.admit(s), false);
    assert.equal(s.destroyed, true);
    advance(1000);
    assert.equal(g.admit(socket('203.0.113.7')), true, 'one a second comes back');
    assert.deepEqual(g.stats(), { admitted: 4, refused_address: 3, refused_prefix: 0 });
  });

  it('addresses of one prefix share its budget; another prefix is untouched', () => {
    const { g, refused } = gate();
    const results = [1, 2, 3, 4, 5, 6, 7].map((i) => g.admit(socket(`198.51.100.${i}`)));
    assert.deepEqual(results, [true, true, true, true, true, false, false]);
    assert.equal(refused.at(-1)![2], 'prefix');
    assert.equal(g.admit(socket('198.51.101.1')), true);
  });

  it('IPv6 addresses rotating in one /64 count as one prefix; IPv4-mapped addresses are the IPv4 address', () => {
    const { g } = gate({ perAddress: null });
    const results = [1, 2, 3, 4, 5, 6].map((i) => g.admit(socket(`2001:db8:1:2::${i}`)));
    assert.deepEqual(results, [true, true, true, true, true, false]);
    const { g: g4 } = gate({ perPrefix: null });
    assert.deepEqual([1, 2, 3, 4].map(() => g4.admit(socket('::ffff:192.0.2.1'))), [true, true, true, false]);
  });

  it('exempt sources (trusted proxies, allow-listed) and a gate with both caps off admit everything', () => {
    const { g } = gate({ exempt: ['192.0.2.9'] });
    assert.ok([...Array(20)].every(() => g.admit(socket('192.0.2.9'))));
    const { g: off } = gate({ perAddress: null, perPrefix: null });
    assert.ok([...Array(20)].every(() => off.admit(socket('192.0.2.10'))));
  });
});
