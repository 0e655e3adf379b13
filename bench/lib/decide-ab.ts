/**
 * The decide benchmark as a same-process A/B: this tree's core against another revision's, on the same
 * policy and traffic (./decide-scenario.ts), interleaved in rounds (./cpu-compare.ts). On a shared
 * machine whose speed swings 2× within minutes, two benchmark runs minutes apart cannot tell a 10%
 * change from noise; the same rounds in one process can. Run through scripts/ab-decide.mjs, which
 * extracts the other revision's `src/` and bundles both into one program.
 */
import { compare, print, sinkValue } from './cpu-compare.ts';
import { buildPolicies, denyLines, N, parsedRequests, requests, state } from './decide-scenario.ts';
import type { DecideCore } from './decide-scenario.ts';

/** Options of {@link runDecideAb}. */
export interface DecideAbOptions {
  /** How the other revision is named in the output (e.g. the revision given on the command line). */
  readonly label: string;
  readonly base: DecideCore;
  readonly current: DecideCore;
  /** CPU time shared by all cases (default 8 s). */
  readonly budgetMs?: number;
}

/** Measure and print: both revisions' full policy, with the address as text and with it parsed. */
export function runDecideAb(o: DecideAbOptions): void {
  const base = buildPolicies(o.base);
  const current = buildPolicies(o.current);
  const T0 = 1_700_000_000_000;
  // One pass each first: the lists build their lookup tables on the first lookup.
  for (let i = 0; i < N; i++) {
    o.base.decide(parsedRequests[i], base.full, state, T0);
    o.current.decide(parsedRequests[i], current.full, state, T0);
  }
  const keys = new Map<string, number>(denyLines.map((l, i) => [l, i]));
  const clocks = [T0, T0, T0, T0];
  const results = compare(
    {
      'map.get': (i) => keys.get(denyLines[(i * 7919) % denyLines.length]) ?? 0,
      [`${o.label}: full`]: (i) => o.base.decide(requests[i % N], base.full, state, (clocks[0] += 0.1)).decision.by.length,
      'this tree: full': (i) => o.current.decide(requests[i % N], current.full, state, (clocks[1] += 0.1)).decision.by.length,
      [`${o.label}: ip parsed`]: (i) => o.base.decide(parsedRequests[i % N], base.full, state, (clocks[2] += 0.1)).decision.by.length,
      'this tree: ip parsed': (i) => o.current.decide(parsedRequests[i % N], current.full, state, (clocks[3] += 0.1)).decision.by.length,
    },
    o.budgetMs ?? 8000,
  );
  print(`decide A/B: this tree against ${o.label} (CPU ns per decision)`, results, [`${o.label}: full`, `${o.label}: ip parsed`]);
  console.log(`\nsink ${sinkValue() % 10}`);
}
