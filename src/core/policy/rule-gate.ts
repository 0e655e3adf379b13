/**
 * The rules a request can match, narrowed before any matcher runs.
 *
 * Most rules are for a few methods, a user-agent class, a threat level or a part of the site (`/login`,
 * `/wp-admin`, `/api/`), and most requests are none of those; yet evaluating rules in order used to visit
 * every one of them, each costing a few tens of nanoseconds even when its first matcher fails. The gate
 * indexes facts every request has, once per policy:
 * - the method (rules with a `method` matcher are candidates only for their methods);
 * - the user-agent class (`ua_class` matchers likewise);
 * - the threat level and whether the client is cleared — and the method and user-agent class again —
 *   as far as the rule's expression requires them in its top-level `&&` chain
 *   (`threat_level == "under_attack" && …`, `!cleared && …`; ./cel-requires.ts);
 * - the path's second character, the one after the leading `/` (a `path` matcher whose patterns are all
 *   exact paths, prefixes, globs or `^`-anchored regexes with at least one literal character after the
 *   `/` can only match paths that have one of those characters there; other regexes and bare `/`
 *   prefixes say nothing).
 * A request's candidates are the rules allowed by all of these, as a bit set in rule order. The gate only
 * ever leaves out rules whose own matchers (or expression) would refuse the request, so `matchRule` still
 * decides, and the order and outcome of evaluation are those of visiting every rule (property-tested in
 * rule-gate.test.ts). A new matcher kind is simply not gated; a change to how methods, user-agent classes
 * or paths match (case folding, normalisation, pattern syntax), or to what the expression variables
 * `method`, `ua_class`, `threat_level` and `cleared` hold, must change the gate with it.
 */
import type { ClientClass, ThreatLevel } from '../vocabulary.ts';
import type { DecideFacts } from './facts.ts';

/** The path's second character as a gate bucket: 0–126 as is, 127 for 127 and above, 128 for paths shorter than 2. */
const BUCKETS = 129;
const SHORT_PATH = 128;

/** Gate bucket of a path (see {@link BUCKETS}). */
export function pathBucket(path: string): number {
  if (path.length < 2) return SHORT_PATH;
  const c = path.charCodeAt(1);
  return c >= 127 ? 127 : c;
}

/**
 * The buckets a rule's path patterns can match (see the module comment), or null when they could match a
 * path with any second character. Pattern syntax: src/core/ratelimit/match.ts.
 */
export function pathBucketsOf(patterns: readonly string[]): ReadonlySet<number> | null {
  if (patterns.length === 0) return null;
  const buckets = new Set<number>();
  for (const p of patterns) {
    if (p.startsWith('~')) {
      const literal = anchoredLiteral(p.slice(1));
      if (literal === null || literal.length < 2) return null;
      buckets.add(pathBucket(literal));
      continue;
    }
    if (p.startsWith('=')) {
      buckets.add(pathBucket(p.slice(1))); // an exact path has exactly this bucket
      continue;
    }
    const wild = p.search(/[*?]/);
    const literal = wild < 0 ? p : p.slice(0, wild);
    if (literal.length < 2) return null; // `/`, `/*`, `*`: any second character
    buckets.add(pathBucket(literal));
  }
  return buckets;
}

/** True when `source` has a `|` outside groups and classes (then a leading `^` anchors one branch only). */
function topLevelAlternation(source: string): boolean {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) return true;
  }
  return false;
}

/**
 * The characters every match of a regular expression (JavaScript syntax, no flags) starts with, when it
 * is anchored with `^`: literal characters and escaped punctuation up to the first metacharacter, class
 * escape or quantifier (a character followed by `?`, `*` or `{` may be absent and is left out; one
 * followed by `+` is kept and ends the literal). Null when the expression is not anchored at the start.
 */
export function anchoredLiteral(source: string): string | null {
  if (!source.startsWith('^') || topLevelAlternation(source)) return null;
  let literal = '';
  let i = 1;
  while (i < source.length) {
    let c = source[i];
    let width = 1;
    if (c === '\\') {
      const next = source[i + 1];
      if (next === undefined || /[A-Za-z0-9]/.test(next)) break; // \d, \b, \1, \u…: not a literal
      c = next;
      width = 2;
    } else if ('^$.|?*+()[]{}'.includes(c)) break;
    const quantifier = source[i + width];
    if (quantifier === '?' || quantifier === '*' || quantifier === '{') break;
    literal += c;
    i += width;
    if (quantifier === '+') break;
  }
  return literal;
}

