/**
 * Records the incidents the report tests and golden files are made from: the real detection service
 * (fake clock, a SQLite state in a temporary directory) fed with synthetic traffic, then every incident
 * read back with its timeline and written as JSON. Sources come from ranges reserved for documentation
 * and benchmarking (RFC 5737 192.0.2.0/24, RFC 2544 198.18.0.0/15, RFC 3849 2001:db8::/32) and AS
 * numbers reserved for documentation (RFC 5398), so no real network is named.
 *
 * Three attacks on the site `news`, a day apart: botnet A; botnet A again (same networks, same tooling);
 * botnet B from other networks copying A's requests.
 *
 * Regenerate: node --import tsx src/incidents/report/testdata/record-fixture.ts > src/incidents/report/testdata/recorded-incidents.json
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ThreatLevel } from '../../../core/vocabulary.ts';
import type { DetectionRecord } from '../../../detection/detection-record.ts';
import { createDetectionService } from '../../../detection/detection-service.ts';
import { detectionSchema } from '../../../detection/detection-schema.ts';
import { openStateStores } from '../../../stores/index.ts';
import type { NetworkInfo } from '../../fingerprint/fingerprint-types.ts';

/** 14 Nov 2023 22:13:20 UTC. */
export const FIXTURE_T0 = 1_700_000_000_000;
const SITE = 'news';

type Rec = Omit<DetectionRecord, 'timeMs'>;

/** A botnet: its /24s (third octet range in 198.18/15 or 198.19), IPv6 /64s, AS numbers and countries. */
interface Botnet {
  readonly v4: ReadonlyArray<{ readonly net: string; readonly asn: number; readonly country: string }>;
  readonly v6: ReadonlyArray<{ readonly net: string; readonly asn: number; readonly country: string }>;
}

const A: Botnet = {
  v4: [
    ...Array.from({ length: 6 }, (_, i) => ({ net: `198.18.${i}`, asn: 64496, country: 'NL' })),
    ...Array.from({ length: 4 }, (_, i) => ({ net: `198.18.${16 + i}`, asn: 64497, country: 'DE' })),
  ],
  v6: Array.from({ length: 2 }, (_, i) => ({ net: `2001:db8:a:${i + 1}`, asn: 64498, country: 'US' })),
};
const B: Botnet = {
  v4: [
    ...Array.from({ length: 5 }, (_, i) => ({ net: `198.19.${40 + i}`, asn: 64500, country: 'FR' })),
    ...Array.from({ length: 5 }, (_, i) => ({ net: `198.19.${80 + i}`, asn: 64501, country: 'PL' })),
  ],
  v6: Array.from({ length: 2 }, (_, i) => ({ net: `2001:db8:b:${i + 1}`, asn: 64502, country: 'US' })),
};

const AS_NAMES: Readonly<Record<number, string>> = {
  64496: 'EXAMPLE-HOSTING-A (documentation AS)',
  64497: 'EXAMPLE-CLOUD-B (documentation AS)',
  64498: 'EXAMPLE-MOBILE-C (documentation AS)',
  64500: 'EXAMPLE-DSL-D (documentation AS)',
  64501: 'EXAMPLE-TRANSIT-E (documentation AS)',
  64502: 'EXAMPLE-VPS-F (documentation AS)',
  64510: 'EXAMPLE-ISP-VISITORS (documentation AS)',
};

/** The fixture's offline "geo data": ASN, name and country of the fixture's networks. */
export function fixtureLookup(text: string): NetworkInfo | null {
  for (const b of [A, B]) {
    for (const n of [...b.v4, ...b.v6]) {
      if (text.startsWith(n.net + (n.net.includes(':') ? ':' : '.'))) return { asn: n.asn, as_name: AS_NAMES[n.asn]!, country: n.country };
    }
  }
  if (text.startsWith('192.0.2.')) return { asn: 64510, as_name: AS_NAMES[64510]!, country: 'NL' };
  return null;
}

const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64; rv:119.0) Gecko/20100101 Firefox/119.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15',
];

function visitors(n: number, s: number, level: ThreatLevel): Rec[] {
  const out: Rec[] = [];
  for (let i = 0; i < n; i++) {
    const k = (s * 7919 + i * 104729) % 200;
    const cleared = k % 10 < 4;
    const challenged = level === 'under_attack' && !cleared;
    out.push({
      site: SITE, status: 200, outcome: challenged ? 'challenged' : 'forwarded', path: ['/', '/', '/news/1', '/news/2', '/about'][k % 5]!,
      clientAddress: `192.0.2.${k}`, prefix: '192.0.2.0/24', userAgent: USER_AGENTS[k % 3], bytesIn: 400, bytesOut: 9000,
      originLatencyMs: challenged ? -1 : 38 + (k % 15) + (level === 'normal' ? 0 : 9), decisionBy: challenged ? 'level/under_attack' : 'default/allow',
      cacheStatus: null, cleared, asn: 64510, country: 'NL', fingerprint: 'fp-browser', uaClass: 'browser', challenge: challenged ? 'issued' : null, method: 'GET',
    });
  }
  return out;
}

