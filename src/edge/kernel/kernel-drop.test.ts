/**
 * The kernel-drop mirror with a recording stand-in for `nft` (the real thing is exercised in a network
 * namespace by test/scale/kernel-drop.test.ts): masks and set names, the batches ban changes become, the
 * rules on which entries the kernel may take, ownership of the table, and what happens without privilege.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileIpLists } from '../../core/net/ip-list.ts';
import { createBanMirror } from '../../stores/ban-mirror.ts';
import type { BanMirrorWatcher, BanStore } from '../../stores/index.ts';
import { createKernelDrop, type KernelDropLogger } from './kernel-drop.ts';
import { banElement, maskOf, timeoutOf } from './nft-script.ts';
import type { NftExec, NftResult } from './nft-runner.ts';

const ok = (stdout = ''): NftResult => ({ ok: true, code: 0, stdout, stderr: '' });
const fail = (stderr: string): NftResult => ({ ok: false, code: 1, stdout: '', stderr });

function recorder(answer: (args: readonly string[], script?: string) => NftResult = (args) => (args[0] === '-j' ? fail('No such file or directory') : ok())) {
  const calls: Array<{ args: readonly string[]; script?: string }> = [];
  const exec: NftExec = async (args, script) => {
    calls.push({ args, script });
    return answer(args, script);
  };
  return { calls, exec, scripts: () => calls.filter((c) => c.script !== undefined).map((c) => c.script!) };
}

function logger(): KernelDropLogger & { lines: string[] } {
  const lines: string[] = [];
  const log = (_o: object, m: string) => void lines.push(m);
  return { lines, info: log, warn: log, error: log };
}

/** A BanStore whose only working part is the mirror watch (what the kernel mirror uses). */
function storeWith(mirror = createBanMirror()): BanStore & { mirror: typeof mirror } {
  return { mirror, watch: (w: BanMirrorWatcher) => mirror.watch(w) } as unknown as BanStore & { mirror: typeof mirror };
}

