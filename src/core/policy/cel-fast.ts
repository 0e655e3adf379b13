/**
 * A fast path for the common, simple CEL expressions: after cel-js has parsed and type-checked an
 * expression, its AST is turned into plain JavaScript closures over the facts when every node belongs to
 * the subset below; anything else keeps running on cel-js (~150–500 ns per evaluation, most of a 2 µs
 * decision budget when several rules carry expressions). The closures read the facts directly (no context
 * object), and literal CIDR lists of `ipInCidr` become a trie built once.
 *
 * The subset, chosen so that no node can fail at run time (so CEL's error-absorbing `&&`/`||` and plain
 * short-circuit evaluation agree):
 * - literals: string, bool, double, int (as a JS number when it is a safe integer);
 * - every variable except `headers` as a whole; `rate.address`, `rate.prefix`;
 * - `!`, unary `-`, `&&`, `||`, `?:`; `==`, `!=` between primitives; `<`, `<=`, `>`, `>=` between numbers
 *   or between strings;
 * - `x in [literals]`, `"name" in headers`;
 * - `header(s)`, `ipInCidr(s, "cidr")`, `ipInCidr(s, ["cidr", …])` with literal CIDRs, `size(s)` and
 *   `s.size()` on strings (counted in code points, as CEL does), `s.startsWith(t)`, `s.endsWith(t)`,
 *   `s.contains(t)`, `s.matches("literal")`.
 * Results equal cel-js's on this subset (equivalence is property-tested in cel-fast.test.ts).
 */
import type { ASTNode } from '@marcbachmann/cel-js';
import { createCidrTrie } from '../net/cidr-trie.ts';
import type { CidrTrie } from '../net/cidr-trie.ts';
import { checkCidr, parseIpInto } from '../net/ip.ts';
import type { DecideFacts } from './facts.ts';
import type { MatchScratch } from './scratch.ts';

/** A compiled node: its value for a request. */
type Fn = (f: DecideFacts, s: MatchScratch) => unknown;

/** What a node looks like once checked (the fields the fast path reads). */
interface Node {
  readonly op: string;
  readonly args: unknown;
  readonly checkedType?: { readonly name?: string };
}

class Unsupported extends Error {}
const unsupported = (): never => {
  throw new Unsupported();
};

const PRIMITIVE = new Set(['string', 'bool', 'double', 'int']);
const typeOf = (n: Node): string => n.checkedType?.name ?? '';

const VARIABLES: Readonly<Record<string, Fn>> = {
  address: (f) => f.address,
  prefix: (f) => f.prefix,
  asn: (f) => f.asn ?? 0,
  country: (f) => f.country ?? '',
  site: (f) => f.site,
  method: (f) => f.method,
  host: (f) => f.host,
  path: (f) => f.path,
  query: (f) => f.query,
  fingerprint: (f) => f.fingerprint,
  ua_class: (f) => f.uaClass,
  cleared: (f) => f.cleared,
  threat_level: (f) => f.threatLevel,
};

/** Root operators whose compiled closure always returns a boolean (see `binary` and `build`). */
const BOOLEAN_OPS = new Set(['&&', '||', '!_', '==', '!=', '<', '<=', '>', '>=', 'in']);
/** Functions and methods whose compiled closure always returns a boolean (see `call` and `receiverCall`). */
const BOOLEAN_CALLS = new Set(['ipInCidr', 'startsWith', 'endsWith', 'contains', 'matches']);

/** True when the closure compiled for `node` returns a boolean whatever the request. */
function returnsBoolean(node: Node): boolean {
  if (BOOLEAN_OPS.has(node.op)) return true;
  return (node.op === 'call' || node.op === 'rcall') && BOOLEAN_CALLS.has((node.args as [string])[0]);
}

/** Length in code points (CEL's `size` of a string), not UTF-16 units. */
function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

