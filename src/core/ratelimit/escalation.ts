/**
 * The escalation ladder: a client address or prefix that keeps hitting limits is banned for a growing time
 * (default 1 min, 10 min, 1 h, 24 h). This module only decides; the ban store and the accept-time drop
 * live in the edge.
 *
 * Strikes are a leaky bucket (GCRA again): each refusal adds `windowMs / threshold` ms of "strike time",
 * which drains in real time, capped at `windowMs`. The ban comes when the bucket is full — `threshold`
 * refusals in quick succession, or a sustained refusal rate above `threshold / windowMs`.
 *
 * The rung is also a decaying value, kept as a time: each ban adds `forgiveMs` plus the ban's own length,
 * so good behaviour (time without bans, after the ban has run out) steps the client down one rung per
 * `forgiveMs`, and `ladder.length × forgiveMs` of it resets the ladder completely (default 6 h per rung).
 *
 * Both values only grow with bad behaviour and are meaningless once in the past, so the same bounded
 * scheme as the limiter table applies (see limiter-table.ts): entries are evicted only when both values
 * have passed, and when a key finds no slot its values go to max-sketches whose estimates are never below
 * the truth. Being forgotten never lowers a rung. (The one thing a sketch cannot hold is "already banned";
 * a key judged from the sketch may be banned again at a higher rung — stricter, never looser.)
 */
import { BulwarkError } from '../errors.ts';
import { createCountMinSketch } from '../sketch/count-min.ts';
import { hashString64 } from '../sketch/hash.ts';
import { createSlotTable } from './slot-table.ts';

/** When strikes turn into a ban: `threshold` refusals within about `windowMs`. */
export interface StrikePolicy {
  readonly threshold: number;
  readonly windowMs: number;
}

/** Options of {@link createEscalation}. */
export interface EscalationOptions {
  /** Per-process secret hash seed, integer in [0, 2^53). */
  readonly seed: number;
  /** Exactly tracked addresses and prefixes together. Default 65,536 (≈ 2.5 MB with the sketches). */
  readonly maxKeys?: number;
  /** Strikes for a single address. Default 10 refusals per 60 s. */
  readonly address?: StrikePolicy;
  /** Strikes for a prefix (every refusal of any of its addresses counts); false disables prefix bans. Default 100 per 60 s. */
  readonly prefix?: StrikePolicy | false;
  /** Ban length per rung, ms; the last rung repeats. Default 1 min, 10 min, 1 h, 24 h. */
  readonly ladderMs?: readonly number[];
  /** Good behaviour that forgives one rung, ms. Default 6 h. */
  readonly forgiveMs?: number;
  /** Fallback sketch width (cells per row). Default maxKeys / 4, at least 1024. */
  readonly sketchWidth?: number;
}

/** A refused request, as escalation needs it. Shadow refusals should not be reported. */
export interface RefusalFacts {
  readonly address: string;
  /** The address's prefix (`'203.0.113.0/24'`), or null to count the address only. */
  readonly prefix: string | null;
  /** What refused it, e.g. `limit/login`. */
  readonly by: string;
}

export type BanScope = 'address' | 'prefix';

/** A ban to store and enforce at accept. */
export interface Ban {
  /** The banned address or prefix, as given in {@link RefusalFacts}. */
  readonly key: string;
  readonly scope: BanScope;
  /** End of the ban (ms since the epoch). */
  readonly untilMs: number;
  /** Why: `escalation/<what refused last>`, e.g. `escalation/limit/login`. */
  readonly reason: string;
  /** Rung of the ladder used, 1-based (1 = first, shortest ban). */
  readonly level: number;
}

/** A ban decision, or null for "no ban now". */
export type EscalationDecision = { readonly ban: Ban } | null;

/** Where a key stands, for the admin API and tests. */
export interface Standing {
  readonly strikes: number;
  /** Rungs not yet forgiven: the next ban uses rung `level + 1` (capped at the ladder's end). */
  readonly level: number;
  /** End of the current ban known to this table, 0 when none. */
  readonly bannedUntilMs: number;
}

/** Counters for metrics. */
export interface EscalationStats {
  readonly size: number;
  readonly capacity: number;
  readonly evictions: number;
  readonly fallbacks: number;
  readonly bans: number;
  readonly bytes: number;
}

/** The ladder; see the file comment. */
export interface Escalation {
  /** Count one refusal against the address (and its prefix); a ban decision when one is due. */
  recordRefusal(facts: RefusalFacts, nowMs: number): EscalationDecision;
  standing(scope: BanScope, key: string, nowMs: number): Standing;
  stats(): EscalationStats;
}

const EPS = 1e-6;
const DEFAULT_LADDER = [60_000, 600_000, 3_600_000, 86_400_000];

function optionsError(message: string): BulwarkError {
  return new BulwarkError('BULWARK_ERR_ESCALATION_OPTIONS', message, { source: 'config' });
}

function checkPolicy(name: string, p: StrikePolicy): StrikePolicy {
  if (!(Number.isInteger(p.threshold) && p.threshold >= 1)) throw optionsError(`${name}.threshold must be an integer ≥ 1`);
  if (!(Number.isFinite(p.windowMs) && p.windowMs > 0)) throw optionsError(`${name}.windowMs must be > 0`);
  return p;
}

