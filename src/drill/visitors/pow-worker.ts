/**
 * Worker thread that solves the challenge's proof of work for the drill's simulated browsers, so a solve
 * (half a second of hashing and more) never blocks the drill's event loop, where the origin fixture, the
 * attackers and the other visitors run: a real visitor's browser solves on its own device. Messages:
 * `{ id, seed, work, maxIterations }` in, `{ id, solution | null }` out.
 */
import { parentPort } from 'node:worker_threads';
import { solvePow, type PowWork } from '../../core/challenge/pow.ts';

/** A solve asked of the worker. */
export interface PowJob {
  readonly id: number;
  readonly seed: string;
  readonly work: PowWork;
  readonly maxIterations: number;
}

/** Its answer: the solution, or null when none was found within the iterations. */
export interface PowAnswer {
  readonly id: number;
  readonly solution: string | null;
}

parentPort?.on('message', (job: PowJob) => {
  let solution: string | null = null;
  try {
    solution = solvePow(job.seed, job.work, { maxIterations: job.maxIterations })?.solution ?? null;
  } catch {
    solution = null;
  }
  parentPort!.postMessage({ id: job.id, solution } satisfies PowAnswer);
});
