/**
 * How V8 grows the JavaScript heap of a serving process: by at most 25% over the live heap after a
 * full collection (`--heap-growing-percent=25`, set at start through node:v8; V8 reads it whenever it
 * sets the next collection's limit). V8's default lets the old generation grow up to 4× for throughput.
 *
 * Why: under a flood, requests that wait in the origin queue live long enough to be promoted to the old
 * generation, and with the default growth V8 commits old-generation space for the garbage they leave —
 * a zero-config Bulwark facing 2,000 sources held 300–390 MB while its live heap stayed under 80 MB.
 * With the growth bounded, it collected before growing: 180–195 MB at the flood's peak, and the same
 * CPU per request within the benchmarks' noise (paired runs, 429 and pass-through paths).
 * `--optimize-for-size` saved more (~155–170 MB at the peak, ~115 MB idle) but cost ~14% CPU per
 * refused request (it also changes what the optimising compiler does), so it is not used.
 * Nothing is capped: a heap that needs more memory still gets it (no `--max-old-space-size`, so no
 * out-of-memory crash under a legitimate load), only the slack goes.
 */
import v8 from 'node:v8';

let applied = false;

/** Applies the heap policy once per process (a serving process: `bulwark start`, a worker). */
export function favourHeapSize(): void {
  if (applied) return;
  applied = true;
  v8.setFlagsFromString('--heap-growing-percent=25');
}
