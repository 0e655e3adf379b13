/**
 * CEL expressions over the request facts (@marcbachmann/cel-js, https://github.com/google/cel-spec),
 * parsed and type-checked at config load; evaluating one is a call on a prepared program.
 *
 * The environment — every variable always exists, so an expression never fails on a missing fact:
 *
 * | variable       | CEL type              | value                                                          |
 * |----------------|-----------------------|----------------------------------------------------------------|
 * | `address`      | string                | client address, normalised (`203.0.113.7`, `2001:db8::1`)      |
 * | `prefix`       | string                | its prefix (`203.0.113.0/24`), `''` when unknown               |
 * | `asn`          | double                | autonomous system number, `0` when unknown                     |
 * | `country`      | string                | ISO 3166-1 alpha-2, `''` when unknown                          |
 * | `site`, `method`, `host`, `path`, `query` | string | `method` upper case; `path` without query; `query` without `?` |
 * | `headers`      | map<string, string>   | request headers present, lower-case names                      |
 * | `fingerprint`  | string                | header fingerprint (src/core/identify/fingerprint.ts)          |
 * | `ua_class`     | string                | `browser`, `crawler`, `library`, `unknown`                     |
 * | `cleared`      | bool                  | a cleared visitor: proof of work satisfying this level's challenge |
 * | `rate`         | Rate {address, prefix: double} | current requests/s of the client's address and prefix |
 * | `threat_level` | string                | `normal`, `elevated`, `under_attack`                           |
 *
 * Numbers are `double` because CEL `int` is a BigInt in this library; `asn == 15169` and
 * `asn in [15169, 8075]` still work (integer literals are compared by value through overloads registered
 * here). Headers: `headers["x"]` on an absent header is a CEL error (as the spec says), so use
 * `header("X-Api-Key")` — any case, `''` when absent — or test presence with `"x-api-key" in headers`.
 * A rule whose expression fails at run time does not match, and the failure is reported (never thrown).
 *
 * Expressions in a simple subset (comparisons, `&&`/`||`/`!`, `in` literal lists, `header()`,
 * `ipInCidr` with literal CIDRs, string methods…) run as plain closures (./cel-fast.ts), the rest on cel-js.
 *
 * Functions added: `header(string): string`; `ipInCidr(string, string): bool` and
 * `ipInCidr(string, list<string>): bool` (e.g. `ipInCidr(address, "10.0.0.0/8")`; host bits allowed in a
 * run-time CIDR, refused in a literal). Checked at compile time: the result type is bool; literal CIDRs
 * are valid; `matches()` patterns are literals that pass the regex guard (./regex-guard.ts) — a pattern
 * taken from the request would let a client choose a catastrophic regex.
 */
import { Environment } from '@marcbachmann/cel-js';
import type { ASTNode, ParseResult } from '@marcbachmann/cel-js';
import { checkCidr, cidrHasAddress, parseIpInto } from '../net/ip.ts';
import type { Cidr } from '../net/ip.ts';
import { CelContext, CelRate } from './cel-context.ts';
import { compileFast } from './cel-fast.ts';
import { exprRequirements } from './cel-requires.ts';
import type { ExprRequirements } from './cel-requires.ts';
import type { DecideFacts } from './facts.ts';
import { regexHazard } from './regex-guard.ts';
import type { MatchScratch } from './scratch.ts';

/** A compiled expression. `test` returns its boolean value and throws on a run-time CEL error. */
export interface CelProgram {
  readonly source: string;
  /** True when it runs as plain closures (./cel-fast.ts) rather than on cel-js. */
  readonly fast: boolean;
  /** What it requires of the rule gate's facts (./cel-requires.ts). */
  readonly requires: ExprRequirements;
  test(facts: DecideFacts, scratch: MatchScratch): boolean;
}

/** Why an expression did not compile; `offset` is the 0-based character offset of the problem. */
export interface CelCompileError {
  readonly message: string;
  readonly offset: number | null;
}

