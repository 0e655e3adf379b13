/**
 * The compiled multi-limit evaluator: several named limits per site (per address everywhere, stricter on
 * `/login`, per /24 and /64, …), each keyed by request facts and applying to matching requests.
 *
 * Everything is compiled once (limits, keys, path patterns); `evaluate` only matches, composes keys,
 * hashes and reads typed arrays.
 *
 * A request is admitted atomically: phase one decides every applicable limit without recording anything;
 * phase two records the request in every enforced limit only if none of them refused. So a request refused
 * by the `/login` limit does not also spend the client's per-address budget, and each limit on its own
 * keeps the GCRA bound (≤ rate·t + burst admitted in any window t).
 *
 * Shadow mode (`shadow: true`): the limit is decided and recorded exactly as if it were enforced on its own
 * — it consumes when it would admit, and a refusal leaves its state untouched, as enforcement would — so
 * its counts and would-be refusals are realistic; but its refusal never refuses the request, and its
 * accounting does not depend on the enforced limits. Shadow refusals should be logged, not escalated.
 */
import { BulwarkError } from '../../errors.ts';
import { assertCost, compileGcra, gcraAllows, gcraDecide } from './gcra.ts';
import type { GcraLimit, GcraSpec, RateLimitResult } from './gcra.ts';
import { compileKey, createAddressWords, keyPartName } from './key.ts';
import type { AddressWords, CompiledKey, KeyHashing, KeyPart } from './key.ts';
import { compileMatch } from './match.ts';
import type { LimitMatch, Matcher } from './match.ts';
import type { LimiterTable } from './limiter-table.ts';
import type { RequestFacts } from './facts.ts';

/** One limit as configured: Traefik's `average` / `period` / `burst`, plus key, match and mode. */
export interface LimitSpec extends GcraSpec {
  /** Unique name, `[A-Za-z0-9][A-Za-z0-9._-]{0,63}`: appears in keys, logs (`limit/<name>`) and headers. */
  readonly name: string;
  /** Facts that make up the key, in order; `[]` is one key for everyone (a global limit). */
  readonly key: readonly KeyPart[];
  /** When the limit applies; absent = every request. */
  readonly match?: LimitMatch;
  /** Decide and count, but never refuse (default false). */
  readonly shadow?: boolean;
  /** Units one request costs, 0 < cost ≤ burst (default 1). */
  readonly cost?: number;
  /**
   * Also counted on the deployment's shared server for every request it admits here, exactly across
   * machines (default false; the I/O side does it, see pipeline/phases/exact.ts).
   */
  readonly exact?: boolean;
}

/** A limit ready to evaluate. */
export interface CompiledLimit {
  readonly name: string;
  /** What produced a refusal, in the Decision vocabulary: `limit/<name>`. */
  readonly by: string;
  readonly gcra: GcraLimit;
  readonly cost: number;
  readonly shadow: boolean;
  /** Counted exactly on the shared server as well (see {@link LimitSpec.exact}). */
  readonly exact: boolean;
  readonly key: CompiledKey;
  /** null: applies to every request. */
  readonly applies: Matcher | null;
}

/** One limit's decision for one request. */
export interface LimitCheck {
  readonly name: string;
  readonly shadow: boolean;
  /** The readable key, e.g. `limit:per-ip|203.0.113.7` (built when read: keep it off the hot path). */
  readonly key: string;
  /** `result.allowed`, known without computing the other figures (read this on the hot path). */
  readonly allowed: boolean;
  readonly result: RateLimitResult;
  readonly limit: CompiledLimit;
}

/** All limits' decisions for one request. */
export interface LimitsVerdict {
  /** The first enforced limit (in configuration order) that refused, or null: the request may pass. */
  readonly refused: LimitCheck | null;
  /** Every applicable limit's decision, shadow ones included, in configuration order. */
  readonly checks: readonly LimitCheck[];
}

/** Options of {@link createLimitEvaluator}. */
export interface LimitEvaluatorOptions {
  readonly limits: readonly LimitSpec[];
  /** Where the state lives; may be shared by several evaluators (keys carry the limit name). */
  readonly table: LimiterTable;
}

/** Evaluates a site's limits for a request. */
export interface LimitEvaluator {
  readonly limits: readonly CompiledLimit[];
  /**
   * Decide and record one request at `nowMs`; see the file comment for the two phases. `address`: the
   * request's address already parsed by the caller (`parseIpInto(facts.address)`, as decide has it), so
   * address keys do not parse it again when `facts.ip` is absent.
   */
  evaluate(facts: RequestFacts, nowMs: number, address?: AddressWords): LimitsVerdict;
  /** Decide as `evaluate` would, recording nothing (for "what would this client get" in the admin API). */
  peek(facts: RequestFacts, nowMs: number, address?: AddressWords): LimitsVerdict;
}

/**
 * A check whose figures ({@link RateLimitResult}) and readable key are computed only when read: phase one
 * needs only "allowed?", and the figures matter only for a refusal's headers (keep them off the hot path).
 * The figures come from the TAT seen in phase one, so they are what an eager `gcraDecide` would have said.
 */
