/**
 * Rate limits shared between processes, local first: every process decides from its own limiter table
 * at once (nothing on the request path waits for another process), and remembers what it admitted — per
 * key, the TAT advance `cost · T` of every admitted request — in a journal. Every interval the journal is
 * sent to every other process, which applies it to its own table as if those requests had arrived there:
 * `TAT ← max(TAT, now) + Σ advance` (core/ratelimit/gcra.ts). So each key is limited once for the whole
 * deployment, give or take what arrived elsewhere during the last interval.
 *
 * Overshoot bound (docs/scaling.md): with N processes, exchange interval I and propagation delay L, a key
 * limited to `average` per `period` with `burst` is admitted at most
 *   average·t/period + burst + Σ over the other processes of min(burst + average·(I + L)/period, r_i·(I + L))
 * in any window t, where r_i is the rate at which process i receives that key's requests: each other
 * process can only have admitted, unseen, what its own bucket allowed during I + L. For a flood spread
 * evenly over N processes at r requests/s in total this is at most limit × (1 + N·(I + L)·r/limit) in
 * the first interval, and the bucket then holds everyone back.
 *
 * Keys travel as the two 32-bit lanes of their seeded hash (every process of a deployment uses the same
 * seed, so a lane pair names the same key everywhere); the journal is an open-addressing table of
 * `capacity` keys (default 65,536) allocated once — keys beyond it in one interval are counted in
 * `dropped` and not shared (their local limiting is unaffected).
 */
import type { GcraLimit, LimiterTable } from '../core/ratelimit/index.ts';

/** A limiter table that journals what it admits, and can apply another process's journal. */
export interface JournaledTable extends LimiterTable {
  /** The journal since the last call, packed `[a, b, advanceMs, a, b, advanceMs, …]`, or null when empty. */
  take(): number[] | null;
  /** Applies another process's journal at `nowMs`. Returns the keys applied. */
  apply(packed: readonly number[], nowMs: number): number;
  journalStats(): { capacity: number; sentKeys: number; appliedKeys: number; dropped: number };
}

/** Wraps `inner`; its `commitHashed` and consuming `check` are journaled. */
export function createJournaledTable(inner: LimiterTable, capacity = 65_536): JournaledTable {
  const size = 1 << Math.ceil(Math.log2(Math.max(16, capacity * 2)));
  const mask = size - 1;
  const laneA = new Uint32Array(size);
  const laneB = new Uint32Array(size);
  const advance = new Float64Array(size);
  const used = new Uint8Array(size);
  const filled: number[] = [];
  const scratch = new Uint32Array(2);
  const remote: { -readonly [K in keyof GcraLimit]: GcraLimit[K] } = { average: 1, period: 1000, burst: 1, intervalMs: 0, toleranceMs: 0 };
  let dropped = 0;
  let sentKeys = 0;
  let appliedKeys = 0;

  function record(a: number, b: number, adv: number): void {
    let i = (Math.imul(a ^ (b >>> 7), 0x9e3779b1) >>> 0) & mask;
    for (let probe = 0; probe < 32; probe++) {
      if (used[i] === 0) {
        if (filled.length >= capacity) break;
        used[i] = 1;
        laneA[i] = a;
        laneB[i] = b;
        advance[i] = adv;
        filled.push(i);
        return;
      }
      if (laneA[i] === a && laneB[i] === b) {
        advance[i] += adv;
        return;
      }
      i = (i + 1) & mask;
    }
    dropped++;
  }

  return {
    capacity: inner.capacity,
    bytes: inner.bytes + laneA.byteLength * 2 + advance.byteLength + used.byteLength,
    hash: inner.hash,
    parts: inner.parts,
    find: inner.find,
    tatHashed: inner.tatHashed,
    tatOf: inner.tatOf,
    stats: inner.stats,
    countBusy: inner.countBusy,
    check(key, limit, nowMs, cost = 1, mode = 'consume') {
      const r = inner.check(key, limit, nowMs, cost, mode);
      if (r.allowed && mode === 'consume') {
        inner.hash(key, scratch);
        record(scratch[0]!, scratch[1]!, cost * limit.intervalMs);
      }
      return r;
    },
    commitHashed(a, b, limit, nowMs, cost, slot) {
      inner.commitHashed(a, b, limit, nowMs, cost, slot);
      record(a, b, cost * limit.intervalMs);
    },
    take() {
      if (filled.length === 0) return null;
      const out = new Array<number>(filled.length * 3);
      let j = 0;
      for (const i of filled) {
        out[j++] = laneA[i]!;
        out[j++] = laneB[i]!;
        out[j++] = advance[i]!;
        used[i] = 0;
      }
      sentKeys += filled.length;
      filled.length = 0;
      return out;
    },
    apply(packed, nowMs) {
      let n = 0;
      for (let j = 0; j + 2 < packed.length; j += 3) {
        const a = packed[j]! >>> 0;
        const b = packed[j + 1]! >>> 0;
        const adv = packed[j + 2]!;
        if (!(adv > 0) || !Number.isFinite(adv)) continue;
        remote.intervalMs = adv;
        inner.commitHashed(a, b, remote, nowMs, 1);
        n++;
      }
      appliedKeys += n;
      return n;
    },
    journalStats: () => ({ capacity, sentKeys, appliedKeys, dropped }),
  };
}
