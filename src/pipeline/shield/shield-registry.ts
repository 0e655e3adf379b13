/**
 * Keeps each site's shield across config generations and drives its housekeeping: a 50 ms sweep
 * (waiter and queue deadlines, expired cache records), key-page refreshes, and active health checks
 * (GET the configured path on every origin; HAProxy-style rise/fall in the balancer).
 *
 * A site whose shield config and origins are unchanged by a reload keeps its shield (cache contents,
 * current limit, breaker state); a changed one starts afresh.
 */
import type { SiteConfig } from '../../config/schema.ts';
import type { SiteRuntime } from '../../runtime/runtime.ts';
import { refreshKeyPages } from './refresh.ts';
import { createSiteShield, shieldFingerprint, type ShieldFailureReport, type SiteShield, type SiteShields } from '../../runtime/site-shield.ts';

export interface ShieldRegistry extends SiteShields {
  /** Drops shields of sites no longer configured (after a reload). */
  retain(sites: readonly SiteConfig[]): void;
  get(site: string): SiteShield | undefined;
  /** Starts the timers; `sites()` gives the current generation's sites (for upstreams). */
  start(sites: () => readonly SiteRuntime[]): void;
  stop(): void;
}

async function checkOrigin(site: SiteRuntime, index: number, path: string, timeoutMs: number): Promise<boolean> {
  const upstream = site.upstreams[index];
  if (upstream === undefined) return false;
  try {
    const res = await upstream.pool.request({
      path,
      method: 'GET',
      headers: { host: upstream.hostHeader, 'user-agent': 'Bulwark health check' },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body.dump();
    return res.statusCode >= 200 && res.statusCode < 400;
  } catch {
    return false;
  }
}

/** `report` receives a shield's unexpected failures (the composition root logs them). */
export function createShieldRegistry(report?: ShieldFailureReport): ShieldRegistry {
  const shields = new Map<string, SiteShield>();
  const due = new Map<string, { keyPages: number; health: number }>();
  let sweepTimer: NodeJS.Timeout | null = null;
  let tickTimer: NodeJS.Timeout | null = null;

  function tick(sites: readonly SiteRuntime[]): void {
    const now = Date.now();
    for (const site of sites) {
      const shield = shields.get(site.name);
      if (shield === undefined) continue;
      const d = due.get(site.name) ?? { keyPages: 0, health: 0 };
      due.set(site.name, d);
      if (shield.keyPages.size > 0 && shield.config.cache.enabled && now >= d.keyPages) {
        d.keyPages = now + shield.config.cache.key_page_refresh;
        refreshKeyPages(shield, site);
      }
      const hc = shield.config.health_check;
      if (hc !== undefined && now >= d.health) {
        d.health = now + hc.interval;
        site.config.origins.forEach((id, index) => {
          void checkOrigin(site, index, hc.path, hc.timeout).then((ok) => shield.balancer.reportCheck(id, ok, Date.now()));
        });
      }
    }
  }

  return {
    forSite(site) {
      const existing = shields.get(site.name);
      if (existing !== undefined && existing.fingerprint === shieldFingerprint(site)) return existing;
      const shield = createSiteShield(site, report);
      shields.set(site.name, shield);
      due.delete(site.name);
      return shield;
    },
    retain(sites) {
      const names = new Set(sites.map((s) => s.name));
      for (const name of shields.keys()) {
        if (!names.has(name)) {
          shields.delete(name);
          due.delete(name);
        }
      }
    },
    get: (site) => shields.get(site),
    start(sites) {
      sweepTimer = setInterval(() => {
        const now = Date.now();
        for (const s of shields.values()) s.sweep(now);
      }, 50);
      sweepTimer.unref();
      tickTimer = setInterval(() => tick(sites()), 250);
      tickTimer.unref();
      tick(sites());
    },
    stop() {
      if (sweepTimer) clearInterval(sweepTimer);
      if (tickTimer) clearInterval(tickTimer);
      sweepTimer = tickTimer = null;
    },
  };
}
