/**
 * Checks of "repelled" shared by the scenarios. Every report carries its checks with their verdict and
 * the figure behind it, so a reader sees why a scenario counts as repelled or not; a check whose figure is
 * not available (e.g. origin figures of a remote target) is `ok: null` and does not decide the verdict.
 */
import type { Criterion, JudgedFigures } from './context.ts';

/** Real visitors served at least this share (docs/threats.md: a defence that blocks visitors has failed). */
export const VISITORS_SERVED_MIN = 0.99;

/** Visitors arriving at the onset of the attack served within 10 s of their first request, at least this share. */
export const ONSET_SERVED_MIN = 0.95;

/**
 * The checks every scenario gets: visitors served, those arriving at the onset served in time (when any
 * arrived), origin within its capacity.
 */
export function commonCriteria(f: JudgedFigures): Criterion[] {
  const out: Criterion[] = [visitorsServed(f)];
  const o = f.onset;
  if (o !== undefined && o.requests > 0) {
    const check = `visitors' requests in the first ${o.windowS} s served within ${o.withinS} s ≥ ${pct(ONSET_SERVED_MIN)}`;
    out.push({ check, ok: (o.ratio ?? 0) >= ONSET_SERVED_MIN, detail: `${pct(o.ratio ?? 0)} of ${o.requests}` });
  }
  const { capacity, peakConcurrency } = f.origin;
  out.push(
    capacity === null || peakConcurrency === null
      ? { check: 'origin within its capacity', ok: null, detail: 'origin figures not available' }
      : { check: 'origin within its capacity', ok: peakConcurrency <= capacity, detail: `peak ${peakConcurrency} / capacity ${capacity}` },
  );
  return out;
}

/**
 * Real visitors served: the share of their requests served, leaving out those that failed while the
 * drill's own `--restart` had Bulwark down (no single process can serve them; the report shows them).
 */
export function visitorsServed(f: JudgedFigures): Criterion {
  const check = 'real visitors served ≥ 99%';
  const v = f.visitors;
  const down = v.failedWhileDown ?? 0;
  const judged = v.sent - down;
  if (judged <= 0) return { check, ok: null, detail: down > 0 ? `all ${down} visitor requests failed while Bulwark was down` : 'no visitor request completed' };
  const ratio = down === 0 ? v.servedRatio : (v.servedRatio * v.sent) / judged;
  const apart = down === 0 ? '' : ` (${down} more failed while the drill had Bulwark down, judged apart)`;
  return { check, ok: ratio >= VISITORS_SERVED_MIN, detail: `${pct(ratio)} of ${judged}${apart}` };
}

/** Time to mitigate at most `maxS` seconds (null time: never mitigated); not judged without origin figures. */
export function mitigatedWithin(f: JudgedFigures, maxS: number): Criterion {
  const t = f.timeToMitigateS;
  if (f.attack.reachedOrigin === null) return { check: `attack mitigated within ${maxS} s`, ok: null, detail: 'origin figures not available' };
  return { check: `attack mitigated within ${maxS} s`, ok: t !== null && t <= maxS, detail: t === null ? 'never (≥ 10% kept reaching the origin)' : `${t} s` };
}

/** At most `maxShare` of the attack's requests reached the origin over the whole run. */
export function originShareAtMost(f: JudgedFigures, maxShare: number): Criterion {
  const reached = f.attack.reachedOrigin;
  const check = `attack reaching the origin ≤ ${pct(maxShare)}`;
  if (reached === null) return { check, ok: null, detail: 'origin figures not available' };
  const share = f.attack.sent === 0 ? 0 : reached / f.attack.sent;
  return { check, ok: share <= maxShare, detail: `${reached} of ${f.attack.sent} (${pct(share)})` };
}

/** A share as a percentage with one decimal. */
export function pct(x: number): string {
  return `${(Math.round(x * 1000) / 10).toFixed(1)}%`;
}
