/**
 * "Does this limit apply to this request?" — compiled once per limit from its `match` block.
 *
 * Path patterns use nginx's habits:
 * - `/search` — prefix: matches `/search`, `/search/x` and also `/searches` (add a trailing `/` or use
 *   `=` to be strict);
 * - `=/login` — exactly this path;
 * - `/api/*\/edit`, `/static/**` — glob: `*` is any run of characters except `/`, `**` any run at all,
 *   `?` one character except `/`;
 * - `~^/user/\d+$` — a JavaScript regular expression (unanchored unless you anchor it). Regexes are the
 *   operator's responsibility: keep them linear (no nested quantifiers) since they run on client paths.
 * A limit applies when every present criterion matches: any path pattern, any method, any site.
 */
import { BulwarkError } from '../errors.ts';
import type { RequestFacts } from './facts.ts';

/** When a limit applies; an absent or empty criterion matches everything. */
export interface LimitMatch {
  /** One or more path patterns (see the file comment). */
  readonly path?: string | readonly string[];
  /** Methods, case-insensitive (`['POST']`). */
  readonly methods?: readonly string[];
  /** Site names. */
  readonly sites?: readonly string[];
}

/** True when the limit applies to the request. */
export type Matcher = (facts: RequestFacts) => boolean;

function globToRegexSource(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        out += '.*';
        i++;
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return '^' + out + '$';
}

/**
 * Compile path patterns into one predicate: exact paths in a Set, prefixes in a list, globs and
 * regexes in one combined RegExp. Throws `BULWARK_ERR_RATELIMIT_SPEC` naming a pattern that is empty
 * or not a valid regular expression.
 */
export function compilePathPatterns(patterns: readonly string[]): (path: string) => boolean {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  const sources: string[] = [];
  for (const p of patterns) {
    if (p.length === 0 || p === '=' || p === '~') throw specError(`empty path pattern`);
    if (p[0] === '=') exact.add(p.slice(1));
    else if (p[0] === '~') {
      try {
        new RegExp(p.slice(1));
      } catch (err) {
        throw specError(`path pattern ${JSON.stringify(p)} is not a valid regular expression`, err);
      }
      sources.push(p.slice(1));
    } else if (p.includes('*') || p.includes('?')) sources.push(globToRegexSource(p));
    else prefixes.push(p);
  }
  const re = sources.length > 0 ? new RegExp(sources.map((s) => `(?:${s})`).join('|')) : null;
  // The usual single-kind lists get a predicate without the empty steps (same answers).
  if (re === null && prefixes.length === 0) {
    if (exact.size === 1) {
      const e0 = [...exact][0];
      return (path) => path === e0;
    }
    return (path) => exact.has(path);
  }
  if (re === null && exact.size === 0) {
    if (prefixes.length === 1) {
      const p0 = prefixes[0];
      return (path) => path.startsWith(p0);
    }
    return (path) => {
      for (let i = 0; i < prefixes.length; i++) if (path.startsWith(prefixes[i])) return true;
      return false;
    };
  }
  if (exact.size === 0 && prefixes.length === 0) return (path) => re!.test(path);
  return (path) => {
    if (exact.has(path)) return true;
    for (let i = 0; i < prefixes.length; i++) if (path.startsWith(prefixes[i])) return true;
    return re !== null && re.test(path);
  };
}

function specError(message: string, cause?: unknown): BulwarkError {
  return new BulwarkError('BULWARK_ERR_RATELIMIT_SPEC', message, { source: 'config', cause });
}

/** Compile a `match` block; null means "applies to every request" (the evaluator skips the call). */
export function compileMatch(match: LimitMatch | undefined): Matcher | null {
  if (match === undefined) return null;
  const paths = match.path === undefined ? [] : typeof match.path === 'string' ? [match.path] : match.path;
  const pathOk = paths.length > 0 ? compilePathPatterns(paths) : null;
  const methods = match.methods && match.methods.length > 0 ? new Set(match.methods.map((m) => m.toUpperCase())) : null;
  const sites = match.sites && match.sites.length > 0 ? new Set(match.sites) : null;
  if (pathOk === null && methods === null && sites === null) return null;
  return (f) =>
    (methods === null || methods.has(f.method)) && (sites === null || sites.has(f.site)) && (pathOk === null || pathOk(f.path));
}