describe('nft script pieces', () => {
  it('writes masks and elements the way nft reads them', () => {
    const cases: Array<[4 | 6, number, string]> = [[4, 24, '255.255.255.0'], [4, 20, '255.255.240.0'], [4, 0, '0.0.0.0'], [6, 64, 'ffff:ffff:ffff:ffff::'], [6, 48, 'ffff:ffff:ffff::'], [6, 29, 'ffff:fff8::'], [6, 128, 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff']];
    for (const [family, bits, mask] of cases) assert.equal(maskOf(family, bits), mask, `${family}/${bits}`);
    assert.deepEqual(banElement('203.0.113.0/24'), { family: 4, bits: 24, address: '203.0.113.0' });
    assert.deepEqual(banElement('2001:db8::1'), { family: 6, bits: 128, address: '2001:db8::1' });
    assert.equal(timeoutOf(10_500, 0), '11s');
    assert.equal(timeoutOf(0, 5000), '1s');
    assert.equal(timeoutOf(1e12, 0), `${40 * 86_400}s`);
  });
});

describe('kernel-drop mirror', () => {
  it('creates its table, then writes ban changes in batches, one set per prefix length', async () => {
    const nft = recorder();
    const store = storeWith();
    const now = 1_000_000;
    store.mirror.set('198.51.100.7', now + 60_000);
    const kd = createKernelDrop({ mode: 'auto', table: 'bw', logger: logger(), exec: nft.exec, now: () => now, flushEveryMs: 60_000 });
    kd.setPorts([8080, 8080, 0, 8443]);
    kd.followBans(store);
    assert.equal(await kd.start(), true);
    assert.match(nft.scripts()[0]!, /add table inet bw \{ comment "bulwark pid \d+"; \}/);
    await kd.flush();
    let batch = nft.scripts().at(-1)!;
    assert.match(batch, /add element inet bw ports \{ 8080, 8443 \}/);
    assert.match(batch, /add set inet bw ban4_32 .*\nadd rule inet bw drops ip saddr @ban4_32 counter drop/);
    assert.match(batch, /add element inet bw ban4_32 \{ 198\.51\.100\.7 timeout 60s \}/);
    store.mirror.set('203.0.113.0/24', now + 5_000);
    store.mirror.set('203.0.113.0/24', now + 9_000);
    store.mirror.delete('198.51.100.7');
    await kd.flush();
    batch = nft.scripts().at(-1)!;
    assert.match(batch, /ip saddr & 255\.255\.255\.0 @ban4_24 counter drop/);
    assert.equal((batch.match(/ban4_24 \{ 203\.0\.113\.0 timeout/g) ?? []).length, 1, 'the latest change per key is written once');
    assert.match(batch, /timeout 9s/);
    assert.match(batch, /delete element inet bw ban4_32 \{ 198\.51\.100\.7 \}/, 'a ban lifted early leaves the kernel');
    assert.doesNotMatch(batch, /add set inet bw ban4_32/, 'a set is created once');
    const before = nft.scripts().length;
    store.mirror.set('192.0.2.1', now - 1);
    await kd.flush();
    assert.equal(nft.scripts().length, before, 'an ended ban is never written');
    assert.equal(kd.stats().bans, 1);
    await kd.stop();
    assert.deepEqual(nft.calls.at(-1)!.args, ['delete', 'table', 'inet', 'bw']);
  });

  it('gives the kernel allow entries and trusted proxies, and deny entries not inside an allow entry', async () => {
    const nft = recorder();
    const kd = createKernelDrop({ mode: 'auto', table: 'bw', logger: logger(), exec: nft.exec, flushEveryMs: 60_000 });
    const lists = compileIpLists({
      allow: [{ source: 'config', entries: ['198.51.100.0/24'] }],
      deny: [{ source: 'config', entries: ['198.51.100.66', '203.0.113.0/24', '2001:db8::/32'] }],
    });
    kd.setLists(lists, ['192.0.2.10']);
    assert.equal(await kd.start(), true);
    await kd.flush();
    const batch = nft.scripts().at(-1)!;
    assert.match(batch, /add element inet bw allow4 \{ 198\.51\.100\.0\/24, 192\.0\.2\.10\/32 \}/);
    assert.match(batch, /add element inet bw deny4 \{ 203\.0\.113\.0\/24 \}/);
    assert.match(batch, /add element inet bw deny6 \{ 2001:db8::\/32 \}/);
    assert.doesNotMatch(batch, /198\.51\.100\.66/, 'a deny exception inside an allow range stays with the accept gate');
    assert.deepEqual([kd.stats().deny, kd.stats().allow, kd.stats().deny_left_to_gate], [2, 2, 1]);
    await kd.stop();
  });

  it('leaves a table owned by another live process alone, and replaces one left by a dead process', async () => {
    const live = recorder((args) => (args[0] === '-j' ? ok(JSON.stringify({ nftables: [{ table: { comment: `bulwark pid ${process.ppid}` } }] })) : ok()));
    const log = logger();
    const kd = createKernelDrop({ mode: 'auto', table: 'bw', logger: log, exec: live.exec });
    assert.equal(await kd.start(), false);
    assert.match(kd.stats().inactive_reason!, /belongs to the running process/);
    assert.equal(live.scripts().length, 0, 'nothing written');
    const dead = recorder((args) => (args[0] === '-j' ? ok(JSON.stringify({ nftables: [{ table: { comment: 'bulwark pid 999999999' } }] })) : ok()));
    const kd2 = createKernelDrop({ mode: 'auto', table: 'bw', logger: logger(), exec: dead.exec });
    assert.equal(await kd2.start(), true);
    assert.ok(dead.calls.some((c) => c.args.join(' ') === 'delete table inet bw'));
    await kd2.stop();
  });

  it('without CAP_NET_ADMIN: says so once and carries on (auto), or refuses to start (on)', async () => {
    const denied = recorder(() => fail('Error: Could not process rule: Operation not permitted'));
    const log = logger();
    const kd = createKernelDrop({ mode: 'auto', table: 'bw', logger: log, exec: denied.exec });
    assert.equal(await kd.start(), false);
    assert.equal(kd.stats().inactive_reason, 'Bulwark lacks CAP_NET_ADMIN');
    assert.equal(log.lines.filter((l) => /unavailable/.test(l)).length, 1);
    const strict = createKernelDrop({ mode: 'on', table: 'bw', logger: logger(), exec: denied.exec });
    await assert.rejects(strict.start(), (err: { code?: string }) => err.code === 'BULWARK_ERR_KERNEL_DROP_UNAVAILABLE');
    const missing = createKernelDrop({ mode: 'auto', table: 'bw', logger: logger(), exec: async () => ({ ok: false, code: null, stdout: '', stderr: '', spawnError: 'spawn nft ENOENT' }) });
    assert.equal(await missing.start(), false);
    assert.match(missing.stats().inactive_reason!, /apt-get install nftables/);
  });

  it('answers a failed batch with a full rebuild from what the kernel should hold', async () => {
    let refuse = false;
    const nft = recorder((args, script) => (args[0] === '-j' ? fail('No such file or directory') : refuse && script?.includes('192.0.2.2') ? fail('Error: Could not process rule: File exists') : ok()));
    const store = storeWith();
    const now = 5_000_000;
    const kd = createKernelDrop({ mode: 'auto', table: 'bw', logger: logger(), exec: nft.exec, now: () => now, flushEveryMs: 60_000 });
    kd.followBans(store);
    await kd.start();
    store.mirror.set('192.0.2.1', now + 30_000);
    await kd.flush();
    refuse = true;
    store.mirror.set('192.0.2.2', now + 30_000);
    await kd.flush();
    assert.equal(kd.stats().errors, 1);
    refuse = false;
    await kd.flush();
    const rebuilt = nft.scripts().at(-1)!;
    assert.match(rebuilt, /192\.0\.2\.1 timeout/);
    assert.match(rebuilt, /192\.0\.2\.2 timeout/);
    assert.equal(kd.stats().rebuilds, 1);
    await kd.stop();
  });
});