/** Create the ladder. Throws `BULWARK_ERR_ESCALATION_OPTIONS` for invalid options. */
export function createEscalation(options: EscalationOptions): Escalation {
  const address = checkPolicy('address', options.address ?? { threshold: 10, windowMs: 60_000 });
  const prefix = options.prefix === false ? null : checkPolicy('prefix', options.prefix ?? { threshold: 100, windowMs: 60_000 });
  const ladder = options.ladderMs ?? DEFAULT_LADDER;
  if (ladder.length === 0 || !ladder.every((ms) => Number.isFinite(ms) && ms > 0)) throw optionsError('ladderMs must be positive durations');
  const forgiveMs = options.forgiveMs ?? 6 * 3_600_000;
  if (!(Number.isFinite(forgiveMs) && forgiveMs > 0)) throw optionsError('forgiveMs must be > 0');
  const maxKeys = options.maxKeys ?? 65_536;
  if (!(Number.isInteger(maxKeys) && maxKeys >= 1 && maxKeys <= 2 ** 24)) throw optionsError('maxKeys must be an integer in 1..2^24');

  const slots = createSlotTable(maxKeys);
  const strikeTat = new Float64Array(slots.capacity);
  const levelTat = new Float64Array(slots.capacity);
  const banUntil = new Float64Array(slots.capacity);
  const width = options.sketchWidth ?? Math.max(1024, Math.ceil(maxKeys / 4));
  const strikeSketch = createCountMinSketch({ width, seed: (options.seed + 11) % 2 ** 53, cells: 'float64' });
  const levelSketch = createCountMinSketch({ width, seed: (options.seed + 23) % 2 ** 53, cells: 'float64' });
  let strikeMax = -Infinity;
  let levelMax = -Infinity;
  let fallbacks = 0;
  let bans = 0;
  const h = new Uint32Array(2);

  /** Current values of one key, loaded by `load` and written back by `save`. */
  const cur = { slot: -1, strike: 0, level: 0, ban: 0 };

  function load(scope: BanScope, key: string, nowMs: number): void {
    hashString64(scope === 'address' ? 'a|' + key : 'p|' + key, options.seed, h);
    const s = slots.find(h[0], h[1]);
    cur.slot = s;
    if (s >= 0) {
      cur.strike = strikeTat[s];
      cur.level = levelTat[s];
      cur.ban = banUntil[s];
      return;
    }
    cur.strike = strikeMax > nowMs ? strikeSketch.estimateHashed(h[0], h[1]) : nowMs;
    cur.level = levelMax > nowMs ? levelSketch.estimateHashed(h[0], h[1]) : nowMs;
    cur.ban = 0;
  }
  function save(nowMs: number): void {
    let s = cur.slot;
    if (s < 0) s = slots.claim(h[0], h[1], nowMs);
    if (s >= 0) {
      strikeTat[s] = cur.strike;
      levelTat[s] = cur.level;
      banUntil[s] = cur.ban;
      slots.until[s] = Math.max(cur.strike, cur.level, cur.ban);
      return;
    }
    fallbacks++;
    strikeSketch.raiseHashed(h[0], h[1], cur.strike);
    levelSketch.raiseHashed(h[0], h[1], cur.level);
    if (cur.strike > strikeMax) strikeMax = cur.strike;
    if (cur.level > levelMax) levelMax = cur.level;
  }
  function rungsOwed(levelAt: number, nowMs: number): number {
    return levelAt > nowMs ? Math.ceil((levelAt - nowMs) / forgiveMs - EPS) : 0;
  }
  /** Add a strike to the loaded key; true when its bucket is full (a ban is due). */
  function strike(policy: StrikePolicy, nowMs: number): boolean {
    const interval = policy.windowMs / policy.threshold;
    const next = Math.min((cur.strike > nowMs ? cur.strike : nowMs) + interval, nowMs + policy.windowMs);
    cur.strike = Math.max(cur.strike, next);
    // Full when less than one strike's worth of room is left: `threshold` refusals at once ban.
    return cur.strike - nowMs > policy.windowMs - interval + EPS && !(cur.ban > nowMs);
  }
  /** Ban the loaded key: pick the rung, extend its level time. */
  function ban(scope: BanScope, key: string, by: string, nowMs: number): Ban {
    const rung = Math.min(rungsOwed(cur.level, nowMs), ladder.length - 1);
    const untilMs = nowMs + ladder[rung];
    const base = cur.level > nowMs ? cur.level : nowMs;
    cur.level = Math.max(cur.level, Math.min(base + ladder[rung] + forgiveMs, untilMs + ladder.length * forgiveMs));
    cur.ban = untilMs;
    bans++;
    return { key, scope, untilMs, reason: `escalation/${by}`, level: rung + 1 };
  }

  function recordRefusal(facts: RefusalFacts, nowMs: number): EscalationDecision {
    let result: Ban | null = null;
    if (prefix !== null && facts.prefix !== null) {
      load('prefix', facts.prefix, nowMs);
      if (strike(prefix, nowMs)) result = ban('prefix', facts.prefix, facts.by, nowMs);
      save(nowMs);
    }
    load('address', facts.address, nowMs);
    if (strike(address, nowMs) && result === null) result = ban('address', facts.address, facts.by, nowMs);
    save(nowMs);
    return result === null ? null : { ban: result };
  }

  return {
    recordRefusal,
    standing(scope, key, nowMs) {
      load(scope, key, nowMs);
      const policy = scope === 'address' ? address : (prefix ?? address);
      const strikes = cur.strike > nowMs ? (cur.strike - nowMs) / (policy.windowMs / policy.threshold) : 0;
      return { strikes, level: rungsOwed(cur.level, nowMs), bannedUntilMs: cur.ban > nowMs ? cur.ban : 0 };
    },
    stats: () => ({
      size: slots.size(),
      capacity: slots.capacity,
      evictions: slots.evictions(),
      fallbacks,
      bans,
      bytes: slots.bytes + strikeTat.byteLength * 3 + strikeSketch.bytes + levelSketch.bytes,
    }),
  };
}
