import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createBaseline, type Baseline } from './baseline.ts';
import { createSyntheticSite, type SyntheticSecond } from './synthetic-site.ts';
import { proposeSignatures, reconcileRules, resolveSignatureConfig, type SignatureRule } from './signatures.ts';

const T0 = 1_700_000_000_000;
const NORMAL: SyntheticSecond = {
  rps: 200,
  heavy: {
    prefix: Array.from({ length: 40 }, (_, i) => [`10.0.${i}.0/24`, 0.02] as const),
    asn: [[3320, 0.5], [6805, 0.3]],
    path: [['/', 0.4], ['/news', 0.3], ['/login', 0.1], ['/search', 0.02]],
    fingerprint: [['chrome', 0.6], ['firefox', 0.3], ['fpRare', 0.03]],
    country: [['DE', 0.8], ['AT', 0.1], ['BR', 0.001]],
  },
};

function learned(seconds = 400, warmupSeconds = 100): { baseline: Baseline; attack: (spec: SyntheticSecond) => ReturnType<ReturnType<typeof createSyntheticSite>['next']> } {
  const baseline = createBaseline({ warmupSeconds });
  const site = createSyntheticSite();
  for (let t = 1; t <= seconds; t++) baseline.update(site.next(NORMAL, T0 + t * 1000), 'normal', T0 + t * 1000);
  let t = seconds;
  return {
    baseline,
    attack: (spec) => {
      let snap = site.next(spec, T0 + ++t * 1000);
      for (let i = 0; i < 2; i++) snap = site.next(spec, T0 + ++t * 1000);
      return snap;
    },
  };
}

const ATTACK: SyntheticSecond = {
  rps: 5000,
  heavy: {
    prefix: [['198.51.100.0/24', 0.4], ['10.0.1.0/24', 0.05]],
    asn: [[64666, 0.6], [3320, 0.2]],
    path: [['/', 0.9], ['/search', 0.7]],
    fingerprint: [['chrome', 0.7], ['fpRare', 0.5]],
    country: [['BR', 0.3]],
  },
};

const byId = (rules: readonly SignatureRule[]) => new Map(rules.map((r) => [r.id, r]));

