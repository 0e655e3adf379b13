/**
 * Reading the files a config names (the config itself, list files) without ever blocking the process
 * on something that is not a file: a FIFO, a device or a socket at that path would make a plain read
 * wait forever (`readFileSync` on a FIFO with no writer never returns) or forever read (`/dev/zero`).
 *
 * The file is opened with `O_NONBLOCK` (opening a FIFO for reading then returns at once), checked with
 * `fstat` on the opened descriptor (so the check and the read are about the same file), and refused
 * unless it is a regular file of at most `maxBytes`. The asynchronous form reads on libuv's thread pool,
 * off the event loop: reloads use it while the process keeps serving.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';

/** A file that could not be read: `message` says why in words, for a config problem naming the key. */
export class FileReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FileReadError';
  }
}

const FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

/** What kind of non-regular file `st` is, in words. */
function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

function check(st: Stats, maxBytes: number): void {
  if (!st.isFile()) throw new FileReadError(`is ${kindOf(st)}, not a regular file`);
  if (st.size > maxBytes) throw new FileReadError(`is ${st.size} bytes, more than the ${maxBytes} accepted`);
}

function reason(err: unknown): FileReadError {
  return err instanceof FileReadError ? err : new FileReadError((err as Error).message);
}

/**
 * Reads a regular file of at most `maxBytes` as UTF-8, synchronously (start-up, `bulwark check`).
 * Throws {@link FileReadError}.
 */
export function readRegularFileSync(path: string, maxBytes: number): string {
  let fd: number;
  try {
    fd = openSync(path, FLAGS);
  } catch (err) {
    throw reason(err);
  }
  try {
    check(fstatSync(fd), maxBytes);
    return readFileSync(fd, 'utf8');
  } catch (err) {
    throw reason(err);
  } finally {
    closeSync(fd);
  }
}

/** Reads a regular file of at most `maxBytes` as UTF-8 off the event loop. Rejects with {@link FileReadError}. */
export async function readRegularFile(path: string, maxBytes: number): Promise<string> {
  let handle;
  try {
    handle = await open(path, FLAGS);
  } catch (err) {
    throw reason(err);
  }
  try {
    check(await handle.stat(), maxBytes);
    return await handle.readFile('utf8');
  } catch (err) {
    throw reason(err);
  } finally {
    await handle.close();
  }
}

/**
 * YAML aliases (`*name`) one node may expand into at most, in the config and in policy files (the yaml
 * library's `maxAliasCount`): a "billion laughs" alias bomb is refused as a config problem instead of
 * eating memory. Real configs use a handful.
 */
export const MAX_YAML_ALIASES = 100;