/** Compiles expressions against the environment above; one per compiled policy. */
export interface CelCompiler {
  compile(source: string): CelProgram | CelCompileError;
  /** Entries in the run-time CIDR cache of `ipInCidr` (capped at {@link CIDR_CACHE_MAX}). */
  cidrCacheSize(): number;
}

/** Cap on the CIDR texts `ipInCidr` remembers when its CIDR argument is computed at run time. */
export const CIDR_CACHE_MAX = 256;

/** Structural limits on one expression (parse time). */
const LIMITS = { maxAstNodes: 2000, maxDepth: 64, maxListElements: 1000, maxMapEntries: 100, maxCallArguments: 8 };

const VARIABLES: ReadonlyArray<readonly [string, string]> = [
  ['address', 'string'],
  ['prefix', 'string'],
  ['asn', 'double'],
  ['country', 'string'],
  ['site', 'string'],
  ['method', 'string'],
  ['host', 'string'],
  ['path', 'string'],
  ['query', 'string'],
  ['headers', 'map<string, string>'],
  ['fingerprint', 'string'],
  ['ua_class', 'string'],
  ['cleared', 'bool'],
  ['rate', 'Rate'],
  ['threat_level', 'string'],
];

/** True when {@link CelCompiler.compile} refused the expression. */
export function isCompileError(x: CelProgram | CelCompileError): x is CelCompileError {
  return 'message' in x;
}

/** Parses and checks one CIDR argument; cached with a cap (cleared when full). */
function createCidrCache() {
  const cache = new Map<string, Cidr | null>();
  return {
    get(text: string): Cidr | null {
      let c = cache.get(text);
      if (c === undefined) {
        const parsed = checkCidr(text, true);
        c = typeof parsed === 'string' ? null : parsed;
        if (cache.size >= CIDR_CACHE_MAX) cache.clear();
        cache.set(text, c);
      }
      return c;
    },
    size: () => cache.size,
  };
}

/** The AST nodes that are calls, with their name, receiver and argument nodes. */
function* calls(node: ASTNode): Generator<{ name: string; args: readonly ASTNode[]; receiver: ASTNode | null; node: ASTNode }> {
  const n = node as unknown as { op: string; args: unknown };
  if (n.op === 'call') {
    const [name, args] = n.args as [string, ASTNode[]];
    yield { name, args, receiver: null, node };
  } else if (n.op === 'rcall') {
    const [name, receiver, args] = n.args as [string, ASTNode, ASTNode[]];
    yield { name, args, receiver, node };
  }
  const visit = function* (x: unknown): Generator<ASTNode> {
    if (Array.isArray(x)) for (const y of x) yield* visit(y);
    else if (typeof x === 'object' && x !== null && 'op' in x && 'args' in x) yield x as ASTNode;
  };
  for (const child of visit(n.args)) yield* calls(child);
}

function literalString(node: ASTNode | undefined): string | null {
  const n = node as unknown as { op: string; args: unknown } | undefined;
  return n !== undefined && n.op === 'value' && typeof n.args === 'string' ? n.args : null;
}

function startOf(node: ASTNode): number | null {
  const s = (node as unknown as { start?: number }).start;
  return typeof s === 'number' ? s : null;
}

/** Checks on literal arguments that the type checker cannot do; the first problem, or null. */
function checkCalls(ast: ASTNode): CelCompileError | null {
  for (const call of calls(ast)) {
    if (call.name === 'matches') {
      const patternNode = call.receiver !== null ? call.args[0] : call.args[1];
      const pattern = literalString(patternNode);
      if (pattern === null) return { message: 'matches() needs a literal pattern (a pattern from the request could be catastrophic)', offset: startOf(call.node) };
      const hazard = regexHazard(pattern);
      if (hazard !== null) return { message: `matches() pattern refused: ${hazard}`, offset: startOf(patternNode) };
      try {
        new RegExp(pattern);
      } catch (err) {
        return { message: `matches() pattern is not a valid regular expression: ${(err as Error).message}`, offset: startOf(patternNode) };
      }
    } else if (call.name === 'ipInCidr' && call.receiver === null) {
      const arg = call.args[1] as unknown as { op: string; args: unknown } | undefined;
      const literals = arg?.op === 'list' ? (arg.args as ASTNode[]) : [call.args[1]];
      for (const item of literals) {
        const text = literalString(item);
        if (text === null) continue;
        const c = checkCidr(text);
        if (typeof c === 'string') return { message: `ipInCidr: ${JSON.stringify(text)}: ${c}`, offset: startOf(item) };
      }
    }
  }
  return null;
}