describe('signature proposals', () => {
  it('proposes rules for keys that rose above their baseline share, with evidence and collateral', () => {
    const { baseline, attack } = learned();
    const rules = byId(proposeSignatures(attack(ATTACK), baseline, 'under_attack', resolveSignatureConfig({ maxRules: 20 }), T0 + 500_000));
    const prefix = rules.get('sig/prefix=198.51.100.0/24')!;
    assert.equal(prefix.action, 'block');
    assert.equal(prefix.mode, 'apply');
    assert.equal(prefix.collateral, 0);
    assert.equal(prefix.expiresMs, T0 + 500_000 + 300_000);
    assert.deepEqual(prefix.match, { prefix: '198.51.100.0/24' });
    const ev = prefix.evidence[0]!;
    assert.ok(Math.abs(ev.attackShare - 0.4) < 1e-9 && ev.baselineShare === 0 && ev.rps === 2000);
    assert.equal(rules.get('sig/asn=64666')!.action, 'block');
    // fpRare: 3% of baseline traffic → too much for block (0.2%) or rate_limit (1%), fine for challenge (5%)
    const rare = rules.get('sig/fingerprint=fpRare')!;
    assert.equal(rare.action, 'challenge');
    assert.equal(rare.mode, 'apply');
    assert.ok(Math.abs(rare.collateral - 0.03) < 0.003, `collateral ${rare.collateral}`);
    // BR: 0.1% of baseline, but countries are at most challenged
    assert.equal(rules.get('sig/country=BR')!.action, 'challenge');
    // keys that did not rise enough get nothing
    for (const id of ['sig/path=/', 'sig/fingerprint=chrome', 'sig/asn=3320', 'sig/prefix=10.0.1.0/24']) assert.ok(!rules.has(id), id);
  });

  it('combines a network and a path when the conjunction is safe where the path alone is not', () => {
    const { baseline, attack } = learned();
    const rules = byId(proposeSignatures(attack(ATTACK), baseline, 'under_attack', resolveSignatureConfig({ maxRules: 20 }), T0));
    const search = rules.get('sig/path=/search')!;
    assert.equal(search.action, 'challenge', '/search had 2% of baseline traffic');
    const combo = rules.get('sig/asn=64666&path=/search')!;
    assert.equal(combo.action, 'block');
    assert.equal(combo.mode, 'apply');
    assert.deepEqual(combo.match, { asn: 64666, path: '/search' });
    assert.ok(Math.abs(combo.attackShare - 0.3) < 1e-9, 'Fréchet bound 0.6 + 0.7 − 1');
    assert.equal(combo.evidence.length, 2);
  });

  it('logs only what would hit too much baseline traffic', () => {
    const { baseline, attack } = learned();
    const snap = attack({ rps: 2000, heavy: { path: [['/login', 0.6]] } });
    const [login] = proposeSignatures(snap, baseline, 'elevated', resolveSignatureConfig(), T0);
    assert.equal(login!.id, 'sig/path=/login');
    assert.equal(login!.mode, 'log_only');
    assert.ok(Math.abs(login!.collateral - 0.1) < 0.01);
    assert.match(login!.reason, /above every threshold/);
  });

  it('at elevated uses the elevated action per dimension, with a rate limit from the baseline', () => {
    const { baseline, attack } = learned();
    const rules = byId(proposeSignatures(attack(ATTACK), baseline, 'elevated', resolveSignatureConfig(), T0));
    const p = rules.get('sig/prefix=198.51.100.0/24')!;
    assert.equal(p.action, 'rate_limit');
    assert.equal(p.rateLimitRps, 5, 'no baseline traffic: the floor');
    assert.equal(rules.get('sig/asn=64666')!.action, 'challenge');
  });

  it('proposes nothing at normal, and only log_only rules while warming up or in shadow mode', () => {
    const { baseline, attack } = learned();
    const snap = attack(ATTACK);
    assert.deepEqual(proposeSignatures(snap, baseline, 'normal', resolveSignatureConfig(), T0), []);
    const shadow = proposeSignatures(snap, baseline, 'under_attack', resolveSignatureConfig({ shadow: true }), T0);
    assert.ok(shadow.length > 0 && shadow.every((r) => r.mode === 'log_only' && r.reason.includes('shadow mode')));
    const cold = learned(50, 600);
    const warming = proposeSignatures(cold.attack(ATTACK), cold.baseline, 'under_attack', resolveSignatureConfig(), T0);
    assert.ok(warming.length > 0 && warming.every((r) => r.mode === 'log_only' && r.reason.includes('warming up')));
  });
});

describe('rule lifecycle', () => {
  const config = resolveSignatureConfig({ maxRules: 3, ttlS: 60 });
  const rule = (id: string, createdMs: number, attackShare = 0.5): SignatureRule => ({
    id, action: 'block', match: { prefix: id }, mode: 'apply', collateral: 0, collateralBound: 0, attackShare,
    level: 'under_attack', createdMs, expiresMs: createdMs + 60_000, evidence: [], reason: '',
  });

  it('adds, renews (keeping createdMs), keeps unexpired, retires expired and caps the active set', () => {
    let active: SignatureRule[] = [];
    let c = reconcileRules(active, [rule('a', 0), rule('b', 0)], 'under_attack', 0, config);
    assert.deepEqual(c.added.map((r) => r.id), ['a', 'b']);
    active = c.active;
    c = reconcileRules(active, [rule('a', 30_000), rule('c', 30_000), rule('d', 30_000)], 'under_attack', 30_000, config);
    assert.deepEqual(c.renewed.map((r) => [r.id, r.createdMs, r.expiresMs]), [['a', 0, 90_000]]);
    assert.deepEqual(c.added.map((r) => r.id), ['c'], 'capped at 3 active');
    active = c.active;
    c = reconcileRules(active, [], 'elevated', 61_000, config);
    assert.deepEqual(c.retired.map((r) => [r.rule.id, r.reason.split(':')[0]]), [['b', 'expired']]);
    assert.deepEqual(c.active.map((r) => r.id), ['a', 'c']);
    c = reconcileRules(c.active, [rule('a', 62_000)], 'normal', 62_000, config);
    assert.deepEqual(c.active, []);
    assert.deepEqual(c.retired.map((r) => r.reason), ['attack over: level back to normal', 'attack over: level back to normal']);
  });
});
