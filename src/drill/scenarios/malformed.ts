/**
 * `malformed` — docs/threats.md "malformed and oversized requests": the drill's corpus of 68 broken requests
 * (huge heads, bad framing, conflicting Content-Length / Transfer-Encoding, invalid methods, smuggling
 * attempts, raw bytes), each on its own connection, several in parallel, cycling through the corpus until
 * the run's duration or budget. Repelled: a clear 4xx (or a close) for each, no crash, and nothing
 * forwarded ambiguously (never two answers on one connection).
 *
 * Bulwark bans a source that keeps sending such requests, and then closes its connections at accept:
 * with the admin API at hand (a managed Bulwark, or `--admin`), a case left unanswered because its
 * source had been banned before it was sent counts as refused as expected (banned-refusals.ts), and the
 * report says how many; without it, such cases stay unexpected.
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
import { fetchBans, refusedByBan, type UnansweredCase } from './banned-refusals.ts';
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
    const d = f.details as { unexpected?: number; smuggled?: number; sent?: number; refusedBanned?: number; casesJudged?: number; casesSent?: number };
    return [
      ...commonCriteria(f),
      {
        check: 'every case answered as expected',
        // Bans must not hide the corpus: every case sent needs at least one answer of its own to be judged.
        ok: (d.unexpected ?? 0) === 0 && (d.casesJudged ?? 0) >= (d.casesSent ?? 0),
        detail:
          `${d.unexpected ?? 0} unexpected of ${f.attack.sent}; ${d.casesJudged ?? 0} of ${d.casesSent ?? 0} cases answered at least once` +
          ((d.refusedBanned ?? 0) > 0 ? `; ${d.refusedBanned} refused at accept after their source was banned` : ''),
      },
      { check: 'never two answers on one connection', ok: (d.smuggled ?? 0) === 0, detail: `${d.smuggled ?? 0} connections with a second answer` },
    ];
  },
};

async function runMalformed(ctx: ScenarioContext): Promise<ScenarioOutcome> {
  const s = ctx.settings;
  const target = await resolveLoopbackTarget(ctx.target);
  const bounds = checkBounds({ maxRequests: s.maxRequests, maxDurationMs: s.durationS * 1000, maxSockets: Math.min(s.maxSockets, MALFORMED_PARALLEL) });
  const unexpected: Array<Pick<MalformedOutcome, 'name' | 'observed' | 'statuses'>> = [];
  // Unanswered cases (no status at all): a ban may explain them once the run is over.
  const unanswered: Array<UnansweredCase & Pick<MalformedOutcome, 'name' | 'observed' | 'statuses'>> = [];
  const c = { sent: 0, unexpected: 0, smuggled: 0, answered: 0, close: 0, timeout: 0, connectFailed: 0 };
  // Corpus cases judged on an answer of their own (not only refused at accept after a ban).
  const judged = new Set<string>();
  const byStatus = createKeyedCounter(64);
  const noteUnexpected = (o: Pick<MalformedOutcome, 'name' | 'observed' | 'statuses'>): void => {
    c.unexpected++;
    judged.add(o.name);
    if (unexpected.length < MAX_LISTED && !unexpected.some((u) => u.name === o.name)) unexpected.push({ name: o.name, observed: o.observed, statuses: o.statuses });
  };
  const run = await runPaced({
    bounds,
    signal: ctx.signal,
    ratePerS: s.rate,
    concurrency: bounds.maxSockets,
    async send(i) {
      const kase = MALFORMED_CORPUS[i % MALFORMED_CORPUS.length]!;
      c.sent++;
      const source = sourceAddress(i % s.sources, BOTNET_RANGE);
      const sentAtMs = Date.now();
      const o = await sendMalformedCase(kase, {
        hostIp: target.hostname.replace(/^\[|\]$/g, ''),
        port: Number(target.port || 80),
        host: target.host,
        localAddress: source,
        readTimeoutMs: 1500,
      });
      if (typeof o.observed === 'number') {
        c.answered++;
        byStatus.add(o.observed);
      } else if (o.observed === 'timeout') c.timeout++;
      else if (o.observed === 'connect_failed') c.connectFailed++;
      else c.close++;
      if (o.statuses.length > 1) c.smuggled++;
      if (o.asExpected) {
        judged.add(o.name);
        return;
      }
      if (o.statuses.length === 0 && (o.observed === 'reset' || o.observed === 'close' || o.observed === 'connect_failed')) {
        unanswered.push({ source, sentAtMs, name: o.name, observed: o.observed, statuses: o.statuses });
        return;
      }
      noteUnexpected(o);
    },
  });
  const bans = ctx.adminUrl !== undefined && unanswered.length > 0 ? await fetchBans(ctx.adminUrl) : [];
  const banned = refusedByBan(unanswered, bans);
  let refusedBanned = 0;
  unanswered.forEach((u, k) => {
    if (banned[k]) refusedBanned++;
    else noteUnexpected(u);
  });
  const bannedSources = new Set(unanswered.filter((_, k) => banned[k]).map((u) => u.source)).size;
  return { attack: figuresOf(c, byStatus.snapshot()), stoppedBy: run.stoppedBy, details: { corpusSize: MALFORMED_CORPUS.length, casesSent: Math.min(c.sent, MALFORMED_CORPUS.length), casesJudged: judged.size, asExpected: c.sent - c.unexpected - refusedBanned, refusedBanned, bannedSources, unexpected: c.unexpected, smuggled: c.smuggled, unexpectedCases: unexpected, connectFailed: c.connectFailed } };
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
