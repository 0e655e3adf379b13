/**
 * Config reloads, as the audit log and the dashboard's config page see them: each reload (SIGHUP) is
 * an audit row, applied or refused with the problems that refused it; the last of each is kept in
 * memory for `GET /config`.
 */
import type { Auditor } from './audit.ts';

/** One reload attempt. */
export interface ReloadAttempt {
  readonly atMs: number;
  readonly by: string;
  readonly generation?: number;
  readonly problems?: ReadonlyArray<{ path: string; message: string; line?: number | null }>;
  readonly error?: string;
}

/** The reload record. */
export interface ReloadLog {
  applied(by: string, generation: number, nowMs?: number): void;
  refused(by: string, problems: ReloadAttempt['problems'], error: string | undefined, nowMs?: number): void;
  view(): { last_applied: ReloadAttempt | null; last_refused: ReloadAttempt | null };
}

/** Creates the record on an auditor. */
export function createReloadLog(auditor: Auditor, now: () => number = Date.now): ReloadLog {
  let lastApplied: ReloadAttempt | null = null;
  let lastRefused: ReloadAttempt | null = null;
  const source = (by: string) => (by.startsWith('signal:') ? 'signal' : by.startsWith('cli') ? 'cli' : 'local');
  return {
    applied(by, generation, nowMs = now()) {
      lastApplied = { atMs: nowMs, by, generation };
      void auditor.record({ atMs: nowMs, actor: by, role: null, action: 'config.reload', target: null, source: source(by), outcome: 'ok', detail: { generation } });
    },
    refused(by, problems, error, nowMs = now()) {
      const p = (problems ?? []).slice(0, 20).map((x) => ({ path: x.path, message: x.message, ...(x.line != null ? { line: x.line } : {}) }));
      lastRefused = { atMs: nowMs, by, problems: p, ...(error !== undefined ? { error } : {}) };
      void auditor.record({ atMs: nowMs, actor: by, role: null, action: 'config.reload', target: null, source: source(by), outcome: 'refused', detail: { problems: p, ...(error !== undefined ? { error } : {}) } });
    },
    view: () => ({ last_applied: lastApplied, last_refused: lastRefused }),
  };
}
