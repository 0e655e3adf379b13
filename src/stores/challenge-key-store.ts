/**
 * The challenge signing key on disk: `<stateDir>/keys/challenge.json`, mode 0600 in a 0700 directory.
 *
 * - First start: a 32-byte key is generated (crypto.randomBytes) and written atomically (temporary file,
 *   fsync, then `link`, which fails if another process created the file first — the loser loads the
 *   winner's key).
 * - Later starts: the file is loaded. It must be a regular file owned by this user and not readable or
 *   writable by anyone else; otherwise loading fails with BULWARK_ERR_CHALLENGE_KEY_PERMISSIONS or
 *   BULWARK_ERR_CHALLENGE_KEY_OWNER.
 * - A corrupt file fails with BULWARK_ERR_CHALLENGE_KEY_CORRUPT and is never silently replaced: a new key
 *   would sign out every visitor and lose the old key for good. The operator restores it from a backup,
 *   or moves it aside deliberately to start with a new key.
 * - Rotation writes a new current key and keeps the old one as `previous`, accepted for a grace period
 *   (default 24 h, so no visitor's clearance is cut short by more than the rotation itself), atomically
 *   (temporary file, fsync, rename).
 *
 * File format (JSON): `{ "version": 1, "current": { "secret": "<base64url>", "createdAtMs": n },
 * "previous"?: { "secret": "...", "createdAtMs": n, "acceptUntilMs": n } }`.
 */

import { randomBytes as systemRandomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createKeyRing, type KeyRing, MIN_SECRET_BYTES } from '../core/challenge/key-ring.ts';

/** Error codes raised by the key store. */
export type ChallengeKeyErrorCode =
  | 'BULWARK_ERR_CHALLENGE_KEY_PERMISSIONS'
  | 'BULWARK_ERR_CHALLENGE_KEY_OWNER'
  | 'BULWARK_ERR_CHALLENGE_KEY_CORRUPT'
  | 'BULWARK_ERR_CHALLENGE_KEY_NOT_A_FILE'
  | 'BULWARK_ERR_CHALLENGE_KEY_IO';

/** A key-store failure, with a stable code and the file concerned. */
export class ChallengeKeyError extends Error {
  readonly code: ChallengeKeyErrorCode;
  readonly file: string;
  constructor(code: ChallengeKeyErrorCode, file: string, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'ChallengeKeyError';
    this.code = code;
    this.file = file;
  }
}

/** Default time the previous key stays valid after a rotation. */
export const DEFAULT_ROTATION_GRACE_MS = 24 * 3600_000;

/** Options shared by the key-store functions. */
export interface KeyStoreOptions {
  /** Clock (default Date.now). */
  readonly nowMs?: number;
  /** Random source (default crypto.randomBytes); tests may inject. */
  readonly randomBytes?: (n: number) => Buffer;
}

/** The loaded keys. */
export interface LoadedChallengeKeys {
  readonly ring: KeyRing;
  readonly file: string;
  /** True when this call generated the first key. */
  readonly created: boolean;
  readonly currentCreatedAtMs: number;
  /** When the previous key stops being accepted (undefined when there is none, or it has lapsed). */
  readonly previousAcceptUntilMs: number | undefined;
}

interface KeyEntry {
  readonly secret: string;
  readonly createdAtMs: number;
}
interface KeyFile {
  readonly version: 1;
  readonly current: KeyEntry;
  readonly previous?: KeyEntry & { readonly acceptUntilMs: number };
}

/** Path of the key file under `stateDir`. */
export function challengeKeyFile(stateDir: string): string {
  return path.join(stateDir, 'keys', 'challenge.json');
}

function corrupt(file: string, what: string, cause?: unknown): ChallengeKeyError {
  return new ChallengeKeyError(
    'BULWARK_ERR_CHALLENGE_KEY_CORRUPT',
    file,
    `challenge key file ${file} is corrupt (${what}). Bulwark will not replace it, because a new key would sign out ` +
      'every visitor. Restore it from a backup, or move it aside (e.g. `mv challenge.json challenge.json.broken`) ' +
      'to start with a new key.',
    cause,
  );
}

function decodeSecret(file: string, value: unknown, field: string): Buffer {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]+$/.test(value)) throw corrupt(file, `${field} is not base64url`);
  const secret = Buffer.from(value, 'base64url');
  if (secret.length < MIN_SECRET_BYTES) throw corrupt(file, `${field} is shorter than ${MIN_SECRET_BYTES} bytes`);
  return secret;
}

function isTime(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function parseKeyFile(file: string, text: string): KeyFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw corrupt(file, 'not valid JSON', err);
  }
  const d = data as Partial<KeyFile> | null;
  if (d === null || typeof d !== 'object' || d.version !== 1) throw corrupt(file, 'missing or unknown "version"');
  if (typeof d.current !== 'object' || d.current === null || !isTime(d.current.createdAtMs)) throw corrupt(file, '"current" is missing or invalid');
  decodeSecret(file, d.current.secret, 'current.secret');
  if (d.previous !== undefined) {
    if (typeof d.previous !== 'object' || d.previous === null || !isTime(d.previous.createdAtMs) || !isTime(d.previous.acceptUntilMs)) {
      throw corrupt(file, '"previous" is invalid');
    }
    decodeSecret(file, d.previous.secret, 'previous.secret');
  }
  return d as KeyFile;
}

