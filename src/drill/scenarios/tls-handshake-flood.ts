/**
 * `tls-handshake-flood` — docs/threats.md "TLS handshake floods": new TLS connections as fast as possible from
 * many sources, each a full handshake (a private-key signature for the server), closed at once.
 * Repelled: each source's and prefix's handshakes beyond their budget are refused at accept, before any
 * TLS work; the sources that keep at it are escalated to bans; visitors are served.
 */
import { runHandshakeFlood, type HandshakeFloodResult } from '../attackers/tls-handshake-flood.ts';
import { commonCriteria } from './criteria.ts';
import { httpsTargetOf } from './h2-common.ts';
import { emptyFigures } from './figures.ts';
import { BOTNET_RANGE } from './site.ts';
import type { AttackFigures, Scenario } from './context.ts';

function figures(r: HandshakeFloodResult): AttackFigures {
  return { ...emptyFigures(), sent: r.attempted, answered: r.completed, served: r.completed, dropped: r.refused, errors: { ...r.errors } };
}

export const tlsHandshakeFlood: Scenario = {
  name: 'tls-handshake-flood',
  summary: 'TLS handshake flood: full handshakes as fast as the rate allows from many sources (rate = handshakes/s)',
  repelledMeans: 'handshakes beyond each source\'s and prefix\'s budget refused at accept; visitors served',
  kind: 'connections',
  https: true,
  defaults: { durationS: 10, rate: 800, sources: 5, maxSockets: 128 },
  async run(ctx) {
    const s = ctx.settings;
    const r = await runHandshakeFlood({
      target: httpsTargetOf(ctx),
      ratePerS: s.rate,
      sources: s.sources,
      sourceRange: BOTNET_RANGE,
      bounds: { maxRequests: s.maxRequests, maxDurationMs: s.durationS * 1000, maxSockets: s.maxSockets },
      signal: ctx.signal,
    });
    return {
      attack: figures(r),
      stoppedBy: r.stoppedBy,
      details: { handshakesAttempted: r.attempted, handshakesCompleted: r.completed, refusedBeforeHandshake: r.refused, completedPerSecond: r.completedPerSecond, durationMs: r.durationMs },
    };
  },
  judge: (f) => {
    const d = f.details as { handshakesAttempted?: number; handshakesCompleted?: number; refusedBeforeHandshake?: number };
    const attempted = d.handshakesAttempted ?? 0;
    const refused = d.refusedBeforeHandshake ?? 0;
    return [
      ...commonCriteria(f),
      {
        check: 'handshakes over budget refused before the handshake',
        ok: attempted === 0 ? null : refused > 0,
        detail: `${refused} of ${attempted} refused, ${d.handshakesCompleted ?? 0} completed`,
      },
    ];
  },
};
