/**
 * Allow and deny lists compiled into one longest-prefix matcher.
 *
 * Precedence (decided here, documented for operators): the **longest matching prefix wins**, and on
 * a prefix present in both lists **allow wins**. So `allow 203.0.113.0/24` + `deny 203.0.113.66/32`
 * denies .66 and allows the rest of the /24, and `deny 198.51.100.0/24` + `allow 198.51.100.7/32`
 * allows .7 only — exceptions work both ways, as in routing tables. Because a third-party feed can
 * therefore carve a hole in an operator's allow range, every deny entry strictly inside an allow entry
 * is reported (`deny_narrows_allow`).
 *
 * Deny entries overlapping loopback, private, link-local ranges or a trusted proxy are skipped with a
 * `protected_skipped` warning unless their source is `force`d (then `protected_forced`). Allow entries
 * are never filtered. Pure: takes texts (read by the caller), returns the matcher and its warnings.
 */
import { createCidrTrie } from './cidr-trie.ts';
import type { CidrTrieStats } from './cidr-trie.ts';
import { checkCidr } from './cidr.ts';
import type { Cidr } from './cidr.ts';
import { parseListText } from './list-formats.ts';
import type { ListEntry, ListFormat } from './list-formats.ts';
import { createProtectedRanges } from './protected-ranges.ts';
import type { ParsedIp } from './ip.ts';

/** Which list an entry belongs to. */
export type ListKind = 'allow' | 'deny';

/** One source of entries: inline config entries and/or the text of a list file. */
export interface ListSourceInput {
  /** Name reported in matches and warnings, e.g. `config` or `firehol_level1`. */
  readonly source: string;
  /** Inline IPs/CIDRs (config); numbered from 1 in warnings. */
  readonly entries?: readonly string[];
  /** List file contents. */
  readonly text?: string;
  /** Format of `text`; default `auto`. */
  readonly format?: ListFormat | 'auto';
  /** Deny only: keep entries that cover protected ranges (with a `protected_forced` warning). */
  readonly force?: boolean;
}

/** Options of {@link compileIpLists}. */
export interface IpListsOptions {
  readonly allow?: readonly ListSourceInput[];
  readonly deny?: readonly ListSourceInput[];
  /** Trusted proxy IPs/CIDRs: deny entries covering them are protected. */
  readonly trustedProxies?: readonly string[];
  /** Cap on distinct prefixes across both lists (default 1,000,000); the rest is skipped with a `full` warning. */
  readonly maxPrefixes?: number;
  /** Keep details of at most this many warnings (default 1,000); all are counted by kind. */
  readonly maxWarnings?: number;
}

/** The list entry that decided a match. `note` is e.g. a Spamhaus SBL id. */
export interface ListMatch {
  readonly kind: ListKind;
  readonly source: string;
  readonly cidr: string;
  readonly note?: string;
}

export type ListWarningKind =
  | 'invalid_line'
  | 'invalid_trusted_proxy'
  | 'protected_skipped'
  | 'protected_forced'
  | 'deny_narrows_allow'
  | 'conflict'
  | 'truncated'
  | 'full';

/** A problem found while compiling; never fatal. `line` is the file line or the config entry number. */
export interface ListWarning {
  readonly kind: ListWarningKind;
  readonly source: string;
  readonly line?: number;
  readonly text: string;
  readonly reason: string;
}

/** Counts for metrics and `bulwark check`. */
export interface IpListStats {
  readonly allowPrefixes: number;
  readonly denyPrefixes: number;
  /** Entries repeating a prefix already present in the same list (first source kept). */
  readonly duplicates: number;
  readonly warningsByKind: Readonly<Record<ListWarningKind, number>>;
  /** Warnings counted but not kept (beyond `maxWarnings`). */
  readonly warningsDropped: number;
  readonly trie: CidrTrieStats;
}

/** A compiled allow/deny matcher. */
export interface IpLists {
  /** The deciding entry for the address (longest prefix; allow on ties), or null. Allocation-free. */
  match(address: string | ParsedIp): ListMatch | null;
  readonly warnings: readonly ListWarning[];
  stats(): IpListStats;
  /** Every entry kept, allow entries first (for mirrors outside this process, e.g. nftables sets). */
  entries(): readonly ListMatch[];
}

