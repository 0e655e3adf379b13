/**
 * Offline ASN and country data: loads the @ip-location-db files (or files an operator points at) and
 * answers `lookup(address)` without network access.
 *
 * - ASN: `@ip-location-db/asn` CSVs (CC BY 4.0 — credit RouteViews, DB-IP and the NRO).
 * - Country: `@ip-location-db/geo-whois-asn-country-mmdb` (CC0), records `{country_code}`. Any MaxMind
 *   DB whose records carry `country_code`, `country.iso_code` or `registered_country.iso_code` works
 *   (e.g. GeoLite2-Country).
 *
 * Both are built, in a short-lived child process, into one geo image file (core/identify/geo/geo-image.ts;
 * kept in `cacheDir` between starts, see geo-image-source.ts), and this process holds only the image's
 * block index (a few hundred KB) instead of the tables (~20 MB): an address's first lookup reads one
 * block of the file (~1–2 µs from the page cache), and the answer is kept in a bounded cache, so a
 * returning client costs one `Map.get`. The cache keeps at most {@link GEO_CACHE_GENERATION} × 2 answers
 * per family in two generations: when the young one fills, the old one is dropped and the young one
 * becomes old; an answer used again from the old generation moves to the young one. So a flood of new
 * addresses costs a read each, never memory beyond the cap, and returning clients stay cached.
 *
 * A block found damaged while serving gives no answer for that address (null ASN and country, never a
 * wrong one), is reported through `onDamage`, and the image is rebuilt in the background and swapped in.
 *
 * Non-public addresses (loopback, private, link-local, ...) are not looked up: `label` says what they
 * are and `asn`/`asnOrg`/`country` are null. `country` is never a made-up code like `PRIVATE`.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type { AsnTableStats } from '../core/identify/geo/asn-table.ts';
import { parseIpInto } from '../core/net/ip-parse.ts';
import type { ParsedIp } from '../core/net/ip.ts';
import { labelV4, labelV6 } from '../core/net/protected-ranges.ts';
import type { AddressLabel } from '../core/net/protected-ranges.ts';
import type { GeoImageReader, GeoRecord } from './geo-image-file.ts';
import { GeoDataError, openGeoSources } from './geo-image-source.ts';
import type { GeoSources, OpenedImage } from './geo-image-source.ts';

export { GeoDataError } from './geo-image-source.ts';

/** Answers cached per family and generation (two generations: at most twice this many per family). */
export const GEO_CACHE_GENERATION = 8192;

/** Where the data comes from. A path of `false` disables that part; omitted means the npm package file. */
export interface GeoDataOptions {
  /** IPv4 ASN CSV. Default `@ip-location-db/asn/asn-ipv4.csv`. */
  readonly asnV4Path?: string | false;
  /** IPv6 ASN CSV. Default `@ip-location-db/asn/asn-ipv6.csv`. */
  readonly asnV6Path?: string | false;
  /** Country MaxMind DB (IPv4 + IPv6). Default `@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb`. */
  readonly countryPath?: string | false;
  /** Refuse an ASN file when more than this share of its lines is invalid (default 0.01). */
  readonly maxInvalidShare?: number;
  /**
   * Directory that keeps the geo image between starts (one image: a new one replaces the others).
   * Default: none — the image is built in a temporary directory and deleted once open.
   */
  readonly cacheDir?: string;
  /** Told when a damaged image block was read, or a rebuild failed; default: nothing. */
  readonly onDamage?: (err: GeoDataError) => void;
  /** Told when an image rebuilt after damage has been swapped in; default: nothing. */
  readonly onRebuilt?: () => void;
}

/** What is known about an address. Null fields: no data, or a non-public address (see `label`). */
export interface GeoInfo {
  readonly asn: number | null;
  readonly asnOrg: string | null;
  /** ISO 3166-1 alpha-2 code, upper case, as published. */
  readonly country: string | null;
  readonly label: AddressLabel;
}

/** Load and use figures for start-up logs and metrics. */
export interface GeoDataStats {
  /** How the ASN CSVs were read (rows, invalid lines, repairs), null when ASN data is off. */
  readonly asn: AsnTableStats | null;
  /** The country database read, null when off (`bytes`: its file size; it is not held in memory). */
  readonly countryDatabase: { readonly type: string; readonly buildEpoch: string; readonly bytes: number } | null;
  /** The image: its file (null when temporary), size, rows per family, memory held, damaged reads, rebuilds. */
  readonly image: {
    readonly file: string | null;
    readonly bytes: number;
    readonly rows: { readonly v4: number; readonly v6: number };
    readonly memoryBytes: number;
    readonly damagedReads: number;
    readonly rebuilds: number;
  } | null;
  /** The answer cache: entries (both families), capacity, hits and misses (a miss is one read). */
  readonly cache: { readonly entries: number; readonly capacity: number; readonly hits: number; readonly misses: number };
  /** Milliseconds to open (or build and open) the image at load. */
  readonly loadMs: number;
  readonly paths: { readonly asnV4: string | null; readonly asnV6: string | null; readonly country: string | null };
}

