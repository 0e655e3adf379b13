/**
 * Running `nft` (Debian's nftables package): a script on stdin (`nft -f -`), which the kernel applies as
 * one transaction — all of it or none — and a table read back as JSON (`nft -j list table`). Never on
 * the request path: the kernel-drop mirror batches its changes and calls this from a timer.
 */
import { spawn } from 'node:child_process';

/** What a run produced. `code` is the exit code (null when nft could not be started). */
export interface NftResult {
  readonly ok: boolean;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Set when the binary could not be started (ENOENT: nftables not installed). */
  readonly spawnError?: string;
}

/** Runs nft, `nft -f -` with `script` on stdin when given, else with `args`. Never rejects. */
export type NftExec = (args: readonly string[], script?: string) => Promise<NftResult>;

/** The real runner, with the binary at `path` (default `nft` from PATH), killed after `timeoutMs` (default 10 s). */
export function createNftExec(path = 'nft', timeoutMs = 10_000): NftExec {
  return (args, script) =>
    new Promise((resolve) => {
      let stdout = '';
      let stderr = '';
      const child = spawn(path, script === undefined ? [...args] : ['-f', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      timer.unref();
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.once('error', (err) => {
        clearTimeout(timer);
        resolve({ ok: false, code: null, stdout, stderr, spawnError: err.message });
      });
      child.once('close', (code) => {
        clearTimeout(timer);
        resolve({ ok: code === 0, code, stdout, stderr });
      });
      child.stdin.on('error', () => {});
      child.stdin.end(script ?? '');
    });
}

/** True when nft failed for lack of privilege (no CAP_NET_ADMIN). */
export function isPermissionDenied(r: NftResult): boolean {
  return /Operation not permitted|Permission denied/i.test(r.stderr);
}

/** Packets dropped per rule counter of a `nft -j list table` answer, summed over the drop rules. */
export function droppedPackets(json: string): number {
  try {
    const doc = JSON.parse(json) as { nftables?: Array<{ rule?: { chain?: string; expr?: Array<{ counter?: { packets?: number } }> } }> };
    let n = 0;
    for (const item of doc.nftables ?? []) {
      if (item.rule?.chain !== 'drops') continue;
      for (const e of item.rule.expr ?? []) n += e.counter?.packets ?? 0;
    }
    return n;
  } catch {
    return 0;
  }
}

/** The table's owner comment (`bulwark pid N`) in a `nft -j list table` answer, or null. */
export function tableOwner(json: string): number | null {
  try {
    const doc = JSON.parse(json) as { nftables?: Array<{ table?: { comment?: string } }> };
    for (const item of doc.nftables ?? []) {
      const m = /^bulwark pid (\d+)/.exec(item.table?.comment ?? '');
      if (m !== null) return Number(m[1]);
    }
    return null;
  } catch {
    return null;
  }
}
