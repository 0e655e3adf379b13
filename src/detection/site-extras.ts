/**
 * Per-site facts the incident record needs that the core aggregates do not keep, fed from the request
 * path in O(1) and bounded:
 * - the origin latency of *cleared* visitors per second (the core's histogram mixes everyone), in a ring
 *   of `RING` one-second log histograms;
 * - requests per decision (`by`: `sig/…`, `level/under_attack`, `limit/<name>`…), so each action's effect
 *   can be reported; at most `MAX_DECISION_KEYS` keys per second, the rest counted under `other`;
 * - a HyperLogLog of every client address since the last reset (distinct sources of a whole incident);
 * - uncleared requests per HTTP method (the incident fingerprint's method distribution): the nine
 *   methods of RFC 9110 and PATCH by name, anything else as `OTHER` (at most ten keys).
 */
import { createKmv, type Kmv } from '../core/detect/kmv.ts';
import { createHyperLogLog, hash32, type HyperLogLog } from '../core/detect/index.ts';
import { LOG_BUCKETS, logBucket } from '../core/detect/log-histogram.ts';
import { methodKey } from '../incidents/fingerprint/fingerprint-recorder.ts';

/** Seconds of cleared-visitor latency kept (the tick reads the last complete second). */
const RING = 4;
/** Decision keys counted per second; beyond it they count under `other`. */
export const MAX_DECISION_KEYS = 64;

/** One second of another process's extras, as the site's leader merges it (see contribution.ts). */
export interface ExtrasPart {
  readonly second: number;
  /** Requests per decision key in that second. */
  readonly decisions: ReadonlyArray<readonly [string, number]>;
  /** Cleared visitors' origin latency histogram of that second, or null. */
  readonly cleared: Uint32Array | null;
  /** HyperLogLog registers of that second's client addresses (same seed), merged into the incident's distinct sources. */
  readonly sources: Uint8Array | null;
  /** Bottom-k prefix hashes of that second (see `sourceSignature`). */
  readonly prefixes: readonly number[];
  /** Uncleared requests per method in that second (the incident fingerprint); absent from older processes. */
  readonly methods?: ReadonlyArray<readonly [string, number]>;
}

/** The per-site extras. */
export interface SiteExtras {
  observe(second: number, cleared: boolean, originLatencyMs: number, decisionBy: string, address: string, prefix?: string, addressHash?: number, method?: string): void;
  /** Cleared visitors' origin latency histogram of `second` (LOG_BUCKETS counts), or null if not kept. */
  clearedLatency(second: number): Uint32Array | null;
  /** Uncleared requests per method since the last call, then starts a new count. */
  takeMethods(): Record<string, number>;
  /** Requests per decision since the last call, then starts a new count. */
  takeDecisions(): Map<string, number>;
  /** Distinct client addresses since the last `resetSources`. O(2^p). */
  distinctSources(): number;
  /**
   * Bottom-k sketch of the uncleared client prefixes since the last `resetSources` (see core/detect/kmv.ts):
   * compares the networks of two incidents however many sources they had.
   */
  sourceSignature(): number[];
  resetSources(): void;
  /** Adds another process's second (decisions, cleared latency, sources, prefixes, methods). */
  merge(part: ExtrasPart): void;
  /** Fill levels. */
  stats(): { decisionKeys: number; decisionOverflow: number };
}

/**
 * The key a decision is counted under: bans and lists by kind only (`ban`, `list/deny`), since their
 * `by` names one address each; everything else as given, cut to 120 characters.
 */
export function decisionKey(by: string): string {
  if (by.startsWith('ban/')) return 'ban';
  return by.length > 120 ? by.slice(0, 120) : by;
}

/**
 * Fixed, not per process: incidents recorded before a restart (yesterday's attack) must be comparable
 * with today's. Sources cannot choose their prefixes freely, so a known seed costs nothing here.
 */
const SIGNATURE_SEED = 0x2545f491;

/** Creates the extras of one site; `hashSeed` seeds the address hash (keep it secret per process). */
export function createSiteExtras(hashSeed: number): SiteExtras {
  const latency = new Uint32Array(RING * LOG_BUCKETS);
  const tags = new Float64Array(RING).fill(-1);
  let decisions = new Map<string, number>();
  let methods: Record<string, number> = {};
  let overflow = 0;
  const sources: HyperLogLog = createHyperLogLog({ seed: hashSeed });
  const prefixes: Kmv = createKmv();

  function slot(second: number): number {
    const s = ((second % RING) + RING) % RING;
    if (tags[s] !== second) {
      if (tags[s]! > second) return -1;
      latency.fill(0, s * LOG_BUCKETS, (s + 1) * LOG_BUCKETS);
      tags[s] = second;
    }
    return s;
  }

  return {
    observe(second, cleared, originLatencyMs, decisionBy, address, prefix = '', addressHash = hash32(address, hashSeed), method) {
      if (!cleared && method !== undefined && method.length > 0) {
        const m = methodKey(method);
        methods[m] = (methods[m] ?? 0) + 1;
      }
      if (cleared && originLatencyMs >= 0) {
        const s = slot(second);
        if (s >= 0) latency[s * LOG_BUCKETS + logBucket(originLatencyMs)]++;
      }
      const key = decisionKey(decisionBy);
      const n = decisions.get(key);
      if (n !== undefined) decisions.set(key, n + 1);
      else if (decisions.size < MAX_DECISION_KEYS) decisions.set(key, 1);
      else {
        overflow++;
        decisions.set('other', (decisions.get('other') ?? 0) + 1);
      }
      sources.addHash(addressHash);
      // The networks Bulwark acted against (challenged, limited, blocked...): the sketch describes the
      // attackers, not the site's own visitors, who would make every two incidents look alike.
      if (!cleared && prefix !== '' && decisionBy !== 'default/allow' && !decisionBy.startsWith('list/allow')) prefixes.add(hash32(prefix, SIGNATURE_SEED));
    },
    clearedLatency(second) {
      const s = ((second % RING) + RING) % RING;
      return tags[s] === second ? latency.slice(s * LOG_BUCKETS, (s + 1) * LOG_BUCKETS) : null;
    },
    takeMethods() {
      const out = methods;
      methods = {};
      return out;
    },
    takeDecisions() {
      const out = decisions;
      decisions = new Map();
      return out;
    },
    distinctSources: () => sources.count(),
    sourceSignature: () => prefixes.values(),
    resetSources: () => {
      sources.reset();
      prefixes.reset();
    },
    merge(part) {
      for (const [key, n] of part.decisions) {
        const cur = decisions.get(key);
        if (cur !== undefined) decisions.set(key, cur + n);
        else if (decisions.size < MAX_DECISION_KEYS) decisions.set(key, n);
        else {
          overflow += n;
          decisions.set('other', (decisions.get('other') ?? 0) + n);
        }
      }
      if (part.cleared !== null && part.cleared.length === LOG_BUCKETS) {
        const s = slot(part.second);
        if (s >= 0) for (let i = 0; i < LOG_BUCKETS; i++) latency[s * LOG_BUCKETS + i] += part.cleared[i]!;
      }
      if (part.sources !== null && part.sources.length === sources.registers.length) sources.merge(part.sources);
      for (const h of part.prefixes) prefixes.add(h);
      for (const [m, n] of part.methods ?? []) {
        if (!(n > 0)) continue;
        const k = methodKey(m);
        methods[k] = (methods[k] ?? 0) + n;
      }
    },
    stats: () => ({ decisionKeys: decisions.size, decisionOverflow: overflow }),
  };
}
