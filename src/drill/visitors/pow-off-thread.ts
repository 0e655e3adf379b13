/**
 * Proof-of-work solves for the drill's simulated browsers, off the drill's event loop (pow-worker.ts):
 * a small pool of worker threads (one per core, at most 4), each solving one job at a time, jobs queued
 * in order beyond that. Workers start on first use and are unref'd (they never keep the process alive);
 * `closePowWorkers` ends them. When no worker can start, the solve runs here instead (same answer).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { solvePow, type PowWork } from '../../core/challenge/pow.ts';
import type { PowAnswer, PowJob } from './pow-worker.ts';

interface Pending {
  readonly job: PowJob;
  readonly resolve: (solution: string | null) => void;
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

/** Solves done by the workers and (fallback) on this thread. */
export function powPoolStats(): { readonly offThread: number; readonly here: number; readonly workers: number; readonly queued: number } {
  return { ...counts, workers: started, queued: queue.length };
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
      p?.resolve(a.solution);
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
  busy.set(w, p);
  w.postMessage(p.job);
}

/** Solves `work` for `seed` off the event loop; resolves to the solution, or null when none was found. */
export function solvePowOffThread(seed: string, work: PowWork, maxIterations: number): Promise<string | null> {
  const job: PowJob = { id: nextId++, seed, work, maxIterations };
  if (broken) return Promise.resolve(solveHere(job));
  return new Promise((resolve) => {
    const w = idle.pop() ?? (started < POOL ? spawn() : null);
    if (w !== null) {
      busy.set(w, { job, resolve });
      w.postMessage(job);
    } else if (broken) resolve(solveHere(job));
    else if (queue.length >= MAX_QUEUE) resolve(null);
    else queue.push({ job, resolve });
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
