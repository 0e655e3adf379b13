/**
 * Paired load rounds: two servers that are both running (both pinned to the same core), loaded one at a
 * time by the same load tool, in short segments that alternate A B, B A, A B... so every ratio compares
 * two measurements taken seconds apart.
 *
 * Why: this machine is shared, and its speed drifts by ±30% within a minute. Restarting the servers for
 * every measurement (the earlier method) put 10–20 s between the two sides of a ratio, and the drift
 * showed up as "Bulwark 0.58×–1.04×" between rounds of one run. Adjacent segments with alternating order
 * cancel most of it; the median of the per-round ratios is the figure to quote.
 *
 * Fairness: the server that is not under load idles on the same core. Its CPU use during the other's
 * segment is measured and printed (`idle neighbour`), so a busy neighbour would be visible; Bulwark
 * idling (timers, detector tick) costs well under 1% of a core.
 */
import { runLoad, type LoadResult, type VaryKind } from './load.ts';
import { cpuSeconds } from './processes.ts';

/** One server under test: where to send the load and which process to charge the CPU to. */
export interface Contender {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
}

/** One measured segment of one contender. */
export interface Segment extends LoadResult {
  /** Server CPU µs per answered request (user + system, from /proc). */
  readonly cpuUsPerReq: number;
  /** CPU share of a core the other (idle) contender used meanwhile. */
  readonly neighbourCpu: number;
}

export interface PairedOptions {
  readonly rounds: number;
  readonly seconds: number;
  readonly connections: number;
  /** Core of the load tool. */
  readonly core: number;
  /** Extra request headers. */
  readonly headers?: Record<string, string>;
  /** Every request differs (load.ts). */
  readonly vary?: VaryKind;
  /** A fixed offered rate, requests per second (load.ts: the same work for both servers). */
  readonly rate?: number;
  /** Called after each segment (progress lines). */
  readonly onSegment?: (round: number, who: Contender, s: Segment) => void;
}

export interface PairedResult {
  readonly a: Segment[];
  readonly b: Segment[];
  /** Per round: b's req/s over a's. */
  readonly rpsRatios: number[];
  /** Per round: a's CPU µs per request over b's (> 1 when b is cheaper). */
  readonly cpuRatios: number[];
}

export const median = (xs: readonly number[]): number => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)]!;

function segment(who: Contender, other: Contender, options: PairedOptions): Segment {
  const cpu0 = cpuSeconds(who.pid);
  const idle0 = cpuSeconds(other.pid);
  const t0 = Date.now();
  const r = runLoad(who.url, { seconds: options.seconds, connections: options.connections, core: options.core, headers: options.headers, vary: options.vary, rate: options.rate });
  const wallS = (Date.now() - t0) / 1000;
  return {
    ...r,
    cpuUsPerReq: ((cpuSeconds(who.pid) - cpu0) * 1e6) / Math.max(1, r.requests),
    neighbourCpu: (cpuSeconds(other.pid) - idle0) / Math.max(0.001, wallS),
  };
}

/** Warms both up (2 s each, not measured), then runs `rounds` alternating pairs of segments. */
export function pairedLoad(a: Contender, b: Contender, options: PairedOptions): PairedResult {
  for (const who of [a, b]) runLoad(who.url, { seconds: 2, connections: options.connections, core: options.core, headers: options.headers, vary: options.vary, rate: options.rate });
  const out: PairedResult = { a: [], b: [], rpsRatios: [], cpuRatios: [] };
  for (let round = 1; round <= options.rounds; round++) {
    const order = round % 2 === 1 ? [a, b] : [b, a];
    const got = new Map<Contender, Segment>();
    for (const who of order) {
      const s = segment(who, who === a ? b : a, options);
      got.set(who, s);
      options.onSegment?.(round, who, s);
    }
    const sa = got.get(a)!;
    const sb = got.get(b)!;
    out.a.push(sa);
    out.b.push(sb);
    out.rpsRatios.push(sb.rps / Math.max(1, sa.rps));
    out.cpuRatios.push(sa.cpuUsPerReq / Math.max(0.001, sb.cpuUsPerReq));
  }
  return out;
}

/** The usual progress line of a segment. */
export function segmentLine(round: number, who: Contender, s: Segment): string {
  return (
    `round ${round} ${who.name.padEnd(14)} ${s.rps.toFixed(0).padStart(7)} req/s  cpu ${s.cpuUsPerReq.toFixed(1).padStart(5)} µs/req  ` +
    `p99 ${s.p99Ms.toFixed(2)} ms  non2xx ${s.non2xx}  idle neighbour ${(s.neighbourCpu * 100).toFixed(1)}% cpu\n`
  );
}
