/**
 * Parsing IP list files into prefixes. Never throws: every line that is not an entry, a comment or
 * blank is reported (line number, text, reason) and skipped, so one bad line in a 100k-line feed
 * costs that line only.
 *
 * Formats:
 * - `plain`: one IP or CIDR a line; `#` starts a comment (whole line or after the entry).
 * - `netset`: FireHOL `.netset` files (https://iplists.firehol.org/) — the same grammar as plain,
 *   with a `#` header naming FireHOL.
 * - `spamhaus-drop`: Spamhaus DROP text (https://www.spamhaus.org/drop/), `;` comments, entries like
 *   `1.10.16.0/20 ; SBL256894` (the text after `;` is kept as the entry's note).
 * - `spamhaus-drop-json`: Spamhaus DROP NDJSON (`drop_v4.json`, `drop_v6.json`), one object a line:
 *   `{"cidr":"1.10.16.0/20","sblid":"SBL256894","rir":"apnic"}`; the trailing
 *   `{"type":"metadata",...}` line is recognised and skipped, not an error.
 *
 * Entries with host bits set (`10.1.2.3/8`) are refused with a hint: in a deny list such a typo would
 * silently block a whole network. Bare addresses are host prefixes (/32, /128).
 */
import { checkCidr } from './cidr.ts';
import type { Cidr } from './cidr.ts';

/** A list file format. */
export type ListFormat = 'plain' | 'netset' | 'spamhaus-drop' | 'spamhaus-drop-json';
export const LIST_FORMATS: readonly ListFormat[] = ['plain', 'netset', 'spamhaus-drop', 'spamhaus-drop-json'];

/** One prefix read from a list: its 1-based line number and an optional note (e.g. the SBL id). */
export interface ListEntry {
  readonly cidr: Cidr;
  readonly line: number;
  readonly note?: string;
}

/** A skipped line. `text` is cut to 200 characters. */
export interface InvalidLine {
  readonly line: number;
  readonly text: string;
  readonly reason: string;
}

/** Options of {@link parseListText}. */
export interface ParseListOptions {
  /** Format, or `auto` (default) to detect it with {@link detectListFormat}. */
  readonly format?: ListFormat | 'auto';
  /** Stop reading after this many entries (default 1,000,000); `truncated` then says so. */
  readonly maxEntries?: number;
  /** Keep details of at most this many invalid lines (default 1,000); all are counted. */
  readonly maxInvalidReported?: number;
}

/** Result of {@link parseListText}. */
export interface ParsedList {
  readonly format: ListFormat;
  readonly entries: ListEntry[];
  /** Details of the first invalid lines (see `maxInvalidReported`). */
  readonly invalid: InvalidLine[];
  /** Number of invalid lines, including those beyond `invalid`. */
  readonly invalidCount: number;
  /** True when `maxEntries` was reached and the rest of the text was not read. */
  readonly truncated: boolean;
}

const MAX_LINE_TEXT = 200;
const MAX_LINE_LENGTH = 4096;

/**
 * Guess the format from the first 100 meaningful lines: a line starting with `{` → Spamhaus NDJSON;
 * a `;` comment → Spamhaus DROP text; a `#` comment mentioning FireHOL → netset; otherwise plain.
 */
export function detectListFormat(text: string): ListFormat {
  let seen = 0;
  let netset = false;
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (pos < text.length && seen < 100) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    const line = text.slice(pos, Math.min(nl, pos + MAX_LINE_LENGTH)).trim();
    pos = nl + 1;
    if (line === '') continue;
    seen++;
    if (line.startsWith('{')) return 'spamhaus-drop-json';
    if (line.startsWith(';') || /^\S+\s*;/.test(line)) return 'spamhaus-drop';
    if (line.startsWith('#') && /firehol/i.test(line)) netset = true;
  }
  return netset ? 'netset' : 'plain';
}

/** What one line holds: an entry's text (+ note), nothing (comment/blank), or an error reason. */
type LineResult = { entry: string; note?: string } | null | string;

function lineHashComment(line: string): LineResult {
  const hash = line.indexOf('#');
  const body = (hash < 0 ? line : line.slice(0, hash)).trim();
  return body === '' ? null : { entry: body };
}

function lineSpamhausText(line: string): LineResult {
  const semi = line.indexOf(';');
  const body = (semi < 0 ? line : line.slice(0, semi)).trim();
  if (body === '') return null;
  const note = semi < 0 ? '' : line.slice(semi + 1).trim();
  return note === '' ? { entry: body } : { entry: body, note };
}

function lineSpamhausJson(line: string): LineResult {
  const body = line.trim();
  if (body === '') return null;
  let obj: unknown;
  try {
    obj = JSON.parse(body);
  } catch {
    return 'not valid JSON';
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return 'not a JSON object';
  const rec = obj as Record<string, unknown>;
  if (rec.type === 'metadata') return null;
  if (typeof rec.cidr !== 'string') return 'no "cidr" string';
  return typeof rec.sblid === 'string' ? { entry: rec.cidr, note: rec.sblid } : { entry: rec.cidr };
}

const LINE_PARSERS: Record<ListFormat, (line: string) => LineResult> = {
  plain: lineHashComment,
  netset: lineHashComment,
  'spamhaus-drop': lineSpamhausText,
  'spamhaus-drop-json': lineSpamhausJson,
};

/**
 * Parse list text into prefixes, skipping and reporting bad lines. Handles `\n` and `\r\n` line ends
 * and a leading byte-order mark. Lines longer than 4096 characters are reported as invalid.
 */
export function parseListText(text: string, options: ParseListOptions = {}): ParsedList {
  const format = !options.format || options.format === 'auto' ? detectListFormat(text) : options.format;
  const maxEntries = options.maxEntries ?? 1_000_000;
  const maxInvalid = options.maxInvalidReported ?? 1000;
  const parseLine = LINE_PARSERS[format];
  const entries: ListEntry[] = [];
  const invalid: InvalidLine[] = [];
  let invalidCount = 0;
  let truncated = false;
  const reject = (line: number, raw: string, reason: string): void => {
    invalidCount++;
    if (invalid.length < maxInvalid) invalid.push({ line, text: raw.trim().slice(0, MAX_LINE_TEXT), reason });
  };
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let lineNo = 0;
  while (pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    const raw = text.slice(pos, nl);
    pos = nl + 1;
    lineNo++;
    if (raw.length > MAX_LINE_LENGTH) {
      reject(lineNo, raw, `line longer than ${MAX_LINE_LENGTH} characters`);
      continue;
    }
    const r = parseLine(raw);
    if (r === null) continue;
    if (typeof r === 'string') {
      reject(lineNo, raw, r);
      continue;
    }
    const cidr = checkCidr(r.entry);
    if (typeof cidr === 'string') {
      reject(lineNo, raw, cidr);
      continue;
    }
    if (entries.length >= maxEntries) {
      truncated = true;
      break;
    }
    entries.push(r.note === undefined ? { cidr, line: lineNo } : { cidr, line: lineNo, note: r.note });
  }
  return { format, entries, invalid, invalidCount, truncated };
}
