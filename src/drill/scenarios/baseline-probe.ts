/**
 * Reads what Bulwark calls normal for the drilled site, from its admin `GET /detection` (authenticated
 * like the other admin reads): the learned uncleared request rate, the normal the detector compares with
 * now and which baseline gave it, the learning delay and the growth cap. The drill reports it before and
 * after the attack, so a reader sees whether the attack taught the detector anything. Never throws:
 * `undefined` when the admin does not answer (a reference protector, a remote target without --admin).
 */
import { adminHeaders } from '../admin-credentials.ts';

/** A site's baseline as the drill reports it. */
export interface BaselineFigures {
  /** When it was read (ms since the epoch). */
  readonly atMs: number;
  readonly level: string;
  /** Why the detector holds that level (its first reasons), when not normal. */
  readonly reasons: readonly string[];
  readonly samples: number;
  readonly warm: boolean;
  /** Long-run normal of uncleared requests per second (slow mean, held under the growth ceiling). */
  readonly unclearedRps: number;
  /** Recent normal (fast mean, held under the growth ceiling). */
  readonly recentUnclearedRps: number | null;
  /** The normal the detector compares uncleared traffic with, and which baseline gave it. */
  readonly normalUnclearedRps: number | null;
  readonly basis: string | null;
  readonly learnDelayS: number | null;
  readonly growthPerHour: number | null;
  /** Samples the growth cap clipped so far. */
  readonly cappedSamples: number | null;
}

interface SiteJson {
  readonly level?: string;
  readonly reasons?: readonly string[];
  readonly baseline?: {
    readonly samples?: number; readonly warm?: boolean; readonly uncleared_rps?: number; readonly recent_uncleared_rps?: number;
    readonly normal?: { readonly uncleared_rps?: number; readonly basis?: string };
    readonly learning?: { readonly delay_s?: number };
    readonly growth_cap?: { readonly per_hour?: number; readonly capped_samples?: number };
  };
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The site's baseline (the first site when `site` is undefined), or undefined when not available. */
export async function readBaseline(adminUrl: string | undefined, site?: string): Promise<BaselineFigures | undefined> {
  if (adminUrl === undefined) return undefined;
  try {
    const res = await fetch(`${adminUrl}/detection`, { headers: adminHeaders(adminUrl), signal: AbortSignal.timeout(3000) });
    if (res.status !== 200) return void (await res.arrayBuffer());
    const body = (await res.json()) as { sites?: Record<string, SiteJson> };
    const sites = body.sites ?? {};
    const s = site !== undefined ? sites[site] : Object.values(sites)[0];
    const b = s?.baseline;
    if (b === undefined || typeof b.uncleared_rps !== 'number') return undefined;
    return {
      atMs: Date.now(), level: s?.level ?? 'unknown', reasons: s?.level === 'normal' ? [] : (s?.reasons ?? []).slice(0, 2).map((r) => r.slice(0, 300)), samples: num(b.samples) ?? 0, warm: b.warm === true, unclearedRps: b.uncleared_rps,
      recentUnclearedRps: num(b.recent_uncleared_rps), normalUnclearedRps: num(b.normal?.uncleared_rps), basis: b.normal?.basis ?? null,
      learnDelayS: num(b.learning?.delay_s), growthPerHour: num(b.growth_cap?.per_hour), cappedSamples: num(b.growth_cap?.capped_samples),
    };
  } catch {
    return undefined;
  }
}

/** The normal an attacker probing the site would aim under: the larger of the recent and long-run normals. */
export function normalOf(b: BaselineFigures | undefined): number | undefined {
  if (b === undefined) return undefined;
  return Math.max(b.unclearedRps, b.recentUnclearedRps ?? 0, b.normalUnclearedRps ?? 0);
}