/** What a rule requires of the gate's facts: the values it can match (null = any). */
export interface GateSpec {
  readonly methods: ReadonlySet<string> | null;
  readonly uaClasses: ReadonlySet<ClientClass> | null;
  readonly levels: ReadonlySet<ThreatLevel> | null;
  /** The value `cleared` must have, or null. */
  readonly cleared: boolean | null;
  /** Path buckets the rule's path matcher can match ({@link pathBucketsOf}), or null for any. */
  readonly pathBuckets: ReadonlySet<number> | null;
}

/** A rule the gate admits for every request. */
export const OPEN_GATE: GateSpec = Object.freeze({ methods: null, uaClasses: null, levels: null, cleared: null, pathBuckets: null });

/** The compiled gate of one policy's rules. */
export interface RuleGate {
  /** 32-bit words in a candidate set: ⌈rules / 32⌉. */
  readonly words: number;
  /** Write the candidates for `facts` into `out` (length ≥ words): bit i of word i>>5 for rule i. */
  select(facts: DecideFacts, out: Uint32Array): void;
}

/** The order of the per-class and per-level masks (classMask and levelMask below map a value to its index). */
const CLASSES: readonly ClientClass[] = ['browser', 'crawler', 'library', 'unknown'];
const LEVELS: readonly ThreatLevel[] = ['normal', 'elevated', 'under_attack'];

/** Compile the gate for the rules' specs (in evaluation order). */
export function compileRuleGate(rules: readonly GateSpec[]): RuleGate {
  const words = Math.max(1, Math.ceil(rules.length / 32));
  const set = (mask: Uint32Array, i: number): void => void (mask[i >>> 5] |= 1 << (i & 31));
  const maskOf = (admits: (rule: GateSpec) => boolean): Uint32Array => {
    const mask = new Uint32Array(words);
    rules.forEach((r, i) => admits(r) && set(mask, i));
    return mask;
  };
  // Methods: one mask per method some rule names; any other method admits the rules without a method matcher.
  const methodNames = new Set<string>();
  for (const r of rules) for (const m of r.methods ?? []) methodNames.add(m);
  const byMethod = new Map<string, Uint32Array>([...methodNames].map((m) => [m, maskOf((r) => r.methods === null || r.methods.has(m))]));
  const otherMethods = maskOf((r) => r.methods === null);
  const byClass = CLASSES.map((c) => maskOf((r) => r.uaClasses === null || r.uaClasses.has(c)));
  const byLevel = LEVELS.map((l) => maskOf((r) => r.levels === null || r.levels.has(l)));
  const byCleared = [false, true].map((c) => maskOf((r) => r.cleared === null || r.cleared === c));
  const byBucket: Uint32Array[] = [];
  for (let b = 0; b < BUCKETS; b++) byBucket.push(maskOf((r) => r.pathBuckets === null || r.pathBuckets.has(b)));

  // Switches, not Map lookups (a few nanoseconds per request); a value added to the vocabulary fails to
  // compile here until it has its mask.
  function classMask(c: ClientClass): Uint32Array {
    switch (c) {
      case 'browser':
        return byClass[0];
      case 'crawler':
        return byClass[1];
      case 'library':
        return byClass[2];
      case 'unknown':
        return byClass[3];
      default:
        return c satisfies never;
    }
  }
  function levelMask(l: ThreatLevel): Uint32Array {
    switch (l) {
      case 'normal':
        return byLevel[0];
      case 'elevated':
        return byLevel[1];
      case 'under_attack':
        return byLevel[2];
      default:
        return l satisfies never;
    }
  }

  return {
    words,
    select(facts, out) {
      const m = byMethod.get(facts.method) ?? otherMethods;
      const c = classMask(facts.uaClass);
      const l = levelMask(facts.threatLevel);
      const k = byCleared[facts.cleared ? 1 : 0];
      const p = byBucket[pathBucket(facts.path)];
      for (let w = 0; w < words; w++) out[w] = m[w] & c[w] & l[w] & k[w] & p[w];
    },
  };
}
