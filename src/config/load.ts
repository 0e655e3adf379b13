/**
 * Loading `bulwark.yaml`: YAML → strict schema → a normalised {@link Config}, or a {@link ConfigError}
 * listing every problem at once, each with the key's path and its line in the file. Bulwark refuses to
 * start (and a reload keeps the old config) on any problem.
 */
import { MAX_YAML_ALIASES, readRegularFile, readRegularFileSync } from './read-file.ts';
import { LineCounter, parseDocument, isMap, isPair, isScalar, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { BulwarkError } from '../core/errors.ts';
import { configSchema, type Config } from './schema.ts';
import { checkPolicies } from './policy-check.ts';

/** One problem in a config file. `path` is dotted (`sites[0].origins[1]`); `line` is 1-based, if known. */
export interface ConfigProblem {
  readonly path: string;
  readonly line: number | null;
  readonly message: string;
}

export class ConfigError extends BulwarkError {
  readonly problems: readonly ConfigProblem[];
  readonly file: string;

  constructor(file: string, problems: readonly ConfigProblem[]) {
    super('BULWARK_ERR_CONFIG_INVALID', formatProblems(file, problems), { source: 'config' });
    this.name = 'ConfigError';
    this.file = file;
    this.problems = problems;
  }
}

/** Renders problems as `file:line: path: message`, one a line, for logs and `bulwark check`. */
export function formatProblems(file: string, problems: readonly ConfigProblem[]): string {
  const lines = problems.map((p) => `${file}${p.line ? `:${p.line}` : ''}: ${p.path || '(root)'}: ${p.message}`);
  return `invalid config (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  ${lines.join('\n  ')}`;
}

/** A config file larger than this is refused (a real one is a few kilobytes). */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

/**
 * Reads and validates a config file. Throws ConfigError (never returns a partial config); a path that
 * is not a regular file (a FIFO, a device) is refused at once instead of blocking (read-file.ts).
 */
export function loadConfigFile(file: string): Config {
  let text: string;
  try {
    text = readRegularFileSync(file, MAX_CONFIG_BYTES);
  } catch (err) {
    throw new ConfigError(file, [{ path: '', line: null, message: `cannot read file: ${(err as Error).message}` }]);
  }
  return parseConfigText(text, file);
}

/** {@link loadConfigFile}, reading the file off the event loop (reloads while serving). Rejects with ConfigError. */
export async function loadConfigFileAsync(file: string): Promise<Config> {
  let text: string;
  try {
    text = await readRegularFile(file, MAX_CONFIG_BYTES);
  } catch (err) {
    throw new ConfigError(file, [{ path: '', line: null, message: `cannot read file: ${(err as Error).message}` }]);
  }
  return parseConfigText(text, file);
}

/** Validates YAML text (file name only used in messages). Throws ConfigError. */
export function parseConfigText(text: string, file = 'bulwark.yaml'): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => ({ path: '', line: lineCounter.linePos(e.pos[0]).line, message: `YAML: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}` })),
    );
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (err) {
    // The yaml library refuses an alias bomb ("billion laughs") while resolving aliases: that is a
    // problem with the file, reported like any other, not a crash with a stack trace.
    const bomb = err instanceof ReferenceError && /alias/i.test(err.message);
    const message = bomb
      ? `YAML: aliases expand too far (more than ${MAX_YAML_ALIASES} per node): an alias bomb ("billion laughs")? Write the values out instead`
      : `YAML: ${(err as Error).message}`;
    throw new ConfigError(file, [{ path: '', line: null, message }]);
  }
  return validateConfig(value ?? {}, file, (path, key) => lineOf(doc, lineCounter, path, key));
}

/** Validates an already-parsed object (zero-config start, tests). Throws ConfigError. */
export function validateConfig(
  input: unknown,
  file = '(config)',
  locate: (path: PropertyKey[], key?: string) => number | null = () => null,
): Config {
  const result = configSchema.safeParse(input);
  if (!result.success) throw new ConfigError(file, issuesToProblems(result.error.issues, locate));
  const problems = checkPolicies(result.data, file.startsWith('(') ? undefined : file, locate);
  if (problems.length > 0) throw new ConfigError(file, problems);
  return result.data;
}

function issuesToProblems(
  issues: readonly z.core.$ZodIssue[],
  locate: (path: PropertyKey[], key?: string) => number | null,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    const path = issue.path as PropertyKey[];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        problems.push({ path: formatPath([...path, key]), line: locate(path, key), message: `unknown key "${key}"` });
      }
    } else if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      // Our unions are "number or unit string": report the friendlier branch message.
      problems.push({ path: formatPath(path), line: locate(path), message: issue.message });
    } else {
      problems.push({ path: formatPath(path), line: locate(path), message: issue.message });
    }
  }
  return problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

/** `['sites', 0, 'origins', 1]` → `sites[0].origins[1]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/**
 * The 1-based line of the value at `path` (or of the key `key` inside the map at `path`); falls back
 * to the nearest existing ancestor so a missing key still points somewhere useful.
 */
function lineOf(doc: Document, lc: LineCounter, path: PropertyKey[], key?: string): number | null {
  const parts = path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  for (let n = parts.length; n >= 0; n--) {
    const node = (n === 0 ? doc.contents : doc.getIn(parts.slice(0, n), true)) as Node | null | undefined;
    if (!node || !('range' in node) || !node.range) continue;
    if (key !== undefined && n === parts.length && isMap(node)) {
      const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && it.key.value === key);
      const keyNode = pair && isScalar(pair.key) ? pair.key : undefined;
      if (keyNode?.range) return lc.linePos(keyNode.range[0]).line;
    }
    return lc.linePos(node.range[0]).line;
  }
  return null;
}
