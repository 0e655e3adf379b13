/**
 * `malformed` — docs/threats.md "malformed and oversized requests": the drill's corpus of 68 broken requests
 * (huge heads, bad framing, conflicting Content-Length / Transfer-Encoding, invalid methods, smuggling
 * attempts, raw bytes), each on its own connection, several in parallel, cycling through the corpus until
 * the run's duration or budget. Repelled: a clear 4xx (or a close) for each, no crash, and nothing
 * forwarded ambiguously (never two answers on one connection).
 */
import { resolveLoopbackTarget } from '../loopback-guard.ts';
import { sourceAddress } from '../source-pool.ts';
import { checkBounds } from '../attackers/bounds.ts';
import { runPaced } from '../attackers/paced-runner.ts';
import { MALFORMED_CORPUS, sendMalformedCase, type MalformedOutcome } from '../attackers/malformed.ts';
import { createKeyedCounter } from '../stats.ts';
import { commonCriteria } from './criteria.ts';
import { emptyFigures } from './figures.ts';
import { BOTNET_RANGE } from './site.ts';
import type { AttackFigures, Scenario, ScenarioContext, ScenarioOutcome } from './context.ts';

/** Cases in flight at once at most. */
export const MALFORMED_PARALLEL = 8;
const MAX_LISTED = 20;

/** The `malformed` scenario: defaults, what repelled means, the attack (see the module comment). */
export const malformed: Scenario = {
  name: 'malformed',
  summary: 'the 68-case corpus of malformed, oversized and smuggling requests, cycled (rate = cases/s)',
  repelledMeans: 'clear 4xx (or close) for every case, no crash, nothing forwarded ambiguously',
  kind: 'malformed',
  defaults: { durationS: 10, rate: 50, sources: 10, maxSockets: 64 },
  run: runMalformed,
  judge(f) {
    const d = f.details as { unexpected?: number; smuggled?: number; sent?: number };
    return [
      ...commonCriteria(f),
      { check: 'every case answered as expected', ok: (d.unexpected ?? 0) === 0, detail: `${d.unexpected ?? 0} unexpected of ${f.attack.sent}` },
      { check: 'never two answers on one connection', ok: (d.smuggled ?? 0) === 0, detail: `${d.smuggled ?? 0} connections with a second answer` },
    ];
  },
};

async function runMalformed(ctx: ScenarioContext): Promise<ScenarioOutcome> {
  const s = ctx.settings;
  const target = await resolveLoopbackTarget(ctx.target);
  const bounds = checkBounds({ maxRequests: s.maxRequests, maxDurationMs: s.durationS * 1000, maxSockets: Math.min(s.maxSockets, MALFORMED_PARALLEL) });
  const unexpected: Array<Pick<MalformedOutcome, 'name' | 'observed' | 'statuses'>> = [];
  const c = { sent: 0, unexpected: 0, smuggled: 0, answered: 0, close: 0, timeout: 0, connectFailed: 0 };
  const byStatus = createKeyedCounter(64);
  const run = await runPaced({
    bounds,
    signal: ctx.signal,
    ratePerS: s.rate,
    concurrency: bounds.maxSockets,
    async send(i) {
      const kase = MALFORMED_CORPUS[i % MALFORMED_CORPUS.length]!;
      c.sent++;
      const o = await sendMalformedCase(kase, {
        hostIp: target.hostname.replace(/^\[|\]$/g, ''),
        port: Number(target.port || 80),
        host: target.host,
        localAddress: sourceAddress(i % s.sources, BOTNET_RANGE),
        readTimeoutMs: 1500,
      });
      if (typeof o.observed === 'number') {
        c.answered++;
        byStatus.add(o.observed);
      } else if (o.observed === 'timeout') c.timeout++;
      else if (o.observed === 'connect_failed') c.connectFailed++;
      else c.close++;
      if (o.statuses.length > 1) c.smuggled++;
      if (!o.asExpected) {
        c.unexpected++;
        if (unexpected.length < MAX_LISTED && !unexpected.some((u) => u.name === o.name)) unexpected.push({ name: o.name, observed: o.observed, statuses: o.statuses });
      }
    },
  });
  return { attack: figuresOf(c, byStatus.snapshot()), stoppedBy: run.stoppedBy, details: { corpusSize: MALFORMED_CORPUS.length, asExpected: c.sent - c.unexpected, unexpected: c.unexpected, smuggled: c.smuggled, unexpectedCases: unexpected, connectFailed: c.connectFailed } };
}

function figuresOf(c: { sent: number; answered: number; close: number; timeout: number }, byStatus: Record<string, number>): AttackFigures {
  const f = { ...emptyFigures(), sent: c.sent, answered: c.answered, dropped: c.close, timeout: c.timeout, byStatus };
  for (const [key, n] of Object.entries(byStatus)) {
    const st = Number(key);
    if (st === 429) f.limited += n;
    else if (st === 403) f.blocked += n;
    else if (st === 503) f.shed += n;
    else if (st >= 200 && st < 400) f.served += n;
    else if (st >= 400 && st < 500) f.rejected += n;
    else f.failed += n;
  }
  return f;
}
