/**
 * Compiles the allow and deny lists of a config generation: inline entries plus list files
 * read from disk. Invalid lines are reported and skipped, never fatal; a file that cannot be read — or
 * is not a regular file at all (a FIFO, a device: config/read-file.ts) — is a config problem naming its
 * key, so a reload keeps the old lists rather than silently dropping one, and never hangs on it.
 *
 * Reloads read the files off the event loop first ({@link readListFiles}) and compile what was read;
 * start-up and `bulwark check` read them synchronously ({@link readListFilesSync}), with the same
 * refusal of anything but a regular file.
 */
import { basename } from 'node:path';
import type { ListsConfig } from '../config/identify-schema.ts';
import type { ConfigProblem } from '../config/load.ts';
import { FileReadError, readRegularFile, readRegularFileSync } from '../config/read-file.ts';
import { compileIpLists, type IpLists, type ListSourceInput } from '../core/net/ip-list.ts';

/** A list file larger than this is refused (a million prefixes take ~20 MB of text). */
export const MAX_LIST_FILE_BYTES = 256 * 1024 * 1024;

/** What reading each of `lists.files` gave, in order: its text, or why it could not be read. */
export type ListFileTexts = readonly (string | FileReadError)[];

/** Reads every list file synchronously (start-up, tools); never blocks on a non-regular file. */
export function readListFilesSync(files: ListsConfig['files']): ListFileTexts {
  return files.map((f) => {
    try {
      return readRegularFileSync(f.path, MAX_LIST_FILE_BYTES);
    } catch (err) {
      return err as FileReadError;
    }
  });
}

/** Reads every list file off the event loop (reloads while serving). Never rejects. */
export function readListFiles(files: ListsConfig['files']): Promise<ListFileTexts> {
  return Promise.all(files.map((f) => readRegularFile(f.path, MAX_LIST_FILE_BYTES).catch((err: unknown) => err as FileReadError)));
}

/**
 * Compiles the lists; `texts` are the list files already read (in `lists.files` order), read
 * synchronously here when not given. Problems with the files are added to `problems`.
 */
export function buildLists(lists: ListsConfig, trustedProxies: readonly string[], problems: ConfigProblem[], texts?: ListFileTexts): IpLists {
  const allow: ListSourceInput[] = [{ source: 'config', entries: lists.allow }];
  const deny: ListSourceInput[] = [
    { source: 'config', entries: lists.deny.filter((e) => typeof e === 'string' || !e.force).map((e) => (typeof e === 'string' ? e : e.cidr)) },
    { source: 'config', entries: lists.deny.flatMap((e) => (typeof e !== 'string' && e.force ? [e.cidr] : [])), force: true },
  ];
  const read = texts !== undefined && texts.length === lists.files.length ? texts : readListFilesSync(lists.files);
  lists.files.forEach((f, i) => {
    const text = read[i]!;
    if (typeof text !== 'string') {
      problems.push({ path: `lists.files[${i}].path`, line: null, message: `cannot read list file ${JSON.stringify(f.path)}: ${text.message}` });
      return;
    }
    const source: ListSourceInput = { source: f.name ?? basename(f.path), text, format: f.format, force: f.force };
    (f.kind === 'allow' ? allow : deny).push(source);
  });
  return compileIpLists({ allow, deny, trustedProxies, maxPrefixes: lists.max_prefixes });
}
