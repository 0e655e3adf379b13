/**
 * Keeps `process.nextTick` on its fast path for the life of a serving process.
 *
 * node:http and node:stream call `process.nextTick` several times per request. Node 20's `nextTick`
 * builds each queued tick as an object literal with two symbol keys first
 * (`{ [async_id_symbol]: id, [trigger_async_id_symbol]: trigger, callback, args }`). V8 adds a
 * computed-key property through a one-map inline cache that remembers the hidden class (map) the
 * object had before that property, and holds that map weakly. Those intermediate maps are only kept
 * alive by tick objects that exist. When a few full collections run at a moment when no tick is
 * queued — an idle second after a burst of work, which a server has all the time — V8 drops the maps,
 * the next tick builds new ones, and the cache, seeing a map other than the one it remembered, turns
 * megamorphic for good: from then on every tick's three computed-key stores go through the runtime.
 * Measured: 37 → 213 ns per `nextTick` in isolation, and a refused request (varied 429) at 20–24 µs of
 * CPU instead of 15–17 µs; which state a process ended up in depended on when its collections happened,
 * so two processes of one build differed by ~1.35× for their whole lives.
 *
 * Holding one tick object for the life of the process keeps its map, and through the maps' back
 * pointers every intermediate map, alive, so the caches stay monomorphic. The tick object is caught
 * with an async hook that is enabled for exactly one `nextTick` call at start-up and then disabled
 * (an enabled hook would cost every asynchronous resource). If a Node version stops reporting tick
 * objects to hooks, nothing is held and nothing else changes.
 */
import { createHook } from 'node:async_hooks';

let held: object | undefined;

/** Catches one tick object and holds it for the life of the process (idempotent). */
export function keepTickObjectShape(): void {
  if (held !== undefined) return;
  const hook = createHook({
    init(_asyncId, type, _triggerAsyncId, resource) {
      if (type === 'TickObject' && held === undefined) held = resource;
    },
  });
  hook.enable();
  try {
    process.nextTick(noop);
  } finally {
    hook.disable();
  }
}

/** Whether a tick object is held (for tests). */
export function tickObjectHeld(): boolean {
  return held !== undefined;
}

function noop(): void {}
