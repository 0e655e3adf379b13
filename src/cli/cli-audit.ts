/**
 * The CLI's side of the audit log: state changes made with `bulwark ban|unban|mode|tokens` are recorded
 * in the same table as the admin API's, with the operating-system user as the actor (`cli:<user>`) and,
 * over SSH, the client's address as the source.
 */
import { userInfo } from 'node:os';
import type { AuditOutcome, AuditStore } from '../stores/index.ts';

/** Who runs the CLI: `cli:<user>` (`cli:unknown` when the user has no name). */
export function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli:unknown';
  }
}

/** Where the CLI runs from: the SSH client's address, else `cli`. */
export function cliSource(): string {
  const c = process.env.SSH_CONNECTION ?? process.env.SSH_CLIENT;
  return c?.trim().split(/\s+/)[0] ?? 'cli';
}

/** Records one CLI action (errors propagate: the CLI reports them and exits non-zero). */
export async function auditCli(audit: AuditStore, action: string, target: string | null, outcome: AuditOutcome, detail?: unknown): Promise<void> {
  await audit.append({ atMs: Date.now(), actor: cliActor(), role: 'admin', action, target, source: cliSource(), outcome, ...(detail !== undefined ? { detail } : {}) });
}