/** Loaded geo data. */
export interface GeoData {
  /** ASN, organisation and country of an address; `label` for non-public ones. Unparseable → all null, `reserved`. */
  lookup(address: string): GeoInfo;
  /** Same for an address identify already parsed (no second parse on the hot path). */
  lookupIp(ip: ParsedIp): GeoInfo;
  stats(): GeoDataStats;
  /** Closes the image file (lookups then answer without ASN and country). */
  close(): void;
}

function packageFile(pkg: string, file: string): string {
  try {
    const req = createRequire(import.meta.url);
    return path.join(path.dirname(req.resolve(`${pkg}/package.json`)), file);
  } catch (cause) {
    throw new GeoDataError('BULWARK_ERR_GEO_PACKAGE_MISSING', `${pkg} is not installed; run npm install or set the data path`, { cause });
  }
}

function resolvePath(option: string | false | undefined, pkg: string, file: string): string | null {
  if (option === false) return null;
  return option ?? packageFile(pkg, file);
}

/** Refuses ASN data with too many invalid lines, or none where a file was given. */
function checkAsn(stats: AsnTableStats | null, sources: GeoSources, maxInvalidShare: number): void {
  if (stats === null) return;
  const rows = stats.v4Rows + stats.v6Rows;
  const empty = (sources.asnV4 !== null && stats.v4Rows === 0) || (sources.asnV6 !== null && stats.v6Rows === 0);
  if (!empty && stats.invalidLines <= rows * maxInvalidShare) return;
  const sample = stats.invalidSamples[0];
  const detail = sample ? `; first bad line: IPv${sample.family} line ${sample.line} (${sample.reason})` : '';
  throw new GeoDataError(
    'BULWARK_ERR_GEO_ASN_CORRUPT',
    `ASN data ${[sources.asnV4, sources.asnV6].filter(Boolean).join(', ')} is not an ip-location-db ASN CSV: ${rows} rows, ${stats.invalidLines} invalid lines${detail}`,
  );
}

/** Two-generation answer cache of one family (see the module comment). */
class AnswerCache<V> {
  private young = new Map<number, V>();
  private old = new Map<number, V>();

  get(key: number): V | undefined {
    const hit = this.young.get(key);
    if (hit !== undefined) return hit;
    const aged = this.old.get(key);
    if (aged !== undefined) this.set(key, aged);
    return aged;
  }

