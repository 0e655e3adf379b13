/**
 * What a rule's CEL expression requires of the facts the rule gate indexes (./rule-gate.ts), read from
 * its checked AST: the conjuncts of its top-level `&&` chain that compare the method, the user-agent
 * class or the threat level with literals, or test `cleared`. `threat_level == "under_attack" && …` can
 * only be true at that level, so at the others the gate leaves the rule out without evaluating anything.
 *
 * Sound under CEL's error semantics: `&&` is false as soon as any conjunct is false, even when another
 * one fails (cel-js and the fast path agree on this), so a request for which a required conjunct is false
 * gets `false` — no match, no error — exactly what leaving the rule out gives. Conjuncts of other shapes
 * require nothing; `||`, `?:` and negations of comparisons are not looked into.
 */
import { CLIENT_CLASSES, THREAT_LEVELS } from '../vocabulary.ts';
import type { ClientClass, ThreatLevel } from '../vocabulary.ts';

/** Requirements on the gate's facts; null = none. An empty set means the expression is never true. */
export interface ExprRequirements {
  readonly methods: ReadonlySet<string> | null;
  readonly uaClasses: ReadonlySet<ClientClass> | null;
  readonly levels: ReadonlySet<ThreatLevel> | null;
  /** The value `cleared` must have, or null. */
  readonly cleared: boolean | null;
}

export const NO_REQUIREMENTS: ExprRequirements = Object.freeze({ methods: null, uaClasses: null, levels: null, cleared: null });

/** The AST fields read here (cel-js's checked AST). */
interface Node {
  readonly op: string;
  readonly args: unknown;
}

/** `a ∩ b` where null is "everything". */
export function intersect<T>(a: ReadonlySet<T> | null, b: ReadonlySet<T> | null): ReadonlySet<T> | null {
  if (a === null) return b;
  if (b === null) return a;
  return new Set([...a].filter((x) => b.has(x)));
}

function conjuncts(node: Node, out: Node[]): Node[] {
  if (node.op === '&&') for (const arg of node.args as Node[]) conjuncts(arg, out);
  else out.push(node);
  return out;
}

const idOf = (n: Node): string | null => (n.op === 'id' && typeof n.args === 'string' ? n.args : null);
const stringOf = (n: Node): string | null => (n.op === 'value' && typeof n.args === 'string' ? n.args : null);

/** `x == "v"`, `"v" == x`, `x != "v"`, `x in ["a", …]` on an identifier: its name and allowed values. */
function comparison(node: Node): { name: string; values: Set<string>; negated: boolean } | null {
  if (node.op !== '==' && node.op !== '!=' && node.op !== 'in') return null;
  const [l, r] = node.args as [Node, Node];
  if (node.op === 'in') {
    const name = idOf(l);
    if (name === null || r.op !== 'list') return null;
    const values = (r.args as Node[]).map(stringOf);
    return values.every((v) => v !== null) ? { name, values: new Set(values as string[]), negated: false } : null;
  }
  const name = idOf(l) ?? idOf(r);
  const value = idOf(l) !== null ? stringOf(r) : stringOf(l);
  return name === null || value === null ? null : { name, values: new Set([value]), negated: node.op === '!=' };
}

/** Values of a closed vocabulary a comparison admits. */
function admitted<T extends string>(universe: readonly T[], c: { values: Set<string>; negated: boolean }): Set<T> {
  return new Set(universe.filter((v) => c.values.has(v) !== c.negated));
}

/** The requirements of a checked boolean expression (see the module comment). */
export function exprRequirements(ast: unknown): ExprRequirements {
  let methods: ReadonlySet<string> | null = null;
  let uaClasses: ReadonlySet<ClientClass> | null = null;
  let levels: ReadonlySet<ThreatLevel> | null = null;
  let cleared: boolean | null = null;
  let never = false;
  for (const node of conjuncts(ast as Node, [])) {
    if (idOf(node) === 'cleared' || (node.op === '!_' && idOf(node.args as Node) === 'cleared')) {
      const want = node.op !== '!_';
      if (cleared !== null && cleared !== want) never = true;
      cleared = want;
      continue;
    }
    const c = comparison(node);
    if (c === null) continue;
    if (c.name === 'threat_level') levels = intersect(levels, admitted(THREAT_LEVELS, c));
    else if (c.name === 'ua_class') uaClasses = intersect(uaClasses, admitted(CLIENT_CLASSES, c));
    else if (c.name === 'method' && !c.negated) methods = intersect(methods, c.values);
  }
  if (never) return { methods: new Set(), uaClasses, levels, cleared };
  return { methods, uaClasses, levels, cleared };
}
