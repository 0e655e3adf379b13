/**
 * Fixes the size of the request and response objects node:http builds for every request, at start-up,
 * with room inside each object for every field it will carry.
 *
 * V8 gives the objects a constructor builds generous room for fields inside the object, then, after the
 * first few constructions (seven in V8 11), shrinks that room for good to what the objects built so far
 * used ("slack tracking"). When that happens depends on when the first requests come. Some benchmark
 * processes ended with no room at all in their responses (a map of 24 bytes, against 384 in others):
 * every field then lived outside the object, node:http's constructors, adding more than a dozen fields
 * by symbol, turned each response into a hash table (dictionary mode) while building it, and writing
 * the head added to that table — a cache hit on varied requests cost 24–26 µs of CPU in such a process
 * against 14–16 µs in one with the room (profiles: OutgoingMessage's keyed stores in the runtime,
 * dictionary inserts under writeHead). Which state a process got depended on the timing of its first
 * requests and idle moments; the exact sequence that leaves no room was not isolated.
 *
 * Settling constructs the instances now, the first given the fields a served response gets later,
 * keeps them all until the shrink has happened, and lets them go: the room then fits every field, and
 * later timing cannot change it.
 */

const settled = new WeakSet<object>();

/** How many constructions settle the size: V8's slack tracking ends after seven; twice that for margin. */
const CONSTRUCTIONS = 16;

/**
 * Settles the in-object room of `ctor`'s instances (once per constructor): builds CONSTRUCTIONS
 * instances with `make`, the first given its usual later fields by `populate`, all held until the last.
 */
export function settleInstanceSize<T extends object>(ctor: abstract new (...args: never[]) => T, make: () => T, populate: (instance: T) => void): void {
  if (settled.has(ctor)) return;
  settled.add(ctor);
  const held: T[] = [];
  const first = make();
  populate(first);
  held.push(first);
  for (let i = 1; i < CONSTRUCTIONS; i++) held.push(make());
  held.length = 0;
}