  set(key: number, value: V): void {
    if (this.young.size >= GEO_CACHE_GENERATION) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  clear(): void {
    this.young = new Map();
    this.old = new Map();
  }
}

/** An IPv6 answer with its address: the cache is keyed by a hash of the address, checked on every hit. */
interface V6Answer {
  readonly w0: number;
  readonly w1: number;
  readonly w2: number;
  readonly w3: number;
  readonly record: GeoRecord;
}

/** A 30-bit hash of an IPv6 address (the cache's key; two addresses may share one, the hit checks). */
function hashV6(w: Uint32Array): number {
  let h = Math.imul(w[0]! ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ w[1]! ^ (h >>> 15), 0xc2b2ae35);
  h = Math.imul(h ^ w[2]! ^ (h >>> 13), 0x85ebca6b);
  h = Math.imul(h ^ w[3]! ^ (h >>> 16), 0xc2b2ae35);
  return (h ^ (h >>> 15)) & 0x3fffffff;
}

/**
 * Load the ASN CSVs and the country database (as one image, see the module comment). Rejects with a
 * {@link GeoDataError} when a file is missing, unreadable or not in the expected format — never
 * silently runs without data that was asked for. About a second when the image must be built, tens of
 * milliseconds when a sound one is in `cacheDir`.
 */
export async function loadGeoData(options: GeoDataOptions = {}): Promise<GeoData> {
  const asnPkg = '@ip-location-db/asn';
  const sources: GeoSources = {
    asnV4: resolvePath(options.asnV4Path, asnPkg, 'asn-ipv4.csv'),
    asnV6: resolvePath(options.asnV6Path, asnPkg, 'asn-ipv6.csv'),
    country: resolvePath(options.countryPath, '@ip-location-db/geo-whois-asn-country-mmdb', 'geo-whois-asn-country.mmdb'),
  };
  const t0 = performance.now();
  const any = sources.asnV4 !== null || sources.asnV6 !== null || sources.country !== null;
  let image: OpenedImage | null = any ? await openGeoSources(sources, options.cacheDir) : null;
  const loadMs = performance.now() - t0;
  try {
    checkAsn((image?.reader.head.header.asn ?? null) as AsnTableStats | null, sources, options.maxInvalidShare ?? 0.01);
  } catch (err) {
    image?.reader.close();
    throw err;
  }
  const cache4 = new AnswerCache<GeoRecord>();
  const cache6 = new AnswerCache<V6Answer>();
  const counts = { hits: 0, misses: 0, rebuilds: 0, damagedBefore: 0 };
  let rebuilding = false;
  let lastRebuildAt = Number.NEGATIVE_INFINITY;
  let closed = false;

  /** A damaged block was read: report it, and build the image again (not more than once a minute). */
  function damaged(reader: GeoImageReader): void {
    const err = new GeoDataError('BULWARK_ERR_GEO_ASN_CORRUPT', `geo image ${image?.file ?? '(temporary)'} is damaged (${reader.damage().last}); rebuilding it`);
    options.onDamage?.(err);
    if (rebuilding || closed || performance.now() - lastRebuildAt < 60_000) return;
    rebuilding = true;
    lastRebuildAt = performance.now();
    openGeoSources(sources, options.cacheDir, true)
      .then((fresh) => {
        if (closed) return fresh.reader.close();
        const stale = image;
        counts.damagedBefore += stale?.reader.damage().reads ?? 0;
        image = fresh;
        counts.rebuilds++;
        cache4.clear();
        cache6.clear();
        stale?.reader.close();
        options.onRebuilt?.();
      })
      .catch((cause: unknown) => options.onDamage?.(new GeoDataError('BULWARK_ERR_GEO_ASN_CORRUPT', `geo image could not be rebuilt: ${(cause as Error).message}`, { cause })))
      .finally(() => (rebuilding = false));
  }

  const scratch = new Uint32Array(4);
  const NO_DATA: GeoRecord = Object.freeze({ asn: null, asnOrg: null, country: null, label: 'public' });
  const labelled = new Map<AddressLabel, GeoInfo>();
  const nonPublic = (label: AddressLabel): GeoInfo => {
    let info = labelled.get(label);
    if (!info) labelled.set(label, (info = Object.freeze({ asn: null, asnOrg: null, country: null, label })));
    return info;
  };

  function publicV4(v4: number): GeoInfo {
    const hit = cache4.get(v4);
    if (hit !== undefined) {
      counts.hits++;
      return hit;
    }
    if (image === null) return NO_DATA;
    counts.misses++;
    const reader = image.reader;
    const rec = reader.recordV4(v4);
    if (rec === null) {
      damaged(reader);
      return NO_DATA;
    }
    cache4.set(v4, rec);
    return rec;
  }

  function publicV6(w: Uint32Array): GeoInfo {
    const key = hashV6(w);
    const hit = cache6.get(key);
    if (hit !== undefined && hit.w0 === w[0] && hit.w1 === w[1] && hit.w2 === w[2] && hit.w3 === w[3]) {
      counts.hits++;
      return hit.record;
    }
    if (image === null) return NO_DATA;
    counts.misses++;
    const reader = image.reader;
    const rec = reader.recordV6(w);
    if (rec === null) {
      damaged(reader);
      return NO_DATA;
    }
    cache6.set(key, { w0: w[0]!, w1: w[1]!, w2: w[2]!, w3: w[3]!, record: rec });
    return rec;
  }

  function lookupScratch(fam: 0 | 4 | 6): GeoInfo {
    if (fam === 0) return nonPublic('reserved');
    const label = fam === 4 ? labelV4(scratch[0]!) : labelV6(scratch);
    if (label !== 'public') return nonPublic(label);
    return fam === 4 ? publicV4(scratch[0]!) : publicV6(scratch);
  }

  const stats = (): GeoDataStats => {
    const r = image?.reader ?? null;
    const h = r?.head.header ?? null;
    return {
      asn: (h?.asn ?? null) as AsnTableStats | null,
      countryDatabase: (h?.country ?? null) as GeoDataStats['countryDatabase'],
      image: r && {
        file: image!.file,
        bytes: r.head.byteLength,
        rows: { v4: r.head.header.v4.rows, v6: r.head.header.v6.rows },
        memoryBytes: r.memoryBytes,
        damagedReads: counts.damagedBefore + r.damage().reads,
        rebuilds: counts.rebuilds,
      },
      cache: { entries: cache4.size + cache6.size, capacity: GEO_CACHE_GENERATION * 4, hits: counts.hits, misses: counts.misses },
      loadMs,
      paths: { asnV4: sources.asnV4, asnV6: sources.asnV6, country: sources.country },
    };
  };

  return {
    lookup: (address: string): GeoInfo => lookupScratch(parseIpInto(address, scratch)),
    lookupIp(ip: ParsedIp): GeoInfo {
      if (ip.family === 4) {
        const label = labelV4(ip.v4);
        return label !== 'public' ? nonPublic(label) : publicV4(ip.v4);
      }
      const label = labelV6(ip.v6);
      return label !== 'public' ? nonPublic(label) : publicV6(ip.v6);
    },
    stats,
    close(): void {
      closed = true;
      image?.reader.close();
      image = null;
      cache4.clear();
      cache6.clear();
    },
  };
}
