/**
 * CPU-time comparison of small functions in one process, for the core micro-benchmarks: the machine is
 * shared and noisy, so times are process CPU time, the cases of a group run interleaved in rounds (a busy
 * moment hits all of them alike), and each case's median round and fastest round are reported — other
 * tenants only ever add time, so the fastest round is the cost with the least interference, the median
 * what a busy moment looks like. Ratios are printed against reference cases of the same run.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

let sink = 0;
/** Results folded into one number so no case can be optimised away; print it at the end. */
export const sinkValue = (): number => sink;

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** A case's CPU ns per call: its median round and its fastest round. */
export interface Timing {
  readonly median: number;
  readonly fastest: number;
}

const ROUNDS = 15;

/**
 * CPU ns per call of each case, interleaved: ROUNDS rounds of `budgetMs / ROUNDS` shared by the cases,
 * batches of 1000 calls (every loop bounded in CPU time). A case gets the call number and returns a number.
 */
export function compare(fns: Record<string, (i: number) => number>, budgetMs = 2100): Record<string, Timing> {
  const names = Object.keys(fns);
  const rounds: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (const n of names) for (let i = 0; i < 20_000; i++) sink += fns[n](i);
  gc();
  for (let r = 0; r < ROUNDS; r++) {
    for (const n of names) {
      const fn = fns[n];
      let calls = 0;
      const t0 = cpuMs();
      let t = t0;
      while (t - t0 < budgetMs / ROUNDS / names.length) {
        for (let i = 0; i < 1000; i++) sink += fn(calls + i);
        calls += 1000;
        t = cpuMs();
      }
      rounds[n].push(((t - t0) * 1e6) / calls);
    }
  }
  return Object.fromEntries(
    names.map((n) => {
      const sorted = rounds[n].sort((a, b) => a - b);
      return [n, { median: sorted[ROUNDS >> 1], fastest: sorted[0] }];
    }),
  );
}

/** Print a group: median and fastest ns per call, and the ratio of medians to each reference case. */
export function print(title: string, results: Record<string, Timing>, refs: readonly string[]): void {
  console.log(`\n${title}`);
  console.log(`  ${'case'.padEnd(34)} ${'median'.padStart(8)} ${'fastest'.padStart(8)}  ${refs.map((r) => `× ${r}`.padStart(12)).join('')}`);
  for (const [name, t] of Object.entries(results)) {
    const ratios = refs.map((r) => (t.median / results[r].median).toFixed(2).padStart(12)).join('');
    console.log(`  ${name.padEnd(34)} ${t.median.toFixed(0).padStart(8)} ${t.fastest.toFixed(0).padStart(8)}  ${ratios}`);
  }
}
