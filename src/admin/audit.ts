/**
 * Writes the audit log: every state change of the admin plane (and of the CLI, and config reloads) is
 * one row in the state database (who, what, when, from where, how it ended) and one log line with code
 * `BULWARK_AUDIT`. Recording never throws into the operation it records: a failing write is logged (once
 * per error code) and counted.
 */
import type { AuditInput, AuditStore } from '../stores/index.ts';

/** Where audit problems and lines are logged (pino's Logger fits). */
export interface AuditLogger {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** An audit entry before its time is stamped. */
export type AuditRecord = Omit<AuditInput, 'atMs'> & { readonly atMs?: number };

/** The auditor. */
export interface Auditor {
  record(entry: AuditRecord): Promise<void>;
  /** Writes that failed. */
  readonly failures: number;
}

/** Creates an auditor on a store. */
export function createAuditor(store: AuditStore, logger: AuditLogger, now: () => number = Date.now): Auditor {
  let failures = 0;
  const reported = new Set<string>();
  return {
    async record(entry) {
      const e: AuditInput = { ...entry, atMs: entry.atMs ?? now() };
      logger.info({ code: 'BULWARK_AUDIT', actor: e.actor, role: e.role, action: e.action, target: e.target, source: e.source, outcome: e.outcome }, `audit: ${e.actor} ${e.action} ${e.target ?? ''} (${e.outcome})`);
      try {
        await store.append(e);
      } catch (err) {
        failures++;
        const code = (err as { code?: string }).code ?? 'unknown';
        if (!reported.has(code)) {
          reported.add(code);
          logger.error({ err, code: 'BULWARK_ERR_AUDIT_WRITE' }, 'an audit entry could not be stored (reported once per error code)');
        }
      }
    },
    get failures() {
      return failures;
    },
  };
}

/** Removes secrets from a request body before it is recorded (a token's secret never reaches the log). */
export function redactBody(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) out[k] = /token|secret|password|csrf/i.test(k) ? '[redacted]' : v;
  return out;
}
