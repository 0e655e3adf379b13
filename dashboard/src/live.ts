/**
 * The live feed: one EventSource on /events (with ?site= on a site page), a `tick` every second with
 * the overview and, for a site, its newest sample and detector view. Reconnects by itself (the server
 * says retry: 3000); an `end` event means the session is over.
 */
import { useEffect, useRef, useState } from 'preact/hooks';

export interface Tick {
  readonly overview: { readonly time: string; readonly sites: SiteOverview[] };
  readonly site: SiteFrame | null;
}

export interface SiteOverview {
  readonly site: string;
  readonly level: string;
  readonly auto_level: string | null;
  readonly override: { level: string; until_ms: number; by: string | null } | null;
  readonly warming_up: boolean | null;
  readonly rps: { total: number; served: number; challenged: number; refused: number; shed: number; failed: number } | null;
  readonly visitors_served: number | null;
  readonly visitors_per_minute: number;
  readonly origin: { in_flight: number | null; limit: number | null; queued: number | null; healthy: number; total: number; p99_ms: number | null };
  readonly incident: string | null;
  /** The newest complete second. */
  readonly now: { t: number; requests: number; served: number } | null;
}

export type Sample = Record<string, number | null>;

export interface SiteFrame {
  readonly sample: Sample | null;
  readonly detector: Detector | null;
  readonly top: Record<string, TopEntry[]>;
  readonly rules: Rule[];
  readonly challenge_rules: Record<string, { issued: number; solved: number; failed: number; status_only: number; solve_rate: number | null; solve_p50_ms: number | null; failures: Record<string, number> }>;
}

export interface Detector {
  readonly level: string;
  readonly auto_level: string;
  readonly since_ms: number;
  readonly override: { level: string; until_ms: number; by: string | null } | null;
  readonly warming_up: boolean;
  readonly signals: Array<{ kind: string; suggests: string; metric: string; value: number; expected: number; detail: string }>;
  readonly reasons: string[];
  readonly baseline: { samples: number; warm: boolean; rps: number };
  readonly incident: { id: string | null; opened_at_ms: number } | null;
}

export interface TopEntry {
  readonly key: string | number;
  readonly rps: number;
  readonly share: number;
  readonly name?: string | null;
  readonly asn?: number | null;
}

export interface Rule {
  readonly id: string;
  readonly action: string;
  readonly mode: string;
  readonly match: Record<string, string | number>;
  readonly collateral: number;
  readonly attack_share: number;
  readonly reason: string;
  readonly expires_ms: number;
  readonly decision: { decision: string; by: string; until: string } | null;
  readonly enforced: boolean;
}

/** Subscribes to the feed while mounted; `onTick` gets every tick. Returns whether the feed is connected. */
export function useLive(site: string | null, onTick: (t: Tick) => void, onEnd: () => void): boolean {
  const [connected, setConnected] = useState(false);
  const handlers = useRef({ onTick, onEnd });
  handlers.current = { onTick, onEnd };
  useEffect(() => {
    const es = new EventSource(site === null ? '/events' : `/events?site=${encodeURIComponent(site)}`);
    es.addEventListener('open', () => setConnected(true));
    es.addEventListener('error', () => setConnected(false));
    es.addEventListener('tick', (e) => handlers.current.onTick(JSON.parse((e as MessageEvent<string>).data) as Tick));
    es.addEventListener('end', () => {
      es.close();
      handlers.current.onEnd();
    });
    return () => es.close();
  }, [site]);
  return connected;
}