class Check implements LimitCheck {
  readonly name: string;
  readonly shadow: boolean;
  private figures: RateLimitResult | null = null;
  constructor(
    readonly limit: CompiledLimit,
    /** `gcraAllows` of the TAT below: what `result.allowed` will say. */
    readonly allowed: boolean,
    private readonly tatMs: number,
    private readonly nowMs: number,
    private readonly facts: RequestFacts,
  ) {
    this.name = limit.name;
    this.shadow = limit.shadow;
  }
  get result(): RateLimitResult {
    return (this.figures ??= gcraDecide(this.tatMs, this.nowMs, this.limit.gcra, this.limit.cost));
  }
  get key(): string {
    return this.limit.key.compose(this.facts);
  }
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const NO_LIMITS: LimitsVerdict = Object.freeze({ refused: null, checks: Object.freeze([]) as readonly LimitCheck[] });

function specError(message: string, cause?: unknown): BulwarkError {
  return new BulwarkError('BULWARK_ERR_RATELIMIT_SPEC', message, { source: 'config', cause });
}

/**
 * Compile one limit. Throws `BULWARK_ERR_RATELIMIT_SPEC` (or `_COST`) with the limit's name for a bad
 * name, rate, key part or pattern.
 */
export function compileLimit(spec: LimitSpec): CompiledLimit {
  if (!NAME.test(spec.name)) throw specError(`limit name ${JSON.stringify(spec.name)} must match ${NAME.source}`);
  try {
    const gcra = compileGcra(spec);
    const cost = spec.cost ?? 1;
    assertCost(gcra, cost);
    const seen = new Set<string>();
    for (const part of spec.key) {
      const name = keyPartName(part);
      if (typeof part === 'object' && !/^[a-z0-9!#$%&'*+.^_`|~-]+$/i.test(part.header)) throw specError(`invalid header name in key: ${name}`);
      if (seen.has(name)) throw specError(`key part ${name} appears twice`);
      seen.add(name);
    }
    const applies = compileMatch(spec.match);
    return { name: spec.name, by: `limit/${spec.name}`, gcra, cost, shadow: spec.shadow ?? false, exact: spec.exact ?? false, key: compileKey(spec.name, spec.key), applies };
  } catch (err) {
    if (err instanceof BulwarkError) throw new BulwarkError(err.code, `limit ${spec.name}: ${err.message}`, { source: 'config', cause: err });
    throw err;
  }
}

/** Compile a site's limits (names must be unique) over a limiter table. */
export function createLimitEvaluator(options: LimitEvaluatorOptions): LimitEvaluator {
  const limits = options.limits.map(compileLimit);
  const names = new Set<string>();
  for (const l of limits) {
    if (names.has(l.name)) throw specError(`limit name ${l.name} is used twice`);
    names.add(l.name);
  }
  const table = options.table;
  /** Per limit: the hash state of `limit:<name>` under the table's seed, where its keys start. */
  const seeds = new Uint32Array(2 * limits.length);
  for (let i = 0; i < limits.length; i++) table.hash('limit:' + limits[i].name, seeds.subarray(2 * i, 2 * i + 2));
  /** Per applicable limit of the current request: which limit, its key's hash lanes and table slot. */
  const which = new Int32Array(limits.length);
  const hashes = new Uint32Array(2 * limits.length);
  const found = new Int32Array(limits.length);
  const state = new Uint32Array(2);
  /** The request's address as words, parsed once per evaluation when neither facts nor caller carry it. */
  const ownAddress = createAddressWords();
  const hashing: KeyHashing = { parts: table.parts, address: ownAddress };

  /**
   * Phase two. Keys already in the table are written first, through their slots from phase one: such
   * writes move no key. Keys that need a slot come second: a claim may evict an idle entry, and the
   * entries just written are busy (their TAT is ahead of now), so none of them can be the one evicted.
   */
  function commit(checks: readonly Check[], enforcedAdmitted: boolean, nowMs: number): void {
    for (let pass = 0; pass < 2; pass++) {
      for (let j = 0; j < checks.length; j++) {
        const c = checks[j];
        if (!c.allowed || !(c.shadow || enforcedAdmitted) || (found[j] >= 0) !== (pass === 0)) continue;
        table.commitHashed(hashes[2 * j], hashes[2 * j + 1], c.limit.gcra, nowMs, c.limit.cost, pass === 0 ? found[j] : undefined);
      }
    }
  }

  /**
   * Phase one, in three short loops: hash the keys of the applicable limits, then look all of them up
   * (independent table reads the CPU can overlap), then decide each from its TAT.
   */
  function decide(facts: RequestFacts, nowMs: number, record: boolean, given: AddressWords | undefined): LimitsVerdict {
    let n = 0;
    if (given === undefined) {
      ownAddress.family = -1;
      hashing.address = ownAddress;
    } else hashing.address = given;
    for (let i = 0; i < limits.length; i++) {
      const limit = limits[i];
      if (limit.applies !== null && !limit.applies(facts)) continue;
      state[0] = seeds[2 * i];
      state[1] = seeds[2 * i + 1];
      limit.key.hashInto(facts, state, hashing);
      which[n] = i;
      hashes[2 * n] = state[0];
      hashes[2 * n + 1] = state[1];
      n++;
    }
    if (n === 0) return NO_LIMITS;
    for (let j = 0; j < n; j++) found[j] = table.find(hashes[2 * j], hashes[2 * j + 1]);
    const checks: Check[] = [];
    let refused: Check | null = null;
    for (let j = 0; j < n; j++) {
      const limit = limits[which[j]];
      const tat = table.tatHashed(hashes[2 * j], hashes[2 * j + 1], nowMs, found[j]);
      const check = new Check(limit, gcraAllows(tat, nowMs, limit.gcra, limit.cost), tat, nowMs, facts);
      checks.push(check);
      if (refused === null && !check.allowed && !limit.shadow) refused = check;
    }
    if (record) commit(checks, refused === null, nowMs);
    return { refused, checks };
  }

  return {
    limits,
    evaluate: (facts, nowMs, address) => decide(facts, nowMs, true, address),
    peek: (facts, nowMs, address) => decide(facts, nowMs, false, address),
  };
}
