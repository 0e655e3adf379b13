/**
 * Freezing the process through a list file: a list file that is a FIFO (or any non-regular file) used
 * to block the whole process on SIGHUP — `readFileSync` waits for a writer that never comes, and
 * nothing is served meanwhile. List files are read off the event loop, and anything but a regular file
 * is refused with an error naming the key (config/read-file.ts): the reload is refused, the old config
 * keeps serving. At start the same file is a config error (exit 2).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { cli, startCli, waitFor } from '../helpers/cli-process.ts';
import { startSimpleOrigin } from '../helpers/simple-origin.ts';

function setup(origin: string) {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-fifo-'));
  const list = join(dir, 'deny.netset');
  const file = join(dir, 'bulwark.yaml');
  writeFileSync(list, '# a FireHOL-style list\n192.0.2.0/24\n');
  writeFileSync(file, `state_dir: ${dir}/state\nlisten:\n  http: ["127.0.0.1:0"]\nadmin:\n  listen: null\nlog:\n  level: info\nlists:\n  files:\n    - path: ${list}\n      kind: deny\nsites:\n  - name: a\n    hosts: ["*"]\n    origins: ["${origin}"]\n`);
  const toFifo = () => {
    rmSync(list);
    execFileSync('mkfifo', [list]);
  };
  return { dir, list, file, toFifo };
}

test('freezing the process through a list file: a FIFO named by lists.files is refused on SIGHUP while the process keeps serving', async () => {
  const origin = await startSimpleOrigin((_req, res) => res.end('ok'));
  const s = setup(origin.url);
  const running = await startCli(['start', '-c', s.file]);
  try {
    assert.equal(await (await request(`${running.url}/before`)).body.text(), 'ok');
    s.toFifo();
    running.child.kill('SIGHUP');
    await waitFor(() => running.lines().some((l) => l.includes('reload refused')), 5_000);
    const refused = running.lines().find((l) => l.includes('reload refused'))!;
    assert.match(refused, /lists\.files\[0\]\.path/);
    assert.match(refused, /FIFO/);
    // Still serving: the answer comes within a second.
    const answer = await request(`${running.url}/after`, { headersTimeout: 1000, bodyTimeout: 1000 });
    assert.equal(await answer.body.text(), 'ok');
  } finally {
    running.child.kill('SIGKILL');
    await origin.close();
  }
});

test('freezing the process through a list file: at start a FIFO list file is a config error naming the key', () => {
  const s = setup('http://127.0.0.1:9');
  s.toFifo();
  const r = cli(['start', '-c', s.file]);
  assert.equal(r.status, 2, `start exit ${r.status}: ${r.stdout}${r.stderr}`);
  assert.match(r.stderr, /lists\.files\[0\]\.path: cannot read list file .*is a FIFO \(named pipe\), not a regular file/);
});