function checkFileSafety(file: string, stat: fs.Stats): void {
  if (!stat.isFile()) throw new ChallengeKeyError('BULWARK_ERR_CHALLENGE_KEY_NOT_A_FILE', file, `challenge key ${file} is not a regular file`);
  if (process.platform === 'win32') return;
  if ((stat.mode & 0o077) !== 0) {
    throw new ChallengeKeyError(
      'BULWARK_ERR_CHALLENGE_KEY_PERMISSIONS',
      file,
      `challenge key file ${file} has mode ${(stat.mode & 0o777).toString(8)}: others can read or change it. ` +
        `If nobody else has had access, fix it with \`chmod 600 ${file}\`; otherwise move it aside to start with a new key.`,
    );
  }
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) {
    throw new ChallengeKeyError(
      'BULWARK_ERR_CHALLENGE_KEY_OWNER',
      file,
      `challenge key file ${file} belongs to uid ${stat.uid}, but Bulwark runs as uid ${uid}. Fix with \`chown\`.`,
    );
  }
}

function toLoaded(file: string, key: KeyFile, nowMs: number, created: boolean): LoadedChallengeKeys {
  const prev = key.previous !== undefined && key.previous.acceptUntilMs > nowMs ? key.previous : undefined;
  const ring = createKeyRing({
    current: Buffer.from(key.current.secret, 'base64url'),
    previous: prev ? { secret: Buffer.from(prev.secret, 'base64url'), acceptUntilMs: prev.acceptUntilMs } : undefined,
  });
  return { ring, file, created, currentCreatedAtMs: key.current.createdAtMs, previousAcceptUntilMs: prev?.acceptUntilMs };
}

/** Writes `content` to a fresh 0600 temporary file next to `file`, fsynced; returns its path. */
function writeTemp(file: string, content: string): string {
  const temp = `${file}.${process.pid}.${systemRandomBytes(4).toString('hex')}.tmp`;
  const fd = fs.openSync(temp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
  try {
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return temp;
}

function readExisting(file: string): KeyFile | undefined {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return undefined;
    throw new ChallengeKeyError('BULWARK_ERR_CHALLENGE_KEY_IO', file, `cannot read challenge key file ${file}: ${String(err)}`, err);
  }
  checkFileSafety(file, stat);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ChallengeKeyError('BULWARK_ERR_CHALLENGE_KEY_IO', file, `cannot read challenge key file ${file}: ${String(err)}`, err);
  }
  return parseKeyFile(file, text);
}

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

function ensureDir(file: string): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new ChallengeKeyError('BULWARK_ERR_CHALLENGE_KEY_IO', file, `cannot create ${path.dirname(file)}: ${String(err)}`, err);
  }
}

function newEntry(random: (n: number) => Buffer, nowMs: number): KeyEntry {
  return { secret: random(32).toString('base64url'), createdAtMs: nowMs };
}

/**
 * Loads the key ring from `<stateDir>/keys/challenge.json`, generating and storing a first key when the
 * file does not exist. Throws {@link ChallengeKeyError} (never overwrites an existing file).
 */
export function loadOrCreateChallengeKeys(stateDir: string, options: KeyStoreOptions = {}): LoadedChallengeKeys {
  const file = challengeKeyFile(stateDir);
  const nowMs = options.nowMs ?? Date.now();
  const existing = readExisting(file);
  if (existing !== undefined) return toLoaded(file, existing, nowMs, false);
  ensureDir(file);
  const key: KeyFile = { version: 1, current: newEntry(options.randomBytes ?? systemRandomBytes, nowMs) };
  const temp = writeTemp(file, `${JSON.stringify(key, null, 2)}\n`);
  try {
    fs.linkSync(temp, file);
  } catch (err) {
    if (errorCode(err) !== 'EEXIST') {
      throw new ChallengeKeyError('BULWARK_ERR_CHALLENGE_KEY_IO', file, `cannot store challenge key ${file}: ${String(err)}`, err);
    }
    // Another process created it first: use theirs.
    const theirs = readExisting(file);
    if (theirs === undefined) throw new ChallengeKeyError('BULWARK_ERR_CHALLENGE_KEY_IO', file, `challenge key ${file} vanished while starting`);
    return toLoaded(file, theirs, nowMs, false);
  } finally {
    fs.rmSync(temp, { force: true });
  }
  return toLoaded(file, key, nowMs, true);
}

/**
 * Rotates: a new current key, the old current kept as `previous` until `nowMs + graceMs` (default
 * {@link DEFAULT_ROTATION_GRACE_MS}); an older previous key is dropped. Fails like
 * {@link loadOrCreateChallengeKeys} on an unsafe or corrupt file. Returns the new ring: build new gates
 * with it.
 */
export function rotateChallengeKey(stateDir: string, options: KeyStoreOptions & { readonly graceMs?: number } = {}): LoadedChallengeKeys {
  const file = challengeKeyFile(stateDir);
  const nowMs = options.nowMs ?? Date.now();
  const existing = readExisting(file);
  if (existing === undefined) return loadOrCreateChallengeKeys(stateDir, options);
  const random = options.randomBytes ?? systemRandomBytes;
  const graceMs = options.graceMs ?? DEFAULT_ROTATION_GRACE_MS;
  let next: KeyFile = { version: 1, current: newEntry(random, nowMs), previous: { ...existing.current, acceptUntilMs: nowMs + graceMs } };
  try {
    toLoaded(file, next, nowMs, false);
  } catch {
    // Key-id collision between the new and old key (chance 2^-32): draw again.
    next = { ...next, current: newEntry(random, nowMs) };
  }
  const temp = writeTemp(file, `${JSON.stringify(next, null, 2)}\n`);
  try {
    fs.renameSync(temp, file);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw new ChallengeKeyError('BULWARK_ERR_CHALLENGE_KEY_IO', file, `cannot store rotated challenge key ${file}: ${String(err)}`, err);
  }
  return toLoaded(file, next, nowMs, false);
}
