/**
 * Compiles the allow and deny lists of a config generation (issue #3): inline entries plus list files
 * read from disk. Invalid lines are reported and skipped, never fatal; a file that cannot be read is a
 * config problem naming its key (so a reload keeps the old lists rather than silently dropping one).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { ListsConfig } from '../config/identify-schema.ts';
import type { ConfigProblem } from '../config/load.ts';
import { compileIpLists, type IpLists, type ListSourceInput } from '../core/net/ip-list.ts';

export function buildLists(lists: ListsConfig, trustedProxies: readonly string[], problems: ConfigProblem[]): IpLists {
  const allow: ListSourceInput[] = [{ source: 'config', entries: lists.allow }];
  const deny: ListSourceInput[] = [
    { source: 'config', entries: lists.deny.filter((e) => typeof e === 'string' || !e.force).map((e) => (typeof e === 'string' ? e : e.cidr)) },
    { source: 'config', entries: lists.deny.flatMap((e) => (typeof e !== 'string' && e.force ? [e.cidr] : [])), force: true },
  ];
  lists.files.forEach((f, i) => {
    let text: string;
    try {
      text = readFileSync(f.path, 'utf8');
    } catch (err) {
      problems.push({ path: `lists.files[${i}].path`, line: null, message: `cannot read list file: ${(err as Error).message}` });
      return;
    }
    const source: ListSourceInput = { source: f.name ?? basename(f.path), text, format: f.format, force: f.force };
    (f.kind === 'allow' ? allow : deny).push(source);
  });
  return compileIpLists({ allow, deny, trustedProxies, maxPrefixes: lists.max_prefixes });
}
