/**
 * How V8 grows the JavaScript heap of a serving process.
 *
 * Old generation: by at most 25% over the live heap after a full collection (`--heap-growing-percent=25`,
 * set at start through node:v8; V8 reads it whenever it sets the next collection's limit). V8's default
 * lets the old generation grow up to 4× for throughput.
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
 *
 * Young generation: held at its initial size (1 MB semi-spaces) while the process starts, then left to
 * grow as V8 sees fit. Loading the modules and starting the server allocate in one burst, which made V8
 * grow the young generation to 16–32 MB; that space then stayed committed until V8's memory reducer gave
 * it back ~8–10 s after the last burst of work — or not at all while a trickle of requests kept the
 * process from looking idle — 15–30 MB of an idle Bulwark's RSS. `bin/bulwark.js` sets
 * `--semi-space-growth-factor=1` before it loads the code; the serving process calls
 * {@link releaseYoungGeneration} once it is started (every other command before its work), so under load the young generation grows exactly as
 * before (`--semi-space-growth-factor`, read by V8 whenever it resizes the young generation).
 */
import v8 from 'node:v8';

let applied = false;

/** V8's default factor by which the young generation grows when it fills with survivors. */
const V8_SEMI_SPACE_GROWTH_FACTOR = 2;

/** Applies the old-generation policy once per process (a serving process: `bulwark start`, a worker). */
export function favourHeapSize(): void {
  if (applied) return;
  applied = true;
  v8.setFlagsFromString('--heap-growing-percent=25');
}

/** Lets the young generation grow again with V8's default factor (once started; see the module comment). */
export function releaseYoungGeneration(): void {
  v8.setFlagsFromString(`--semi-space-growth-factor=${V8_SEMI_SPACE_GROWTH_FACTOR}`);
}