function literal(n: Node): string | number | boolean {
  const v = n.args;
  if (typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') return v;
  if (typeof v === 'bigint' && Number.isSafeInteger(Number(v))) return Number(v);
  return unsupported();
}

/** `ipInCidr(addr, literal(s))`: a trie of the literal prefixes, the address parsed once per request. */
function ipInCidr(addrNode: Node, cidrNode: Node): Fn {
  const items = cidrNode.op === 'list' ? (cidrNode.args as Node[]) : [cidrNode];
  const trie: CidrTrie = createCidrTrie({ maxPrefixes: Math.max(1, items.length), rootTableMin: Infinity });
  for (const item of items) {
    if (item.op !== 'value' || typeof item.args !== 'string') return unsupported();
    const c = checkCidr(item.args);
    if (typeof c === 'string') return unsupported(); // reported by the compile-time checks
    trie.insert(c, 0);
  }
  if (addrNode.op === 'id' && addrNode.args === 'address') {
    return (_f, s) => s.family !== 0 && (s.family === 4 ? trie.lookupV4(s.words[0]) : trie.lookupV6(s.words)) >= 0;
  }
  const addr = build(addrNode);
  const words = new Uint32Array(4);
  return (f, s) => {
    const fam = parseIpInto(addr(f, s) as string, words);
    return fam !== 0 && (fam === 4 ? trie.lookupV4(words[0]) : trie.lookupV6(words)) >= 0;
  };
}

function call(name: string, args: readonly Node[]): Fn {
  if (name === 'header' && args.length === 1) {
    const a = build(args[0]);
    return (f, s) => f.header((a(f, s) as string).toLowerCase()) ?? '';
  }
  if (name === 'ipInCidr' && args.length === 2) return ipInCidr(args[0], args[1]);
  if (name === 'size' && args.length === 1 && typeOf(args[0]) === 'string') {
    const a = build(args[0]);
    return (f, s) => codePoints(a(f, s) as string);
  }
  return unsupported();
}

function receiverCall(name: string, receiver: Node, args: readonly Node[]): Fn {
  if (typeOf(receiver) !== 'string') return unsupported();
  const r = build(receiver);
  if (name === 'size' && args.length === 0) return (f, s) => codePoints(r(f, s) as string);
  if (args.length !== 1 || typeOf(args[0]) !== 'string') return unsupported();
  if (name === 'matches') {
    if (args[0].op !== 'value') return unsupported();
    const re = new RegExp(args[0].args as string);
    return (f, s) => re.test(r(f, s) as string);
  }
  const a = build(args[0]);
  switch (name) {
    case 'startsWith':
      return (f, s) => (r(f, s) as string).startsWith(a(f, s) as string);
    case 'endsWith':
      return (f, s) => (r(f, s) as string).endsWith(a(f, s) as string);
    case 'contains':
      return (f, s) => (r(f, s) as string).includes(a(f, s) as string);
    default:
      return unsupported();
  }
}

function membership(left: Node, right: Node): Fn {
  const l = build(left);
  if (right.op === 'id' && right.args === 'headers') {
    return (f, s) => {
      const name = l(f, s) as string;
      return name === name.toLowerCase() && f.header(name) !== undefined;
    };
  }
  if (right.op !== 'list') return unsupported();
  const set = new Set((right.args as Node[]).map((n) => (n.op === 'value' ? literal(n) : unsupported())));
  return (f, s) => set.has(l(f, s) as string | number | boolean);
}

function binary(op: string, args: readonly Node[]): Fn {
  const [ln, rn] = args;
  if (op === 'in') return membership(ln, rn);
  if (!PRIMITIVE.has(typeOf(ln)) || !PRIMITIVE.has(typeOf(rn))) return unsupported();
  const l = build(ln);
  const r = build(rn);
  // A literal on the right (`rate.address > 50.0`, `threat_level == "x"`) is compared without a call.
  if (rn.op === 'value' && op !== '&&' && op !== '||') {
    const v = literal(rn);
    switch (op) {
      case '==':
        return (f, s) => l(f, s) === v;
      case '!=':
        return (f, s) => l(f, s) !== v;
    }
    if (typeof v !== 'boolean' && (typeof v === 'string') === (typeOf(ln) === 'string') && typeOf(ln) !== 'bool') {
      switch (op) {
        case '<':
          return (f, s) => (l(f, s) as number) < (v as number);
        case '<=':
          return (f, s) => (l(f, s) as number) <= (v as number);
        case '>':
          return (f, s) => (l(f, s) as number) > (v as number);
        case '>=':
          return (f, s) => (l(f, s) as number) >= (v as number);
      }
    }
  }
  switch (op) {
    case '&&':
      return (f, s) => l(f, s) === true && r(f, s) === true;
    case '||':
      return (f, s) => l(f, s) === true || r(f, s) === true;
    case '==':
      return (f, s) => l(f, s) === r(f, s);
    case '!=':
      return (f, s) => l(f, s) !== r(f, s);
  }
  if (typeOf(ln) === 'bool' || typeOf(rn) === 'bool') return unsupported();
  if ((typeOf(ln) === 'string') !== (typeOf(rn) === 'string')) return unsupported();
  switch (op) {
    case '<':
      return (f, s) => (l(f, s) as number) < (r(f, s) as number);
    case '<=':
      return (f, s) => (l(f, s) as number) <= (r(f, s) as number);
    case '>':
      return (f, s) => (l(f, s) as number) > (r(f, s) as number);
    case '>=':
      return (f, s) => (l(f, s) as number) >= (r(f, s) as number);
    default:
      return unsupported();
  }
}

function build(node: Node): Fn {
  const { op, args } = node;
  switch (op) {
    case 'value': {
      const v = literal(node);
      return () => v;
    }
    case 'id':
      return VARIABLES[args as string] ?? unsupported();
    case '.': {
      const [obj, field] = args as [Node, string];
      if (obj.op !== 'id' || obj.args !== 'rate') return unsupported();
      if (field === 'address') return (f) => f.rateAddress;
      return field === 'prefix' ? (f) => f.ratePrefix : unsupported();
    }
    case '!_': {
      const a = build(args as Node);
      return (f, s) => a(f, s) !== true;
    }
    case '-_': {
      if (typeOf(args as Node) !== 'double' && typeOf(args as Node) !== 'int') return unsupported();
      const a = build(args as Node);
      return (f, s) => -(a(f, s) as number);
    }
    case '?:': {
      const [c, a, b] = (args as Node[]).map(build);
      return (f, s) => (c(f, s) === true ? a(f, s) : b(f, s));
    }
    case 'call': {
      const [name, list] = args as [string, Node[]];
      return call(name, list);
    }
    case 'rcall': {
      const [name, receiver, list] = args as [string, Node, Node[]];
      return receiverCall(name, receiver, list);
    }
    default:
      return PRIMITIVE.has(typeOf(node)) && Array.isArray(args) && args.length === 2 ? binary(op, args as Node[]) : unsupported();
  }
}

/**
 * The fast form of a checked boolean expression, or null when it uses anything outside the subset (the
 * caller then evaluates it with cel-js).
 */
export function compileFast(ast: ASTNode): ((f: DecideFacts, s: MatchScratch) => boolean) | null {
  try {
    const fn = build(ast as unknown as Node);
    // These operators' closures return a boolean already: no wrapper call.
    if (returnsBoolean(ast as unknown as Node)) return fn as (f: DecideFacts, s: MatchScratch) => boolean;
    return (f, s) => fn(f, s) === true;
  } catch (err) {
    if (err instanceof Unsupported) return null;
    throw err;
  }
}