/** Entries of one source, with invalid lines already turned into warnings. */
function entriesOf(src: ListSourceInput, warn: (w: ListWarning) => void, uncounted: (n: number) => void, maxDetails: number): ListEntry[] {
  const out: ListEntry[] = [];
  (src.entries ?? []).forEach((text, i) => {
    const c = checkCidr(text.trim());
    if (typeof c === 'string') warn({ kind: 'invalid_line', source: src.source, line: i + 1, text, reason: c });
    else out.push({ cidr: c, line: i + 1 });
  });
  if (src.text !== undefined) {
    const parsed = parseListText(src.text, { format: src.format ?? 'auto', maxInvalidReported: maxDetails });
    for (const bad of parsed.invalid) warn({ kind: 'invalid_line', source: src.source, ...bad });
    uncounted(parsed.invalidCount - parsed.invalid.length);
    if (parsed.truncated) warn({ kind: 'truncated', source: src.source, text: '', reason: 'entry limit reached; rest of file ignored' });
    for (const e of parsed.entries) out.push(e);
  }
  return out;
}

/** Warning bookkeeping: details of the first `max`, counts of all. */
function createWarnings(max: number) {
  const list: ListWarning[] = [];
  const byKind: Record<ListWarningKind, number> = { invalid_line: 0, invalid_trusted_proxy: 0, protected_skipped: 0, protected_forced: 0, deny_narrows_allow: 0, conflict: 0, truncated: 0, full: 0 };
  const state = { dropped: 0 };
  return {
    list,
    byKind,
    state,
    warn(w: ListWarning): void {
      byKind[w.kind]++;
      if (list.length < max) list.push(w);
      else state.dropped++;
    },
    /** Invalid lines counted by the parser but not detailed. */
    uncounted(n: number): void {
      byKind.invalid_line += n;
      state.dropped += n;
    },
  };
}

/**
 * Compile allow and deny sources into a matcher (see the module comment for precedence and
 * protection). Never throws on bad input: everything questionable becomes a warning.
 */
export function compileIpLists(options: IpListsOptions): IpLists {
  const maxWarnings = options.maxWarnings ?? 1000;
  const w = createWarnings(maxWarnings);
  const warn = w.warn;
  const trie = createCidrTrie({ maxPrefixes: options.maxPrefixes ?? 1_000_000 });
  const allowOnly = createCidrTrie({ maxPrefixes: options.maxPrefixes ?? 1_000_000 });
  const table: ListMatch[] = [];
  const counts = { allow: 0, deny: 0, duplicates: 0 };
  const protect = createProtectedRanges({ trustedProxies: options.trustedProxies });
  for (const bad of protect.invalid) warn({ kind: 'invalid_trusted_proxy', source: 'trusted_proxies', text: bad, reason: 'not an IP address or CIDR' });
  let full = false;

  const add = (kind: ListKind, src: ListSourceInput, e: ListEntry): void => {
    const c: Cidr = e.cidr;
    const at = { source: src.source, line: e.line, text: c.text };
    const existing = trie.get(c);
    if (existing >= 0) {
      if (table[existing].kind === kind) counts.duplicates++;
      else warn({ kind: 'conflict', ...at, reason: `also allowed by ${table[existing].source}; allow wins` });
      return;
    }
    if (kind === 'deny') {
      const hit = protect.check(c);
      if (hit && !src.force) {
        warn({ kind: 'protected_skipped', ...at, reason: `covers ${hit.reason} range ${hit.range}; set force to deny it anyway` });
        return;
      }
      if (hit) warn({ kind: 'protected_forced', ...at, reason: `covers ${hit.reason} range ${hit.range}; denied because forced` });
      const a = c.family === 4 ? allowOnly.lookupV4(c.v4) : allowOnly.lookupV6(c.v6);
      if (a >= 0) warn({ kind: 'deny_narrows_allow', ...at, reason: `inside ${table[a].cidr} allowed by ${table[a].source}; the longer deny prefix wins` });
    }
    const idx = table.length;
    if (full || !trie.insert(c, idx)) {
      full = true;
      return warn({ kind: 'full', ...at, reason: 'prefix limit reached' });
    }
    if (kind === 'allow') allowOnly.insert(c, idx); // cannot fail: a subset of `trie`, same cap
    table.push(Object.freeze(e.note === undefined ? { kind, source: src.source, cidr: c.text } : { kind, source: src.source, cidr: c.text, note: e.note }));
    counts[kind]++;
  };

  // Allow first, so a deny entry repeating an allowed prefix is seen as a conflict (allow wins ties).
  for (const src of options.allow ?? []) for (const e of entriesOf(src, warn, w.uncounted, maxWarnings)) add('allow', src, e);
  for (const src of options.deny ?? []) for (const e of entriesOf(src, warn, w.uncounted, maxWarnings)) add('deny', src, e);

  return {
    match(address: string | ParsedIp): ListMatch | null {
      const i = trie.lookup(address);
      return i < 0 ? null : table[i];
    },
    warnings: w.list,
    entries: () => table,
    stats: () => ({
      allowPrefixes: counts.allow,
      denyPrefixes: counts.deny,
      duplicates: counts.duplicates,
      warningsByKind: { ...w.byKind },
      warningsDropped: w.state.dropped,
      trie: trie.stats(),
    }),
  };
}
