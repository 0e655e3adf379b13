/**
 * Problems found while compiling a policy, reported all at once (config validation reports
 * every problem with the path of its key). A rule problem names where the rule is, its name and the field:
 *
 *     policy.rules[3] (name "block-scanners"): expr: column 12: no such overload: string == int
 *     import "bots.yaml" rules[0] (name "ai-crawlers"): match.user_agent: nested quantifier …
 */
import { BulwarkError } from '../errors.ts';

/** One problem (or warning) with its position. */
export interface PolicyProblem {
  /** Where: `policy.rules[3]`, `import "bots.yaml" rules[0]`, `policy.import[1]`. */
  readonly path: string;
  /** The rule's name when known. */
  readonly rule?: string;
  /** Index of the rule in its own file (0-based), when the problem is about a rule. */
  readonly index?: number;
  /** The field inside the rule: `expr`, `match.cidr[2]`, `action`. */
  readonly field?: string;
  /** For `expr`: 1-based line and column inside the expression. */
  readonly line?: number;
  readonly column?: number;
  readonly message: string;
}

/** The one-line text of a problem, as `bulwark check` prints it. */
export function formatProblem(p: PolicyProblem): string {
  let out = p.path;
  if (p.rule !== undefined) out += ` (name ${JSON.stringify(p.rule)})`;
  out += ': ';
  if (p.field !== undefined) out += `${p.field}: `;
  if (p.line !== undefined && p.line > 1) out += `line ${p.line}, `;
  if (p.column !== undefined) out += `column ${p.column}: `;
  return out + p.message;
}

/** 1-based line and column of a 0-based offset in a (possibly multi-line) text. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(Math.max(0, offset), text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

/**
 * A policy that does not compile: `code` BULWARK_ERR_POLICY_INVALID, `problems` every problem found,
 * `message` all of them, one per line.
 */
export class PolicyError extends BulwarkError {
  readonly problems: readonly PolicyProblem[];
  constructor(problems: readonly PolicyProblem[]) {
    super('BULWARK_ERR_POLICY_INVALID', `policy has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n` + problems.map(formatProblem).join('\n'), {
      source: 'config',
    });
    this.name = 'PolicyError';
    this.problems = problems;
  }
}
