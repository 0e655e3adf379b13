/**
 * OPTIONAL STEP of the recurrence scenario: reads Bulwark's `GET /incidents` on the admin listener if it
 * exists, and reports what it finds — how many incidents, the latest few, and any field that links one
 * incident to another (`linked*`, `related*`, `similar*`, `recur*`, `previous*`). Until the admin exposes
 * incidents it says "not available"; it never fails the drill.
 */
import { adminHeaders } from '../admin-credentials.ts';

/** What the probe found. */
export interface IncidentsProbe {
  readonly step: 'optional: GET /incidents';
  readonly available: boolean;
  readonly note: string;
  readonly count?: number;
  /** The latest incidents (at most 5), each cut to its first 12 fields. */
  readonly recent?: readonly Record<string, unknown>[];
  /** Link-like fields found on any incident, as `{incident, field, value}`. */
  readonly links?: ReadonlyArray<{ incident: unknown; field: string; value: unknown }>;
  /** For each linked incident: the verdict and the evidence Bulwark gives (`GET /incident?id=`). */
  readonly evidence?: ReadonlyArray<{ incident: unknown; verdict: unknown; reason: unknown }>;
}

const LINK_FIELD = /^(link|related|similar|recur|previous|parent|same_as|matches)/i;

/**
 * Reads `<adminUrl>/incidents` (3 s deadline). With `waitForClosedMs`, first waits (bounded) until no
 * incident is open any more: Bulwark links an incident to earlier ones when it closes.
 */
export async function probeIncidents(adminUrl: string | undefined, options: { readonly waitForClosedMs?: number } = {}): Promise<IncidentsProbe> {
  const step = 'optional: GET /incidents' as const;
  if (adminUrl === undefined) return { step, available: false, note: 'not available (no admin URL)' };
  const until = Date.now() + (options.waitForClosedMs ?? 0);
  while (Date.now() < until) {
    try {
      const r = await fetch(`${adminUrl}/incidents`, { headers: adminHeaders(adminUrl), signal: AbortSignal.timeout(3000) });
      const j = (await r.json()) as { incidents?: Array<{ status?: string }> };
      if (!(j.incidents ?? []).some((i) => i.status === 'open')) break;
    } catch {
      break;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  let res: Response;
  try {
    res = await fetch(`${adminUrl}/incidents`, { headers: adminHeaders(adminUrl), signal: AbortSignal.timeout(3000) });
  } catch (err) {
    return { step, available: false, note: `not available (${(err as Error).message})` };
  }
  const text = await res.text();
  if (res.status !== 200) return { step, available: false, note: `not available (HTTP ${res.status})` };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { step, available: false, note: 'not available (answer is not JSON)' };
  }
  const list = Array.isArray(body) ? body : Array.isArray((body as { incidents?: unknown })?.incidents) ? (body as { incidents: unknown[] }).incidents : undefined;
  if (list === undefined) return { step, available: true, note: 'available, but no incident list found in the answer', recent: [cut(body)] };
  const entries = list.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null);
  const links = entries.flatMap((e) => Object.entries(e).filter(([k, v]) => LINK_FIELD.test(k) && v !== null && v !== undefined).map(([field, value]) => ({ incident: e.id ?? null, field, value })));
  const evidence: Array<{ incident: unknown; verdict: unknown; reason: unknown }> = [];
  for (const e of entries.filter((x) => x.linked_to !== null && x.linked_to !== undefined).slice(0, 5)) {
    try {
      const r = await fetch(`${adminUrl}/incident?id=${encodeURIComponent(String(e.id))}`, { headers: adminHeaders(adminUrl), signal: AbortSignal.timeout(3000) });
      const j = (await r.json()) as { link_verdict?: unknown; link_evidence?: { reason?: unknown } };
      evidence.push({ incident: e.id, verdict: j.link_verdict ?? e.link_verdict, reason: j.link_evidence?.reason ?? null });
    } catch {
      /* evidence is optional */
    }
  }
  return {
    step,
    available: true,
    evidence,
    note: links.length > 0 ? `${entries.length} incidents, ${links.length} link fields` : `${entries.length} incidents, no link between them reported`,
    count: entries.length,
    recent: entries.slice(-5).map(cut),
    links: links.slice(0, 20),
  };
}

function cut(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return { value };
  return Object.fromEntries(Object.entries(value).slice(0, 12));
}
