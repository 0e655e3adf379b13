/**
 * Housekeeping of durable state while Bulwark runs: bans written by the CLI or another node are picked
 * up every second, expired bans, sessions and old audit rows are purged, and a challenge key rotated by
 * `bulwark keys rotate` (another process) is noticed within 10 seconds. Every timer is unref'd, so it
 * never keeps the process alive, and a failing round is logged, never thrown.
 */
import { statSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import type { Services } from '../runtime/services.ts';
import { challengeKeyFile } from '../stores/challenge-key-store.ts';
import type { BanStore } from '../stores/types.ts';

export interface HousekeepingDeps {
  readonly logger: Logger;
  readonly services: Services;
  /** The ban store in use (SQLite's, or the shared one once attached). */
  bans(): BanStore;
  /** The running config. */
  config(): Config;
  /** Called when the key file changed on disk. */
  reloadKeys(): void;
  /** Where the timers go, so stop (and a failed start) can clear them. */
  readonly timers: NodeJS.Timeout[];
}

/** Starts the housekeeping timers. */
export function startStateTimers(deps: HousekeepingDeps): void {
  const { logger, services, bans, timers } = deps;
  const every = (ms: number, fn: () => Promise<unknown>) => {
    const t = setInterval(() => void fn().catch((err: unknown) => logger.error({ err, code: 'BULWARK_ERR_STATE_TIMER' }, 'state housekeeping failed')), ms);
    t.unref();
    timers.push(t);
  };
  every(1000, () => bans().sync());
  // A key rotated by `bulwark keys rotate` (another process) is picked up here: new gates, same config.
  let keyStamp = keyFileStamp(deps.config().state_dir);
  every(10_000, async () => {
    const stamp = keyFileStamp(deps.config().state_dir);
    if (stamp === keyStamp) return;
    keyStamp = stamp;
    deps.reloadKeys();
  });
  every(60_000, () => bans().purgeExpired(Date.now()));
  // Browser sessions past their end or idle expiry (each request checks too; this keeps the table small).
  every(60_000, () => services.stores.sessions.purge(Date.now(), deps.config().admin.session.idle));
  // Audit retention: rows older than admin.audit_retention go (and the row cap is kept), daily.
  every(86_400_000, () => services.stores.audit.purge(Date.now() - deps.config().admin.audit_retention));
}

/** The key file's modification time (0 when absent): a change means another process rotated the key. */
function keyFileStamp(stateDir: string): number {
  try {
    return statSync(challengeKeyFile(stateDir)).mtimeMs;
  } catch {
    return 0;
  }
}
