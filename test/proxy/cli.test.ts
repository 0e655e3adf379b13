/**
 * The CLI through the real `bulwark` binary: check, schema, start with a file, SIGHUP
 * reload (valid and invalid), SIGTERM exits 0 after finishing in-flight work, and the zero-config form.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { startSimpleOrigin } from '../helpers/simple-origin.ts';

const BIN = fileURLToPath(new URL('../../bin/bulwark.js', import.meta.url));

function cli(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000 });
}

/** Starts the binary and resolves once it logged 'bulwark started', with its http URL. */
function startCli(args: string[]): Promise<{ child: ChildProcess; url: string; lines: () => string[] }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  let pending = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start: ${out.join('\n')}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      pending += d.toString();
      const parts = pending.split('\n');
      pending = parts.pop()!;
      for (const line of parts) {
        out.push(line);
        if (line.includes('"bulwark started"')) {
          clearTimeout(timer);
          resolve({ child, url: JSON.parse(line).listeners[0], lines: () => out });
        }
      }
    });
    child.stderr!.on('data', (d: Buffer) => out.push(d.toString()));
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${out.join('\n')}`)));
  });
}

function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function waitFor(pred: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('check prints the normalised config, and names every problem of a bad one with exit 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-cli-'));
  const good = join(dir, 'good.yaml');
  writeFileSync(good, 'connections:\n  header_timeout: 2s\nsites:\n  - name: a\n    hosts: ["*"]\n    origins: ["http://127.0.0.1:3000"]\n');
  const ok = cli(['check', '-c', good, '--format', 'json']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).connections.header_timeout, 2000);
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'sites:\n  - name: a\n    hosts: ["*"]\n    origins: ["nope"]\n    typo: 1\n');
  const r = cli(['check', '-c', bad]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /bad\.yaml:4: sites\[0\]\.origins\[0\]/);
  assert.match(r.stderr, /bad\.yaml:5: sites\[0\]\.typo: unknown key "typo"/);
});

test('schema prints a JSON Schema that rejects unknown keys', () => {
  const r = cli(['schema']);
  assert.equal(r.status, 0);
  const schema = JSON.parse(r.stdout);
  assert.equal(schema.additionalProperties, false);
  assert.ok(schema.properties.sites);
});

test('every command has --help', () => {
  for (const cmd of ['start', 'check', 'schema', 'demo']) {
    const r = cli([cmd, '--help']);
    assert.equal(r.status, 0, cmd);
    assert.match(r.stdout, /Usage: bulwark/);
  }
});

test('start -c, SIGHUP reloads (and refuses a bad file), SIGTERM finishes in-flight work and exits 0', async () => {
  const slow = await startSimpleOrigin((req, res) => setTimeout(() => res.end(`a:${req.url}`), req.url === '/slow' ? 800 : 0));
  const other = await startSimpleOrigin((req, res) => res.end(`b:${req.url}`));
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-cli-'));
  const file = join(dir, 'bulwark.yaml');
  const yaml = (origin: string) =>
    `state_dir: ${dir}/state\nlisten:\n  http: ["127.0.0.1:0"]\nadmin:\n  listen: null\nlog:\n  level: info\n  access_log:\n    path: ${dir}/access.log\n    format: combined\nsites:\n  - name: a\n    hosts: ["*"]\n    origins: ["${origin}"]\n`;
  writeFileSync(file, yaml(slow.url));
  const { child, url, lines } = await startCli(['start', '-c', file]);
  try {
    assert.equal(await (await request(`${url}/x`)).body.text(), 'a:/x');
    writeFileSync(file, yaml(other.url));
    child.kill('SIGHUP');
    await waitFor(() => lines().some((l) => l.includes('config reloaded')));
    assert.equal(await (await request(`${url}/y`)).body.text(), 'b:/y');
    writeFileSync(file, 'sites: nope\n');
    child.kill('SIGHUP');
    await waitFor(() => lines().some((l) => l.includes('reload refused')));
    assert.equal(await (await request(`${url}/z`)).body.text(), 'b:/z');
    writeFileSync(file, yaml(slow.url));
    child.kill('SIGHUP');
    await waitFor(() => lines().filter((l) => l.includes('config reloaded')).length === 2);
    const inFlight = request(`${url}/slow`).then((r) => r.body.text());
    await new Promise((r) => setTimeout(r, 200));
    const exited = exitCode(child);
    child.kill('SIGTERM');
    assert.equal(await inFlight, 'a:/slow');
    assert.equal(await exited, 0);
    const access = readFileSync(join(dir, 'access.log'), 'utf8').trim().split('\n');
    assert.ok(access.length >= 4);
    assert.match(access[0]!, /^127\.0\.0\.1 - - \[\d{2}\/\w{3}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000\] "GET \/x HTTP\/1\.1" 200 \d+ "-" "-?[^"]*" "[a-z2-7]{8}-[0-9a-z]{6}"$/);
    // Each reload, applied or refused, is in the audit log.
    const audit = JSON.parse(cli(['audit', '--json', '--action', 'config.', '--state-dir', `${dir}/state`]).stdout) as { entries: Array<{ actor: string; outcome: string; detail: { problems?: unknown[] } }> };
    assert.deepEqual(audit.entries.map((e) => [e.actor, e.outcome]), [['signal:SIGHUP', 'ok'], ['signal:SIGHUP', 'refused'], ['signal:SIGHUP', 'ok']]);
    assert.ok((audit.entries[1]!.detail.problems ?? []).length > 0, 'why it was refused');
  } finally {
    child.kill('SIGKILL');
    await slow.close();
    await other.close();
  }
});

test('zero-config start --listen --origin answers every host', async () => {
  const origin = await startSimpleOrigin((req, res) => res.end(`zero:${req.headers.host}`));
  const { child, url } = await startCli(['start', '--listen', '127.0.0.1:0', '--origin', origin.url, '--admin', '127.0.0.1:0']);
  try {
    assert.equal(await (await request(`${url}/`, { headers: { host: 'anything.example' } })).body.text(), 'zero:anything.example');
    const exited = exitCode(child);
    child.kill('SIGINT');
    assert.equal(await exited, 0);
  } finally {
    child.kill('SIGKILL');
    await origin.close();
  }
});
