/**
 * Warnings a config generation gives when it is built: what its allow and deny lists skipped or flagged
 * (start and every reload), so an operator sees a typo in a list file without reading stats; and, on a
 * reload, the changes that only a restart applies.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import type { Runtime } from '../runtime/runtime.ts';

/** Logs what compiling the allow and deny lists skipped or flagged (the first 50), and their size. */
export function logListWarnings(runtime: Runtime, logger: Logger): void {
  const stats = runtime.lists.stats();
  for (const w of runtime.lists.warnings.slice(0, 50)) logger.warn({ code: 'BULWARK_WARN_LIST_ENTRY', ...w }, `list entry skipped or flagged: ${w.reason}`);
  if (runtime.lists.warnings.length > 50) logger.warn({ code: 'BULWARK_WARN_LIST_ENTRY', more: runtime.lists.warnings.length - 50 }, 'more list warnings not shown');
  if (stats.allowPrefixes + stats.denyPrefixes > 0) logger.info({ allow: stats.allowPrefixes, deny: stats.denyPrefixes }, 'ip lists compiled');
}

/** Warns about changes a reload keeps the old value of: listen and admin addresses, the header size limit. */
export function warnRestartOnly(old: Config, config: Config, logger: Logger): void {
  const listenChanged =
    JSON.stringify(config.listen) !== JSON.stringify(old.listen) || JSON.stringify(config.admin) !== JSON.stringify(old.admin);
  if (listenChanged) logger.warn({ code: 'BULWARK_WARN_RELOAD_LISTEN' }, 'listen and admin addresses change only on restart; keeping the current ones');
  if (config.connections.max_header_bytes !== old.connections.max_header_bytes) {
    logger.warn({ code: 'BULWARK_WARN_RELOAD_HEADER_SIZE' }, 'connections.max_header_bytes changes only on restart');
  }
}
