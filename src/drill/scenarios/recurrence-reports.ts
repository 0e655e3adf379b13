/**
 * The recurrence scenario's verdict step: reads the JSON report (`GET /incident/report?format=json`) of
 * each incident the runs produced, oldest first, and takes from each its comparison with the earlier
 * incident it is linked to — the verdict in words, its confidence, and the measures behind it — so the
 * drill can check that the repeat reads "same actor", the copy "copycat" and the other attack
 * "unrelated". Reports are made by the Bulwark under test, exactly as an operator would get them.
 */
import { adminHeaders } from '../admin-credentials.ts';

/** What one incident's report says about its recurrence. */
export interface RecurrenceReading {
  readonly incident: string;
  /** The earlier incident the verdict compares with (the stored link), or null for the first. */
  readonly comparedWith: string | null;
  readonly verdict: string | null;
  readonly confidence: string | null;
  readonly words: string;
  readonly network: number | null;
  readonly pattern: number | null;
  /** Measure id → estimate and interval, as the report's evidence table shows them. */
  readonly measures: Readonly<Record<string, { estimate: number | null; low: number | null; high: number | null; available: boolean }>>;
}

interface ReportJson {
  readonly incident: { readonly id: string; readonly opened_at: string };
  readonly recurrence: {
    readonly linked_to: string | null;
    readonly verdict_words: string;
    readonly related: ReadonlyArray<{
      readonly id: string;
      readonly when: string;
      readonly linked: boolean;
      readonly comparison: {
        readonly verdict: string; readonly confidence: string; readonly words: string;
        readonly network: { estimate: number } | null; readonly pattern: { estimate: number } | null;
        readonly measures: ReadonlyArray<{ id: string; estimate: number | null; low: number | null; high: number | null; available: boolean }>;
      };
    }>;
  };
}

async function getJson<T>(url: string, adminUrl: string): Promise<T> {
  const r = await fetch(url, { headers: adminHeaders(adminUrl), signal: AbortSignal.timeout(5000) });
  if (r.status !== 200) throw new Error(`HTTP ${r.status} from ${url}`);
  return (await r.json()) as T;
}

/** The reading of one report: the comparison with its linked (earlier) incident. */
export function readingOf(report: ReportJson): RecurrenceReading {
  const linked = report.recurrence.related.find((r) => r.linked && r.when === 'earlier');
  const c = linked?.comparison;
  return {
    incident: report.incident.id,
    comparedWith: linked?.id ?? null,
    verdict: c?.verdict ?? null,
    confidence: c?.confidence ?? null,
    words: c?.words ?? report.recurrence.verdict_words,
    network: c?.network?.estimate ?? null,
    pattern: c?.pattern?.estimate ?? null,
    measures: Object.fromEntries((c?.measures ?? []).filter((m) => m.id !== 'gap' && m.id !== 'time_of_day').map((m) => [m.id, { estimate: m.estimate, low: m.low, high: m.high, available: m.available }])),
  };
}

/**
 * Reads the reports of the `count` most recent incidents (oldest first). Null with a note when the admin
 * listener is unknown or does not answer.
 */
export async function readRecurrence(adminUrl: string | undefined, count: number): Promise<{ readings: RecurrenceReading[] | null; note: string }> {
  if (adminUrl === undefined) return { readings: null, note: 'not available (no admin URL)' };
  try {
    const list = await getJson<{ incidents: Array<{ id: string; status: string }> }>(`${adminUrl}/incidents?limit=${count}`, adminUrl);
    const ids = list.incidents.filter((i) => i.status === 'closed').map((i) => i.id).reverse();
    const readings: RecurrenceReading[] = [];
    for (const id of ids) readings.push(readingOf(await getJson<ReportJson>(`${adminUrl}/incident/report?id=${encodeURIComponent(id)}&format=json`, adminUrl)));
    return { readings, note: `${readings.length} incident reports read` };
  } catch (err) {
    return { readings: null, note: `not available (${(err as Error).message})` };
  }
}
