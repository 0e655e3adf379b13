/**
 * Kernel drops for real, in a network namespace this test creates (`unshare -n`: its own loopback and its
 * own nftables ruleset, so nothing on the host is touched): with CAP_NET_ADMIN, banned and deny-listed
 * sources never complete a TCP handshake (the kernel drops their SYNs; Bulwark's accept gate never sees
 * them), a clean source is served, an unban lets the source back, and stopping removes the table.
 * Without the capability, Bulwark says so and drops the same sources at accept. Skipped with the reason
 * where namespaces or nft are not available.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/kernel-drop-in-netns.ts', import.meta.url));

function unavailable(): string | undefined {
  try {
    execFileSync('nft', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'nft not found (apt-get install nftables)';
  }
  try {
    execFileSync('unshare', ['-n', 'ip', 'link', 'set', 'lo', 'up'], { stdio: 'ignore' });
  } catch {
    return 'cannot create a network namespace here (needs root and unshare/iproute2)';
  }
  return undefined;
}

function runInNamespace(prefix: string[], mode: string): Record<string, unknown> {
  const script = `ip link set lo up && exec ${prefix.join(' ')} ${JSON.stringify(process.execPath)} --import tsx ${JSON.stringify(fixture)} ${mode}`;
  const r = spawnSync('unshare', ['-n', 'sh', '-c', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `fixture failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

describe('kernel drops in a network namespace', { skip: unavailable() }, () => {
  it('with CAP_NET_ADMIN: banned and denied sources are dropped by the kernel, before accept', () => {
    const r = runInNamespace([], 'expect-kernel');
    assert.equal(r.tableWhileRunning, true);
    assert.equal(r.banned, 'refused-by-kernel');
    assert.equal(r.denied, 'refused-by-kernel');
    assert.equal(r.clean, 'served');
    assert.equal(r.droppedAtAcceptDuring, 0, 'the accept gate never saw them');
    const k = r.kernel as { active: boolean; bans: number; deny: number; dropped_packets: number };
    assert.deepEqual([k.active, k.bans, k.deny], [true, 1, 1]);
    assert.equal(r.afterUnban, 'served');
    assert.equal(r.tableAfterStop, false, 'the table is removed on stop');
  });

  it('without CAP_NET_ADMIN: says so and drops at accept instead', () => {
    const r = runInNamespace(['setpriv', '--bounding-set=-net_admin'], 'expect-user-space');
    assert.equal(r.tableWhileRunning, false);
    assert.equal(r.banned, 'dropped-at-accept');
    assert.equal(r.denied, 'dropped-at-accept');
    assert.equal(r.clean, 'served');
    assert.equal(r.droppedAtAcceptDuring, 2);
    const k = r.kernel as { active: boolean; inactive_reason: string };
    assert.deepEqual([k.active, k.inactive_reason], [false, 'Bulwark lacks CAP_NET_ADMIN']);
    assert.equal(r.afterUnban, 'served');
  });
});
