/**
 * Regular expressions from the policy run on client-chosen text (paths, user agents, header values), so a
 * pattern with catastrophic backtracking is a denial of service waiting for its input. JavaScript has no
 * linear-time engine by default (V8's `--enable-experimental-regexp-engine` is a flag, not a default), so
 * this module refuses the shapes that cause exponential backtracking, cheaply and conservatively:
 *
 * - a quantified group that itself contains an unbounded quantifier: `(a+)+`, `(\w*)*`, `(?:x+y?){2,}`;
 * - backreferences (`\1`, `\k<name>`), which make matching NP-hard in general;
 * - patterns longer than {@link MAX_PATTERN_CHARS}.
 *
 * It does not catch everything (overlapping alternatives under a quantifier, `(a|aa)+`, and polynomial
 * cases such as `\s*\s*\s*$` pass): keep patterns simple and anchored. Inputs are also bounded elsewhere
 * (Node caps the request head at 16 kB). Syntax: JavaScript regular expressions; a leading `(?i)` (RE2 and
 * Anubis habit) makes the pattern case-insensitive.
 */

/** Longest pattern accepted. */
export const MAX_PATTERN_CHARS = 1024;

/** Result of {@link compileGuardedRegex}: the expression, or why it was refused. */
export type GuardedRegex = { readonly ok: true; readonly regex: RegExp } | { readonly ok: false; readonly error: string };

/** True when the quantifier text at `i` (`*`, `+`, `{n,}`, `{n,m}`) lets its atom repeat without bound or many times. */
function quantifierAt(src: string, i: number): { readonly unbounded: boolean; readonly end: number } | null {
  const c = src[i];
  if (c === '*' || c === '+') return { unbounded: true, end: i + 1 };
  if (c === '?') return { unbounded: false, end: i + 1 };
  if (c !== '{') return null;
  const m = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(i, i + 24));
  if (m === null) return null;
  const max = m[2] === undefined ? Number(m[1]) : m[3] === '' ? Infinity : Number(m[3]);
  return { unbounded: max > 1, end: i + m[0].length };
}

/**
 * The reason a pattern is refused, or null when it passes the structural checks above. Walks the pattern
 * once, tracking per open group whether an unbounded quantifier occurred inside it.
 */
export function regexHazard(src: string): string | null {
  if (src.length > MAX_PATTERN_CHARS) return `pattern longer than ${MAX_PATTERN_CHARS} characters`;
  const stack: boolean[] = []; // per open group: contains an unbounded quantifier
  let inClass = false;
  let lastGroupHadQuantifier = false; // the atom just closed was a group containing one
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') {
      const n = src[i + 1];
      if (n !== undefined && ((n >= '1' && n <= '9') || (n === 'k' && src[i + 2] === '<')) && !inClass) return 'backreferences are not allowed';
      i++;
      lastGroupHadQuantifier = false;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      lastGroupHadQuantifier = false;
      continue;
    }
    if (c === '(') {
      stack.push(false);
      lastGroupHadQuantifier = false;
      continue;
    }
    if (c === ')') {
      const had = stack.pop() ?? false;
      lastGroupHadQuantifier = had;
      if (had && stack.length > 0) stack[stack.length - 1] = true;
      continue;
    }
    const q = quantifierAt(src, i);
    if (q !== null) {
      if (q.unbounded && lastGroupHadQuantifier) return `nested quantifier near position ${i} (like (a+)+): catastrophic backtracking`;
      if (q.unbounded && stack.length > 0) stack[stack.length - 1] = true;
      i = q.end - 1;
      if (src[i + 1] === '?') i++; // lazy modifier
      lastGroupHadQuantifier = false;
      continue;
    }
    lastGroupHadQuantifier = false;
  }
  return null;
}

/**
 * Compile a policy pattern: `(?i)` prefix → case-insensitive; then {@link regexHazard}; then `new RegExp`.
 * Never throws: a bad pattern comes back as `{ ok: false, error }` for the caller to report with its rule.
 */
export function compileGuardedRegex(pattern: string): GuardedRegex {
  let src = pattern;
  let flags = '';
  if (src.startsWith('(?i)')) {
    src = src.slice(4);
    flags = 'i';
  }
  const hazard = regexHazard(src);
  if (hazard !== null) return { ok: false, error: hazard };
  try {
    return { ok: true, regex: new RegExp(src, flags) };
  } catch (err) {
    return { ok: false, error: `invalid regular expression: ${(err as Error).message}` };
  }
}
