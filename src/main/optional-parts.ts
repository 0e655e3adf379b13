/**
 * The parts a config may switch on that start beside the listeners: geo data (ASN and country), loaded
 * in the background so the listeners never wait for it, and the kernel drop, which mirrors bans and
 * deny lists into nftables so a banned source is dropped before it reaches Node.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import { createKernelDrop, type KernelDrop } from '../edge/kernel/kernel-drop.ts';
import { loadGeoData } from '../runtime/geo-data.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { Services } from '../runtime/services.ts';
import type { BanStore } from '../stores/types.ts';

/**
 * Geo data loads in the background: the listeners do not wait for it (ASN/country are null until then).
 * Its image file is kept in `<state_dir>/geo` and read a block per new address (runtime/geo-data.ts); a
 * damaged image is logged and rebuilt.
 */
export function loadGeo(config: Config, services: Services, logger: Logger): void {
  const g = config.identify.geo;
  if (!g.enabled) return;
  loadGeoData({
    asnV4Path: g.asn_v4,
    asnV6Path: g.asn_v6,
    countryPath: g.country,
    cacheDir: join(config.state_dir, 'geo'),
    onDamage: (err) => logger.error({ err, code: err.code }, 'geo image damaged; answering without ASN and country for the damaged part until it is rebuilt'),
    onRebuilt: () => logger.info('geo image rebuilt'),
  })
    .then((geo) => {
      services.geo = geo;
      const s = geo.stats();
      logger.info({ load_ms: Math.round(s.loadMs), image_bytes: s.image?.bytes ?? 0, memory_bytes: s.image?.memoryBytes ?? 0 }, 'geo data loaded (ASN: RouteViews and DB-IP, CC BY 4.0)');
    })
    .catch((err: unknown) => logger.error({ err, code: (err as { code?: string }).code ?? 'BULWARK_ERR_GEO' }, 'geo data could not be loaded; ASN and country stay unknown'));
}

/** Mirrors bans and deny lists into nftables (config `kernel_drop`); stopped again when unavailable in `auto` mode. */
export async function startKernelDrop(config: Config, ports: readonly number[], runtime: Runtime, bans: BanStore, logger: Logger): Promise<KernelDrop | null> {
  const kd = createKernelDrop({ mode: config.kernel_drop.mode as 'auto' | 'on', table: config.kernel_drop.table, logger });
  kd.setPorts(ports);
  kd.setLists(runtime.lists, config.trusted_proxies);
  kd.followBans(bans);
  if (!(await kd.start())) await kd.stop();
  return kd;
}
