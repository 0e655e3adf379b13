/**
 * Policy imports: `import: [path, …]` entries are resolved through a loader the edge injects (it reads
 * and parses the file; this module stays pure) and merged depth-first in order — an imported file's own
 * imports first, then its rules — so a file's imported rules come before its own rules.
 *
 * Each file is included once: importing a file already included (two files importing a shared base) is
 * skipped, so the shared rules appear once, at their first position. A file that imports one of the files
 * currently being read (itself, or an ancestor) is a cycle and an error naming the chain. Depth and file
 * count are capped ({@link MAX_IMPORT_DEPTH}, {@link MAX_IMPORT_FILES}).
 */
import type { PolicyProblem } from './problems.ts';

/**
 * Loads an imported policy. `path` is the text of the import entry; `from` the id of the importing file
 * (null for the root policy) so relative paths can be resolved. Returns a stable `id` (e.g. the resolved
 * absolute path: used for cycle detection and in messages) and the parsed, unvalidated document. Throws
 * when the file cannot be read or parsed; the message becomes a problem at the import entry.
 */
export type ImportLoader = (path: string, from: string | null) => { readonly id: string; readonly document: unknown };

/** Maximum nesting of imports. */
export const MAX_IMPORT_DEPTH = 16;
/** Maximum number of files in one policy (root included). */
export const MAX_IMPORT_FILES = 256;

/** A rule as found, with where it was found. */
export interface SourcedRule {
  readonly raw: unknown;
  /** `policy` for the root document, `import "<id>"` for imported files. */
  readonly source: string;
  /** Index in its own file's `rules` list. */
  readonly index: number;
}

/** Where the root policy comes from. */
export interface FlattenOptions {
  /** Path prefix of the root's problems, e.g. `policy` or `sites[0].policy`. */
  readonly label: string;
  /** The loader's id of the root when it is itself a file (so a file importing it back is a cycle), else null. */
  readonly rootId?: string | null;
  readonly loader?: ImportLoader;
}

const ROOT_KEYS = new Set(['import', 'rules']);

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * Flatten a policy and its imports into rules in evaluation order. Problems (unreadable file, cycle, bad
 * shape) are appended to `problems`; the rules of files that could be read are still returned so every
 * other problem can be reported in the same pass.
 */
export function flattenImports(root: unknown, where: FlattenOptions, problems: PolicyProblem[]): SourcedRule[] {
  const loader = where.loader;
  const out: SourcedRule[] = [];
  const included = new Set<string>();
  const stack: string[] = [];

  const visit = (doc: unknown, id: string | null, label: string): void => {
    if (doc === undefined || doc === null) return;
    if (!isRecord(doc)) {
      problems.push({ path: label, message: 'a policy must be a mapping with import and/or rules' });
      return;
    }
    for (const k of Object.keys(doc)) if (!ROOT_KEYS.has(k)) problems.push({ path: `${label}.${k}`, message: 'unknown key' });
    const imports = doc.import ?? [];
    if (!Array.isArray(imports)) problems.push({ path: `${label}.import`, message: 'must be a list of paths' });
    else imports.forEach((entry: unknown, i) => importOne(entry, id, `${label}.import[${i}]`));
    const rules = doc.rules ?? [];
    if (!Array.isArray(rules)) problems.push({ path: `${label}.rules`, message: 'must be a list of rules' });
    else rules.forEach((raw: unknown, index) => out.push({ raw, source: label, index }));
  };

  const importOne = (entry: unknown, from: string | null, at: string): void => {
    if (typeof entry !== 'string' || entry.length === 0) return void problems.push({ path: at, message: 'must be a file path' });
    if (loader === undefined) return void problems.push({ path: at, message: 'imports are not available here (no loader)' });
    if (stack.length >= MAX_IMPORT_DEPTH) return void problems.push({ path: at, message: `imports nested deeper than ${MAX_IMPORT_DEPTH}` });
    let loaded: { readonly id: string; readonly document: unknown };
    try {
      loaded = loader(entry, from);
    } catch (err) {
      return void problems.push({ path: at, message: `cannot load ${JSON.stringify(entry)}: ${(err as Error).message ?? String(err)}` });
    }
    if (stack.includes(loaded.id)) {
      const chain = [...stack.slice(stack.indexOf(loaded.id)), loaded.id].map((x) => JSON.stringify(x)).join(' → ');
      return void problems.push({ path: at, message: `import cycle: ${chain}` });
    }
    if (included.has(loaded.id)) return; // already merged at its first position
    if (included.size >= MAX_IMPORT_FILES) return void problems.push({ path: at, message: `more than ${MAX_IMPORT_FILES} policy files` });
    included.add(loaded.id);
    stack.push(loaded.id);
    visit(loaded.document, loaded.id, `import ${JSON.stringify(loaded.id)}`);
    stack.pop();
  };

  const rootId = where.rootId ?? null;
  if (rootId !== null) {
    stack.push(rootId);
    included.add(rootId);
  }
  visit(root, rootId, where.label);
  return out;
}
