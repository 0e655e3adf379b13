/**
 * `GET /audit[?limit=N&before=ID&action=PREFIX&since=ISO]` (viewer): the audit log, newest first —
 * who (token name, `cli:<user>`), what, when, from where, how it ended. `before` pages backwards.
 */
import { BulwarkError } from '../core/errors.ts';
import type { AuditEntry, AuditStore } from '../stores/index.ts';
import type { RouteTable } from './route-types.ts';

function bad(message: string): never {
  throw new BulwarkError('BULWARK_ERR_ADMIN_INVALID', message, { source: 'operator', publicReason: message });
}

/** An audit entry as the API and `bulwark audit --json` show it. */
export function auditView(e: AuditEntry) {
  return { id: e.id, time: new Date(e.atMs).toISOString(), actor: e.actor, role: e.role, action: e.action, target: e.target, source: e.source, outcome: e.outcome, detail: e.detail ?? null };
}

/** The routes. */
export function auditRoutes(audit: AuditStore): RouteTable {
  return {
    'GET /audit': {
      access: 'viewer',
      handler: async ({ url }) => {
        const q = url.searchParams;
        const limit = Number(q.get('limit') ?? 100);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) bad('limit must be an integer 1..1000');
        const before = q.get('before') === null ? undefined : Number(q.get('before'));
        if (before !== undefined && !Number.isSafeInteger(before)) bad('before must be an entry id');
        const since = q.get('since') === null ? undefined : Date.parse(q.get('since')!);
        if (since !== undefined && Number.isNaN(since)) bad('since must be an ISO time');
        const action = q.get('action') ?? undefined;
        const entries = await audit.list({ limit, ...(before !== undefined ? { beforeId: before } : {}), ...(since !== undefined ? { sinceMs: since } : {}), ...(action ? { action } : {}) });
        return { status: 200, body: { entries: entries.map(auditView), next_before: entries.length === limit ? entries[entries.length - 1]!.id : null } };
      },
    },
  };
}
