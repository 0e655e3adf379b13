/**
 * How V8 sizes the JavaScript heap of a serving process: in favour of memory (`--optimize-for-size`,
 * set at start through node:v8; V8 reads it at every garbage collection).
 *
 * Why: under a flood, requests that wait in the origin queue live long enough to be promoted to the old
 * generation, and V8's default growth policy then commits old-generation space for throughput — a
 * zero-config Bulwark facing 1,000–2,000 sources held 230–330 MB while its live heap stayed under
 * 80 MB, most of the rest committed garbage. Favouring size, V8 collects before growing: measured here
 * 155–170 MB at the flood's peak and ~100–115 MB idle (the same Bulwark, the same flood). Nothing is
 * capped: a heap that needs more memory still gets it (no `--max-old-space-size`, so no out-of-memory
 * crash under a legitimate load), only the slack goes. The young generation keeps the size it had at
 * start-up (that flag is read only when the heap is created), so short-lived request garbage is
 * collected as cheaply as before.
 */
import v8 from 'node:v8';

let applied = false;

/** Applies the heap policy once per process (a serving process: `bulwark start`, a worker). */
export function favourHeapSize(): void {
  if (applied) return;
  applied = true;
  v8.setFlagsFromString('--optimize-for-size');
}
