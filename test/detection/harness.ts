/**
 * A detection service on a real SQLite state directory with a fake clock, and synthetic traffic:
 * visitors from 10.x addresses (some cleared), floods from thousands of 127.x.y.z addresses. Each
 * simulated second: the clock moves just past the boundary, the service ticks (seeing the previous
 * second complete), then that second's records are observed. The "enforcement" is emulated: at
 * `under_attack` uncleared requests are recorded as challenged, as the decide phase would do.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ThreatLevel } from '../../src/core/vocabulary.ts';
import { createDetectionService, type DetectionService } from '../../src/detection/detection-service.ts';
import type { DetectionRecord } from '../../src/detection/detection-record.ts';
import { detectionSchema } from '../../src/config/detection-schema.ts';
import { openStateStores, type StateStores } from '../../src/stores/index.ts';

export const T0 = 1_700_000_000_000;

/** Detection settings that make a test cycle short: 50 s warm-up (with the default 30 s learning delay: warm after 80 s), quick step-down, 20 s incident calm. */
export const FAST = {
  baseline: { warmup: '50s' },
  detector: { calm: '10s', min_dwell: { elevated: '10s', under_attack: '20s' } },
  incidents: { calm: '20s', update_every: '5s' },
};

export interface Harness {
  readonly dir: string;
  stores: StateStores;
  service: DetectionService;
  readonly levels: Map<string, ThreatLevel[]>;
  /** Seconds since T0 of the next simulated second. */
  second: number;
  clock(): number;
  /** Simulates `n` seconds; `traffic(s)` gives each second's records (timeMs is filled in). */
  run(n: number, traffic: (s: number) => Array<Omit<DetectionRecord, 'timeMs'>>): Promise<void>;
  /** Stops the service and closes the database (a restart is `restart()`). */
  restart(gapSeconds?: number): Promise<void>;
  /**
   * A crash (SIGKILL): the service is abandoned without `stop()` — nothing more is saved, nothing
   * flushed — the database connection is dropped, and a new service starts on the same directory.
   */
  crash(gapSeconds?: number): Promise<void>;
  dispose(): Promise<void>;
}

export interface HarnessOptions {
  readonly sites?: string[];
  readonly detection?: Record<string, unknown>;
  readonly dir?: string;
}

export async function createHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-detect-'));
  const config = detectionSchema.parse({ ...FAST, ...options.detection });
  const sites = options.sites ?? ['news'];
  const levels = new Map<string, ThreatLevel[]>();
  let nowMs = T0;
  const build = () => {
    const stores = openStateStores({ stateDir: dir, onCorrupt: 'refuse', logger: { warn() {}, error() {} } });
    const service = createDetectionService({
      stores, sites: () => sites, config, now: () => nowMs, timers: false, hashSeed: 7,
      logger: { info() {}, warn() {}, error(obj, msg) { console.error(msg, obj); } },
      setLevel: (site, level) => {
        const l = levels.get(site) ?? [];
        l.push(level);
        levels.set(site, l);
      },
    });
    return { stores, service };
  };
  const h: Harness = {
    dir,
    ...build(),
    levels,
    second: 0,
    clock: () => nowMs,
    async run(n, traffic) {
      for (let i = 0; i < n; i++, h.second++) {
        nowMs = T0 + h.second * 1000 + 5;
        await h.service.tick();
        const records = traffic(h.second);
        records.forEach((r, j) => h.service.observe({ ...r, timeMs: T0 + h.second * 1000 + 10 + Math.floor((j * 980) / records.length) }));
      }
    },
    async restart(gapSeconds = 3) {
      await h.service.stop();
      h.stores.close();
      h.second += gapSeconds;
      nowMs = T0 + h.second * 1000 + 5;
      Object.assign(h, build());
      await h.service.start();
    },
    async crash(gapSeconds = 2) {
      h.stores.close();
      h.second += gapSeconds;
      nowMs = T0 + h.second * 1000 + 5;
      Object.assign(h, build());
      await h.service.start();
    },
    async dispose() {
      await h.service.stop();
      h.stores.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  nowMs = T0 + 5;
  await h.service.start();
  return h;
}

const BASE: Omit<DetectionRecord, 'timeMs' | 'site' | 'clientAddress' | 'prefix' | 'path' | 'cleared' | 'outcome'> = {
  status: 200, userAgent: 'Mozilla/5.0 Firefox/130.0', bytesIn: 400, bytesOut: 9000, originLatencyMs: 40, decisionBy: 'default/allow',
  cacheStatus: null, asn: 64500, country: 'DE', fingerprint: 'fp-browser', uaClass: 'browser', challenge: null,
};

const PAGES = ['/', '/', '/news/1', '/news/2', '/about'];

/** `n` visitor requests from 300 addresses in 10.0.0.0/16, 30% cleared. */
export function visitors(site: string, n: number, s: number, level: ThreatLevel): Array<Omit<DetectionRecord, 'timeMs'>> {
  const out: Array<Omit<DetectionRecord, 'timeMs'>> = [];
  for (let i = 0; i < n; i++) {
    const k = (s * 7919 + i * 104729) % 300;
    const cleared = k % 10 < 3;
    const challenged = level === 'under_attack' && !cleared;
    out.push({
      ...BASE, site, clientAddress: `10.0.${k % 40}.${k % 250}`, prefix: `10.0.${k % 40}.0/24`, path: PAGES[k % PAGES.length]!, cleared,
      outcome: challenged ? 'challenged' : 'forwarded', decisionBy: challenged ? 'level/under_attack' : 'default/allow', originLatencyMs: challenged ? -1 : 40 + (k % 20),
    });
  }
  return out;
}

/** A flood shape: which addresses (second octet), how many, and what the requests look like. */
export interface FloodShape {
  readonly block: number;
  readonly addresses: number;
  readonly path: string;
  readonly fingerprint: string;
  readonly userAgent: string;
}

export const BOTNET_A: FloodShape = { block: 1, addresses: 2000, path: '/search', fingerprint: 'fp-bot-1', userAgent: 'Mozilla/5.0 (bot kit 1)' };

/** `n` flood requests spread over `shape.addresses` addresses 127.<block>.x.y (256 per /24), never cleared. */
export function flood(site: string, n: number, s: number, level: ThreatLevel, shape: FloodShape = BOTNET_A): Array<Omit<DetectionRecord, 'timeMs'>> {
  const out: Array<Omit<DetectionRecord, 'timeMs'>> = [];
  for (let i = 0; i < n; i++) {
    const a = (s * n + i) % shape.addresses;
    const challenged = level === 'under_attack';
    out.push({
      ...BASE, site, clientAddress: `127.${shape.block}.${a >> 8}.${a & 255}`, prefix: `127.${shape.block}.${a >> 8}.0/24`, path: `${shape.path}?q=${i}`,
      cleared: false, asn: null, country: null, fingerprint: shape.fingerprint, userAgent: shape.userAgent, uaClass: 'browser',
      outcome: challenged ? 'challenged' : 'forwarded', decisionBy: challenged ? 'level/under_attack' : 'default/allow', originLatencyMs: challenged ? -1 : 400,
    });
  }
  return out;
}
