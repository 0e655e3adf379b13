/**
 * Proof-of-work solves for the drill's simulated browsers, off the drill's event loop (pow-worker.ts):
 * a small pool of worker threads (one per core, at most 4), each solving one job at a time, jobs queued
 * in order beyond that. Workers start on first use and are unref'd (they never keep the process alive);
 * `closePowWorkers` ends them. When no worker can start, the solve runs here instead (same answer).
 *
 * Every solve is timed — its wait for a worker and its whole time from asking to answer — into a bounded
 * ring ({@link MAX_TIMED} solves, the oldest overwritten), so a report can tell the drill's own solving
 * (the simulated browsers share this machine's cores, where real visitors each have a device) apart from
 * Bulwark's answers: see {@link powSolveFigures}.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { solvePow, type PowWork } from '../../core/challenge/pow.ts';
import type { PowAnswer, PowJob } from './pow-worker.ts';

interface Pending {
  readonly job: PowJob;
  readonly resolve: (solution: string | null) => void;
  /** Wall-clock ms when the solve was asked for, and when a worker took it (NaN while queued). */
  readonly askedAtMs: number;
  startedAtMs: number;
  /** Solves waiting ahead of this one when it was asked for. */
  readonly queuedAhead: number;
}

/** One timed solve: when it ended, how long it waited for a worker, and its whole time (ms). */
interface TimedSolve {
  readonly endedAtMs: number;
  readonly waitMs: number;
  readonly totalMs: number;
  readonly queuedAhead: number;
}

const POOL = Math.max(1, Math.min(4, availableParallelism()));
/** Jobs waiting for a worker at most (a drill has at most a thousand visitors). */
const MAX_QUEUE = 4096;
const idle: Worker[] = [];
const busy = new Map<Worker, Pending>();
const queue: Pending[] = [];
let started = 0;
let nextId = 1;
let broken = false;
const counts = { offThread: 0, here: 0 };
/** Timed solves kept at most (a drill's visitors solve a few hundred at most). */
export const MAX_TIMED = 4096;
const timed: TimedSolve[] = [];
let timedNext = 0;
let timedOverwritten = 0;

function noteSolved(p: Pending): void {
  const now = Date.now();
  const tookAtMs = Number.isNaN(p.startedAtMs) ? now : p.startedAtMs;
  const t: TimedSolve = { endedAtMs: now, waitMs: tookAtMs - p.askedAtMs, totalMs: now - p.askedAtMs, queuedAhead: p.queuedAhead };
  if (timed.length < MAX_TIMED) timed.push(t);
  else {
    timed[timedNext] = t;
    timedOverwritten++;
  }
  timedNext = (timedNext + 1) % MAX_TIMED;
}

/** Solves done by the workers and (fallback) on this thread. */
export function powPoolStats(): { readonly offThread: number; readonly here: number; readonly workers: number; readonly queued: number; readonly timed: number; readonly timedOverwritten: number } {
  return { ...counts, workers: started, queued: queue.length, timed: timed.length, timedOverwritten };
}

/**
 * The simulated browsers' proof-of-work solves that ended at or after `sinceMs`: how many, the most
 * solves one of them found waiting ahead of it, and the wait for a worker and the whole time (asking to
 * answer) at the median and 90th percentile, ms (null without solves). A whole time far above one
 * solve's hashing means the solves queued for this machine's cores: the drill's limit, not Bulwark's.
 */
export interface PowSolveFigures {
  readonly solves: number;
  readonly workers: number;
  readonly maxQueued: number;
  readonly waitP50Ms: number | null;
  readonly waitP90Ms: number | null;
  readonly totalP50Ms: number | null;
  readonly totalP90Ms: number | null;
  readonly totalMaxMs: number | null;
}

function quantile(sorted: readonly number[], q: number): number | null {
  return sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** See {@link PowSolveFigures}. */
export function powSolveFigures(sinceMs: number): PowSolveFigures {
  const mine = timed.filter((t) => t.endedAtMs >= sinceMs);
  const waits = mine.map((t) => t.waitMs).sort((a, b) => a - b);
  const totals = mine.map((t) => t.totalMs).sort((a, b) => a - b);
  return {
    solves: mine.length,
    workers: started,
    maxQueued: mine.reduce((m, t) => Math.max(m, t.queuedAhead), 0),
    waitP50Ms: quantile(waits, 0.5),
    waitP90Ms: quantile(waits, 0.9),
    totalP50Ms: quantile(totals, 0.5),
    totalP90Ms: quantile(totals, 0.9),
    totalMaxMs: totals.length === 0 ? null : totals[totals.length - 1]!,
  };
}

/**
 * The bundle ships a .js worker beside cli.js. Under tsx (tests) the sources are .ts and a worker thread
 * does not get tsx's loader from `--import` on every Node version: the worker registers it first.
 */
function newWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./drill-pow-worker.js', import.meta.url));
  const source = new URL('./pow-worker.ts', import.meta.url).href;
  return new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}); });`, { eval: true });
}

function spawn(): Worker | null {
  try {
    const w = newWorker();
    w.on('message', (a: PowAnswer) => {
      const p = busy.get(w);
      busy.delete(w);
      counts.offThread++;
      if (p !== undefined) {
        noteSolved(p);
        p.resolve(a.solution);
      }
      next(w);
    });
    w.on('error', () => {
      // A worker that failed (or could not load): its job and everything queued is solved here, and no
      // further worker is tried.
      const p = busy.get(w);
      busy.delete(w);
      started--;
      broken = true;
      if (p !== undefined) p.resolve(solveHere(p.job));
      for (const q of queue.splice(0)) q.resolve(solveHere(q.job));
    });
    // After the listeners (a 'message' listener refs the worker again): never keeps the process alive.
    w.unref();
    started++;
    return w;
  } catch {
    broken = true;
    return null;
  }
}

function solveHere(job: PowJob): string | null {
  counts.here++;
  return solvePow(job.seed, job.work, { maxIterations: job.maxIterations })?.solution ?? null;
}

function next(w: Worker): void {
  const p = queue.shift();
  if (p === undefined) {
    idle.push(w);
    return;
  }
  p.startedAtMs = Date.now();
  busy.set(w, p);
  w.postMessage(p.job);
}

/** Solves `work` for `seed` off the event loop; resolves to the solution, or null when none was found. */
export function solvePowOffThread(seed: string, work: PowWork, maxIterations: number): Promise<string | null> {
  const job: PowJob = { id: nextId++, seed, work, maxIterations };
  if (broken) return Promise.resolve(solveHere(job));
  return new Promise((resolve) => {
    const askedAtMs = Date.now();
    const w = idle.pop() ?? (started < POOL ? spawn() : null);
    if (w !== null) {
      busy.set(w, { job, resolve, askedAtMs, startedAtMs: askedAtMs, queuedAhead: 0 });
      w.postMessage(job);
    } else if (broken) resolve(solveHere(job));
    else if (queue.length >= MAX_QUEUE) resolve(null);
    else queue.push({ job, resolve, askedAtMs, startedAtMs: Number.NaN, queuedAhead: queue.length });
  });
}

/** Ends the pool's workers (pending solves resolve to null). */
export async function closePowWorkers(): Promise<void> {
  for (const p of queue.splice(0)) p.resolve(null);
  for (const [, p] of busy) p.resolve(null);
  const all = [...idle.splice(0), ...busy.keys()];
  busy.clear();
  started = 0;
  await Promise.all(all.map((w) => w.terminate().catch(() => 0)));
}