function summaryOf(err: unknown): string {
  const e = err as { summary?: unknown; message?: unknown };
  if (typeof e.summary === 'string') return e.summary;
  return String(e.message ?? err).split('\n')[0];
}

function offsetOf(err: unknown): number | null {
  const r = (err as { range?: { start?: unknown } }).range;
  return r !== undefined && typeof r.start === 'number' ? r.start : null;
}

/** Options of {@link createCelCompiler}. */
export interface CelCompilerOptions {
  /** Use the closure fast path for expressions in its subset (default true; false for equivalence tests). */
  readonly fast?: boolean;
}

/** Build the environment described in the module comment. */
export function createCelCompiler(options: CelCompilerOptions = {}): CelCompiler {
  const useFast = options.fast ?? true;
  const cidrs = createCidrCache();
  const words = new Uint32Array(4);
  /** Facts of the expression being evaluated, for `header()` (evaluation is synchronous). */
  let current: DecideFacts | null = null;
  /** ipInCidr over several CIDR texts, the address parsed once. */
  const inCidrs = (address: string, list: readonly string[]): boolean => {
    const fam = parseIpInto(address, words);
    if (fam === 0) return false;
    for (let i = 0; i < list.length; i++) {
      const c = cidrs.get(list[i]);
      if (c !== null && cidrHasAddress(c, fam, words)) return true;
    }
    return false;
  };
  const env = new Environment({ limits: LIMITS })
    .registerType('Rate', { ctor: CelRate, fields: { address: 'double', prefix: 'double' } })
    .registerOperator('double == int', (a: number, b: bigint) => a === Number(b))
    .registerOperator('double in list<int>', (a: number, list: readonly bigint[]) => list.some((x) => Number(x) === a))
    .registerFunction('header(string): string', (name: string) => (current === null ? '' : (current.header(name.toLowerCase()) ?? '')))
    .registerFunction('ipInCidr(string, string): bool', (address: string, cidr: string) => inCidrs(address, [cidr]))
    .registerFunction('ipInCidr(string, list<string>): bool', inCidrs);
  for (const [name, type] of VARIABLES) env.registerVariable(name, type);

  return {
    compile(source: string): CelProgram | CelCompileError {
      let parsed: ParseResult;
      try {
        parsed = env.parse(source);
      } catch (err) {
        return { message: summaryOf(err), offset: offsetOf(err) };
      }
      const checked = parsed.check();
      if (!checked.valid) return { message: summaryOf(checked.error), offset: offsetOf(checked.error) };
      if (checked.type !== 'bool') return { message: `expression must be a bool, it is a ${checked.type}`, offset: 0 };
      const problem = checkCalls(parsed.ast);
      if (problem !== null) return problem;
      const requires = exprRequirements(parsed.ast);
      const fast = useFast ? compileFast(parsed.ast) : null;
      if (fast !== null) return { source, fast: true, requires, test: fast };
      return {
        source,
        fast: false,
        requires,
        test(facts: DecideFacts, scratch: MatchScratch): boolean {
          const ctx = (scratch.cel ??= new CelContext(facts));
          current = facts;
          try {
            return parsed(ctx) === true;
          } finally {
            current = null;
          }
        },
      };
    },
    cidrCacheSize: cidrs.size,
  };
}
