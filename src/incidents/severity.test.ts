import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { severityOf, type SeverityInput } from './severity.ts';

const base: SeverityInput = { peakLevel: 'elevated', peakRps: 60, baselineRps: 50, abnormalSeconds: 30, clearedRequests: 1000, clearedSuccessRate: 1 };

describe('incident severity', () => {
  const cases: Array<[string, Partial<SeverityInput>, string, number]> = [
    ['a short elevated blip', {}, 'low', 1],
    ['a short flood at 5× normal', { peakLevel: 'under_attack', peakRps: 250 }, 'medium', 3],
    ['a 10-minute flood at 60× normal', { peakLevel: 'under_attack', peakRps: 3000, abnormalSeconds: 600 }, 'high', 6],
    ['an hour-long flood at 200× normal', { peakLevel: 'under_attack', peakRps: 10_000, abnormalSeconds: 3600 }, 'critical', 8],
    ['visitors noticeably hurt', { clearedSuccessRate: 0.9 }, 'medium', 3],
    ['visitors slightly hurt', { clearedSuccessRate: 0.97 }, 'low', 2],
    ['visitors mostly not served, even for a small attack', { clearedSuccessRate: 0.5 }, 'high', 5],
    ['too few cleared requests to judge', { clearedSuccessRate: 0.5, clearedRequests: 10 }, 'low', 1],
    ['an unknown baseline counts as 1 req/s', { baselineRps: 0, peakRps: 120 }, 'medium', 4],
  ];
  for (const [name, patch, severity, score] of cases) {
    it(name, () => {
      const r = severityOf({ ...base, ...patch });
      assert.equal(r.severity, severity, r.reasons.join('; '));
      assert.equal(r.score, score);
    });
  }

  it('names every factor that scored', () => {
    const r = severityOf({ ...base, peakLevel: 'under_attack', peakRps: 3000, abnormalSeconds: 700, clearedSuccessRate: 0.9 });
    assert.equal(r.reasons.length, 4);
    assert.match(r.reasons.join(' '), /under_attack.*60\.0×.*min above normal.*90\.0%/);
  });
});
