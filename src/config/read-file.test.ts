import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileReadError, readRegularFile, readRegularFileSync } from './read-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-read-'));
const fifo = join(dir, 'pipe');
execFileSync('mkfifo', [fifo]);
const file = join(dir, 'list.txt');
writeFileSync(file, '192.0.2.0/24\n');

test('a regular file is read, synchronously and off the event loop', async () => {
  assert.equal(readRegularFileSync(file, 100), '192.0.2.0/24\n');
  assert.equal(await readRegularFile(file, 100), '192.0.2.0/24\n');
});

test('a FIFO, a directory or a device is refused at once with what it is (no writer needed, nothing blocks)', async () => {
  const cases: [string, RegExp][] = [
    [fifo, /is a FIFO \(named pipe\), not a regular file/],
    [dir, /is a directory, not a regular file/],
    ['/dev/zero', /is a character device, not a regular file/],
  ];
  for (const [path, message] of cases) {
    assert.throws(() => readRegularFileSync(path, 100), (err: unknown) => err instanceof FileReadError && message.test(err.message), path);
    await assert.rejects(readRegularFile(path, 100), (err: unknown) => err instanceof FileReadError && message.test(err.message), path);
  }
});

test('a file over the size cap, or missing, is refused with the reason', async () => {
  assert.throws(() => readRegularFileSync(file, 4), /is 13 bytes, more than the 4 accepted/);
  await assert.rejects(readRegularFile(join(dir, 'missing'), 100), /ENOENT/);
});
