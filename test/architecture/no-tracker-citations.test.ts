/**
 * Code, comments, schema descriptions and user-visible text say what a thing is and why in words: a
 * reader of the source, of `bulwark schema` or of a page has no access to the project's issue tracker,
 * so "(issue #6)" or "issue #2, point 5" tells them nothing. A link to a document in the repository, an
 * RFC or a public URL is fine. This test reads every file under src/, dashboard/src, scripts/ and
 * bench/ (tests included: they are read as documentation too) and the JSON schema `bulwark schema`
 * prints, and fails on any citation of a tracker number.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { configSchema } from '../../src/config/schema.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Folders whose text ships or documents the code; `dist/` is built from them. */
const FOLDERS = ['src', 'dashboard/src', 'scripts', 'bench', 'test'];
const TEXT_FILE = /\.(ts|tsx|mts|mjs|js|css|html|md|json|ya?ml|sh)$/;
/** This file quotes the forms it looks for. */
const SELF = fileURLToPath(import.meta.url);

/**
 * What counts as citing the tracker: "issue #6", "issue 3", "issues #3 and #6", "Issue #2's", and a
 * bare "(#12)" reference. Ordinary uses of the word ("a known issue", `result.error.issues`) do not.
 */
const CITATION = /\bissues?\s*#?\d+|\(#\d+\)/i;

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === 'node_modules' || name === 'dist') continue;
    const path = join(dir, name);
    if (path === SELF) continue;
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    else if (TEXT_FILE.test(name)) out.push(path);
  }
  return out;
}

/** Every `file:line: text` in `files` that cites the tracker. */
function citations(files: readonly string[]): string[] {
  const found: string[] = [];
  for (const file of files) {
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (CITATION.test(line)) found.push(`${relative(ROOT, file)}:${i + 1}: ${line.trim()}`);
      });
  }
  return found;
}

test('the citation pattern finds the forms that were in use, and leaves ordinary words alone', () => {
  const cases: readonly [string, boolean][] = [
    ['Routing by host (issue #2, point 1): exact names first', true],
    ['Rate limiting and escalation (issue 3, "Rate limits")', true],
    ['Durable-state micro-benchmarks (issues #3 and #6)', true],
    ["Issue #5's cache-hit throughput", true],
    ['the fix for this (#12)', true],
    ['for (const issue of issues) {', false],
    ['issuesToProblems(result.error.issues, locate)', false],
    ['a known issue with llhttp: see RFC 9112 section 6.3', false],
  ];
  for (const [line, cites] of cases) assert.equal(CITATION.test(line), cites, line);
});

test('no source, test, script or benchmark file cites the issue tracker', () => {
  const files = FOLDERS.flatMap((f) => filesUnder(join(ROOT, f)));
  assert.ok(files.length > 100, `expected the source tree, found ${files.length} files`);
  assert.deepEqual(citations(files), []);
});

test('the JSON schema `bulwark schema` prints cites no issue number', () => {
  // The same call the `schema` command makes (src/cli.ts).
  const schema = JSON.stringify(z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }));
  assert.ok(schema.includes('"description"'), 'the schema carries descriptions');
  const match = CITATION.exec(schema);
  assert.equal(match, null, match ? `schema cites the tracker: …${schema.slice(Math.max(0, match.index - 80), match.index + 40)}…` : '');
});