/** Requests of the flood in its second `i` of `length`: ramp up over 4 s, hold, ease off over the last 4 s. */
function floodRate(i: number, length: number, peak: number): number {
  if (i < 4) return Math.round((peak * (i + 1)) / 4);
  if (i >= length - 4) return Math.round((peak * (length - i)) / 5);
  return peak - (i % 3) * 40;
}

function flood(b: Botnet, n: number, s: number, level: ThreatLevel): Rec[] {
  const out: Rec[] = [];
  const nets = [...b.v4, ...b.v6];
  for (let i = 0; i < n; i++) {
    const j = Math.imul((s * 7919 + i) | 0, 2654435761) >>> 0;
    const net = nets[(j >>> 3) % nets.length]!;
    const host = ((j >>> 11) % 200) + 1;
    const v6 = net.net.includes(':');
    const address = v6 ? `${net.net}::${host.toString(16)}` : `${net.net}.${host}`;
    const post = i % 10 === 0;
    const mitigated = level === 'under_attack';
    out.push({
      site: SITE, status: mitigated ? 403 : 200, outcome: mitigated ? (i % 4 === 0 ? 'blocked' : 'challenged') : 'forwarded',
      path: post ? '/login' : `/search?q=${(j >>> 7) % 100_000}`, clientAddress: address, prefix: v6 ? `${net.net}::/64` : `${net.net}.0/24`,
      userAgent: USER_AGENTS[(j >>> 5) % 3], bytesIn: 600, bytesOut: mitigated ? 1200 : 15000, originLatencyMs: mitigated ? -1 : 350,
      decisionBy: mitigated ? (i % 4 === 0 ? 'sig/fingerprint=fp-kit-7' : 'level/under_attack') : 'default/allow', cacheStatus: null, cleared: false,
      asn: net.asn, country: net.country, fingerprint: 'fp-kit-7', uaClass: 'browser', challenge: mitigated && i % 4 !== 0 ? 'issued' : null, method: post ? 'POST' : 'GET',
    });
  }
  return out;
}

/** Runs the three attacks and returns every incident with its timeline, oldest first. */
export async function recordFixture(): Promise<unknown[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-report-fixture-'));
  const config = detectionSchema.parse({
    baseline: { warmup: '60s' },
    detector: { calm: '10s', min_dwell: { elevated: '10s', under_attack: '20s' } },
    incidents: { calm: '20s', update_every: '5s' },
  });
  let second = 0;
  const clock = () => FIXTURE_T0 + second * 1000 + 5;
  const stores = openStateStores({ stateDir: dir, onCorrupt: 'refuse', logger: { warn() {}, error() {} }, incidents: { clock, checkpointEveryMs: 0 } });
  const service = createDetectionService({
    stores, sites: () => [SITE], config, now: clock, timers: false, hashSeed: 7, setLevel: () => {}, lookupNetwork: fixtureLookup,
    logger: { info() {}, warn() {}, error(obj, msg) { console.error(msg, obj); } },
  });
  await service.start();
  const run = async (n: number, traffic: (s: number) => Rec[]) => {
    for (let i = 0; i < n; i++, second++) {
      await service.tick();
      const records = traffic(second);
      records.forEach((r, k) => service.observe({ ...r, timeMs: FIXTURE_T0 + second * 1000 + 10 + Math.floor((k * 980) / records.length) }));
    }
  };
  const level = () => service.levelOf(SITE);
  const episode = async (b: Botnet, peak: number, length: number) => {
    const from = second;
    await run(length, (s) => [...visitors(40, s, level()), ...flood(b, floodRate(s - from, length, peak), s, level())]);
    for (let i = 0; i < 200 && (await stores.incidents.openIncidents()).length > 0; i++) await run(1, (s) => visitors(40, s, level()));
  };
  await run(90, (s) => visitors(40, s, 'normal'));
  await episode(A, 2400, 40);
  second += 86_400 - 200;
  await run(60, (s) => visitors(40, s, 'normal'));
  await episode(A, 2600, 36);
  second += 86_400 - 200;
  await run(60, (s) => visitors(40, s, 'normal'));
  await episode(B, 2300, 38);
  await service.stop();
  const list = (await stores.incidents.list({ limit: 10 })).reverse();
  const out = [];
  for (const r of list) out.push(await stores.incidents.get(r.id, { timeline: true }));
  stores.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const incidents = await recordFixture();
  process.stdout.write(JSON.stringify({ recorded_by: 'src/incidents/report/testdata/record-fixture.ts', incidents }, null, 1) + '\n');
}
