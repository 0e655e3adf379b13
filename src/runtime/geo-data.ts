/**
 * Offline ASN and country data: loads the @ip-location-db files (or files an operator points at) and
 * answers `lookup(address)` in a few hundred nanoseconds, without network access.
 *
 * - ASN: `@ip-location-db/asn` CSVs (CC BY 4.0 — credit RouteViews, DB-IP and the NRO), built into
 *   sorted typed arrays by `core/identify/geo/asn-table.ts` — in a short-lived child process
 *   (geo-asn-worker.ts) that writes the table's compact binary image (core/identify/geo/asn-binary.ts);
 *   this process reads the image once and looks up in views over it. With `cacheDir` (Bulwark passes
 *   `<state_dir>/geo`), the image is kept there, keyed by the CSVs' paths, sizes and modification
 *   times, and later starts read it without parsing at all.
 * - Country: `@ip-location-db/geo-whois-asn-country-mmdb` (CC0), records `{country_code}`. Any MaxMind
 *   DB whose records carry `country_code`, `country.iso_code` or `registered_country.iso_code` works
 *   (e.g. GeoLite2-Country). The search tree is walked by `core/identify/geo/mmdb-tree.ts`; each
 *   distinct record is decoded once with the `maxmind` reader and cached.
 *
 * Non-public addresses (loopback, private, link-local, ...) are not looked up: `label` says what they
 * are and `asn`/`asnOrg`/`country` are null. `country` is never a made-up code like `PRIVATE`.
 */
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { AsnWorkerInput, AsnWorkerOutput } from './geo-asn-worker.ts';
import { decodeAsnTableData } from '../core/identify/geo/asn-binary.ts';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Reader } from 'maxmind';
import { asnTableFromData, buildAsnTable } from '../core/identify/geo/asn-table.ts';
import type { AsnTable, AsnTableStats } from '../core/identify/geo/asn-table.ts';
import { createMmdbTree } from '../core/identify/geo/mmdb-tree.ts';
import type { MmdbTree } from '../core/identify/geo/mmdb-tree.ts';
import { parseIpInto } from '../core/net/ip-parse.ts';
import type { ParsedIp } from '../core/net/ip.ts';
import { formatV4, formatV6 } from '../core/net/ip-format.ts';
import { labelV4, labelV6 } from '../core/net/protected-ranges.ts';
import type { AddressLabel } from '../core/net/protected-ranges.ts';

/** Where the data comes from. A path of `false` disables that part; omitted means the npm package file. */
export interface GeoDataOptions {
  /** IPv4 ASN CSV. Default `@ip-location-db/asn/asn-ipv4.csv`. */
  readonly asnV4Path?: string | false;
  /** IPv6 ASN CSV. Default `@ip-location-db/asn/asn-ipv6.csv` (adds ~25% to load time and memory). */
  readonly asnV6Path?: string | false;
  /** Country MaxMind DB (IPv4 + IPv6). Default `@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb`. */
  readonly countryPath?: string | false;
  /** Refuse an ASN file when more than this share of its lines is invalid (default 0.01). */
  readonly maxInvalidShare?: number;
  /**
   * Directory that keeps the ASN table's binary image between starts (one image: a new one replaces
   * the others). Default: none — the image goes to a temporary directory, removed once read.
   */
  readonly cacheDir?: string;
}

/** What is known about an address. Null fields: no data, or a non-public address (see `label`). */
export interface GeoInfo {
  readonly asn: number | null;
  readonly asnOrg: string | null;
  /** ISO 3166-1 alpha-2 code, upper case, as published. */
  readonly country: string | null;
  readonly label: AddressLabel;
}

/** Load figures for start-up logs. */
export interface GeoDataStats {
  readonly asn: AsnTableStats | null;
  readonly countryRecordsCached: number;
  /** `bytes`: the file, held in memory; `indexBytes`: the jump tables built over it. */
  readonly countryDatabase: { readonly type: string; readonly buildEpoch: string; readonly bytes: number; readonly indexBytes: number } | null;
  readonly loadMs: { readonly asn: number; readonly country: number };
  readonly paths: { readonly asnV4: string | null; readonly asnV6: string | null; readonly country: string | null };
}

/** Loaded geo data. */
export interface GeoData {
  /** ASN, organisation and country of an address; `label` for non-public ones. Unparseable → all null, `reserved`. */
  lookup(address: string): GeoInfo;
  /** Same for an address identify already parsed (no second parse on the hot path). */
  lookupIp(ip: ParsedIp): GeoInfo;
  stats(): GeoDataStats;
}

/** Stable error codes: BULWARK_ERR_GEO_FILE_MISSING, _FILE_UNREADABLE, _PACKAGE_MISSING, _ASN_CORRUPT, _COUNTRY_CORRUPT. */
export class GeoDataError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'GeoDataError';
  }
}

const COUNTRY_CACHE_CAP = 65_536;

function packageFile(pkg: string, file: string): string {
  try {
    const req = createRequire(import.meta.url);
    return path.join(path.dirname(req.resolve(`${pkg}/package.json`)), file);
  } catch (cause) {
    throw new GeoDataError('BULWARK_ERR_GEO_PACKAGE_MISSING', `${pkg} is not installed; run npm install or set the data path`, { cause });
  }
}

async function readData(file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (cause) {
    const missing = (cause as NodeJS.ErrnoException).code === 'ENOENT';
    throw new GeoDataError(
      missing ? 'BULWARK_ERR_GEO_FILE_MISSING' : 'BULWARK_ERR_GEO_FILE_UNREADABLE',
      `${what} file ${file} ${missing ? 'does not exist' : 'cannot be read'}`,
      { cause },
    );
  }
}

function resolvePath(option: string | false | undefined, pkg: string, file: string): string | null {
  if (option === false) return null;
  return option ?? packageFile(pkg, file);
}

/** Errors a child reports for a file, as loadGeoData's coded errors. */
function childError(out: Extract<AsnWorkerOutput, { ok: false }>, v6Path: string | null): GeoDataError {
  const missing = out.errno === 'ENOENT';
  const what = out.file === v6Path ? 'ASN (IPv6)' : 'ASN (IPv4)';
  return out.errno !== undefined
    ? new GeoDataError(missing ? 'BULWARK_ERR_GEO_FILE_MISSING' : 'BULWARK_ERR_GEO_FILE_UNREADABLE', `${what} file ${out.file} ${missing ? 'does not exist' : 'cannot be read'}`)
    : new GeoDataError('BULWARK_ERR_GEO_ASN_CORRUPT', `ASN data could not be parsed: ${out.message}`);
}

/**
 * Builds the ASN image `out` in a child process (see geo-asn-worker.ts). Resolves true when written,
 * false when no child could be started (the caller parses in this thread instead); rejects with a
 * {@link GeoDataError} for missing, unreadable or corrupt files.
 */
function buildImageInChild(v4Path: string | null, v6Path: string | null, out: string): Promise<boolean> {
  // Under tsx the sources run as .ts and the child inherits the loader flags; the bundle ships a .js file.
  const url = import.meta.url.endsWith('.ts') ? new URL('./geo-asn-worker.ts', import.meta.url) : new URL('./geo-asn-worker.js', import.meta.url);
  return new Promise((resolve, reject) => {
    let settled = false;
    const done = (f: () => void) => {
      if (!settled) {
        settled = true;
        f();
      }
    };
    let child;
    try {
      child = fork(url, [JSON.stringify({ v4Path, v6Path, out } satisfies AsnWorkerInput)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    } catch {
      return resolve(false);
    }
    child.once('message', (msg: AsnWorkerOutput) => done(() => (msg.ok ? resolve(true) : reject(childError(msg, v6Path)))));
    child.once('error', () => done(() => resolve(false)));
    child.once('exit', () => done(() => resolve(false)));
  });
}

/** The image's file name for these CSVs: their paths, sizes and modification times (a new file, a new image). */
async function imageName(v4Path: string | null, v6Path: string | null): Promise<string> {
  const parts: unknown[] = ['BWASN001'];
  for (const [file, what] of [[v4Path, 'ASN (IPv4)'], [v6Path, 'ASN (IPv6)']] as const) {
    if (file === null) {
      parts.push(null);
      continue;
    }
    try {
      const st = await stat(file);
      if (!st.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
      parts.push([file, st.size, st.mtimeMs]);
    } catch (cause) {
      const missing = (cause as NodeJS.ErrnoException).code === 'ENOENT';
      throw new GeoDataError(missing ? 'BULWARK_ERR_GEO_FILE_MISSING' : 'BULWARK_ERR_GEO_FILE_UNREADABLE', `${what} file ${file} ${missing ? 'does not exist' : 'cannot be read'}`, { cause });
    }
  }
  return `asn-${createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 24)}.bin`;
}

/** The ASN table from its image: read from the cache, else built by a child (else parsed here). */
async function loadAsnTable(v4Path: string | null, v6Path: string | null, cacheDir: string | undefined): Promise<AsnTable> {
  const name = await imageName(v4Path, v6Path);
  if (cacheDir !== undefined) {
    const cached = await readFile(path.join(cacheDir, name)).catch(() => null);
    if (cached !== null) {
      try {
        return asnTableFromData(decodeAsnTableData(cached));
      } catch {
        // A damaged image is rebuilt below.
      }
    }
  }
  const dir = cacheDir ?? (await mkdtemp(path.join(tmpdir(), 'bulwark-asn-')));
  try {
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, name);
    if (await buildImageInChild(v4Path, v6Path, file)) {
      const table = asnTableFromData(decodeAsnTableData(await readFile(file)));
      // One image in the cache: older ones (other files, older data) go.
      if (cacheDir !== undefined) for (const f of await readdir(dir)) if (f !== name && /^asn-[0-9a-f]+\.bin$/.test(f)) await rm(path.join(dir, f), { force: true });
      return table;
    }
  } finally {
    if (cacheDir === undefined) await rm(dir, { recursive: true, force: true });
  }
  // No child process (e.g. an unusual runtime): parse here.
  const [v4, v6] = await Promise.all([
    v4Path === null ? undefined : readData(v4Path, 'ASN (IPv4)').then((b) => b.toString('latin1')),
    v6Path === null ? undefined : readData(v6Path, 'ASN (IPv6)').then((b) => b.toString('latin1')),
  ]);
  return buildAsnTable({ v4, v6, latin1: true });
}

async function loadAsn(v4Path: string | null, v6Path: string | null, maxInvalidShare: number, cacheDir: string | undefined): Promise<AsnTable | null> {
  if (v4Path === null && v6Path === null) return null;
  const table = await loadAsnTable(v4Path, v6Path, cacheDir);
  const s = table.stats;
  const rows = s.v4Rows + s.v6Rows;
  const empty = (v4Path !== null && s.v4Rows === 0) || (v6Path !== null && s.v6Rows === 0);
  if (empty || s.invalidLines > rows * maxInvalidShare) {
    const sample = s.invalidSamples[0];
    const detail = sample ? `; first bad line: IPv${sample.family} line ${sample.line} (${sample.reason})` : '';
    throw new GeoDataError(
      'BULWARK_ERR_GEO_ASN_CORRUPT',
      `ASN data ${[v4Path, v6Path].filter(Boolean).join(', ')} is not an ip-location-db ASN CSV: ${rows} rows, ${s.invalidLines} invalid lines${detail}`,
    );
  }
  return table;
}

interface CountrySource {
  readonly reader: Reader<Record<string, unknown>>;
  readonly tree: MmdbTree;
  readonly bytes: number;
}

async function loadCountry(file: string | null): Promise<CountrySource | null> {
  if (file === null) return null;
  const buf = await readData(file, 'country database');
  try {
    const reader = new Reader<Record<string, unknown>>(buf);
    const tree = createMmdbTree(buf, reader.metadata);
    return { reader, tree, bytes: buf.length };
  } catch (cause) {
    throw new GeoDataError('BULWARK_ERR_GEO_COUNTRY_CORRUPT', `country database ${file} is not a valid MaxMind DB: ${(cause as Error).message}`, { cause });
  }
}

/** Country code of a decoded record, whatever the database's shape. */
function countryOf(rec: Record<string, unknown> | null): string | null {
  if (!rec) return null;
  const iso = (v: unknown): string | null => (typeof v === 'object' && v !== null && typeof (v as { iso_code?: unknown }).iso_code === 'string' ? (v as { iso_code: string }).iso_code : null);
  if (typeof rec.country_code === 'string') return rec.country_code;
  return iso(rec.country) ?? iso(rec.registered_country);
}

/**
 * Load the ASN CSVs and the country database (in parallel). Rejects with a {@link GeoDataError} when
 * a file is missing, unreadable or not in the expected format — never silently runs without data
 * that was asked for. Takes about half a second with the default files (see the bench).
 */
export async function loadGeoData(options: GeoDataOptions = {}): Promise<GeoData> {
  const asnPkg = '@ip-location-db/asn';
  const v4Path = resolvePath(options.asnV4Path, asnPkg, 'asn-ipv4.csv');
  const v6Path = resolvePath(options.asnV6Path, asnPkg, 'asn-ipv6.csv');
  const countryPath = resolvePath(options.countryPath, '@ip-location-db/geo-whois-asn-country-mmdb', 'geo-whois-asn-country.mmdb');
  const t0 = performance.now();
  const countryP = loadCountry(countryPath).then((c) => ({ c, ms: performance.now() - t0 }));
  const asn = await loadAsn(v4Path, v6Path, options.maxInvalidShare ?? 0.01, options.cacheDir);
  const asnMs = performance.now() - t0;
  const { c: country, ms: countryMs } = await countryP;

  const scratch = new Uint32Array(4);
  const countries = new Map<number, string | null>();
  const labelled = new Map<AddressLabel, GeoInfo>();
  const nonPublic = (label: AddressLabel): GeoInfo => {
    let info = labelled.get(label);
    if (!info) labelled.set(label, (info = Object.freeze({ asn: null, asnOrg: null, country: null, label })));
    return info;
  };

  function countryAt(leaf: number, fam: 4 | 6): string | null {
    if (leaf === 0 || country === null) return null;
    const known = countries.get(leaf);
    if (known !== undefined) return known;
    const code = countryOf(country.reader.get(fam === 4 ? formatV4(scratch[0]) : formatV6(scratch)));
    if (countries.size < COUNTRY_CACHE_CAP) countries.set(leaf, code);
    return code;
  }

  function lookup(address: string): GeoInfo {
    return lookupScratch(parseIpInto(address, scratch));
  }

  function lookupIp(ip: ParsedIp): GeoInfo {
    if (ip.family === 4) scratch[0] = ip.v4;
    else scratch.set(ip.v6);
    return lookupScratch(ip.family);
  }

  function lookupScratch(fam: 0 | 4 | 6): GeoInfo {
    if (fam === 0) return nonPublic('reserved');
    const label = fam === 4 ? labelV4(scratch[0]) : labelV6(scratch);
    if (label !== 'public') return nonPublic(label);
    const row = asn === null ? -1 : fam === 4 ? asn.rowV4(scratch[0]) : asn.rowV6(scratch);
    const leaf = country === null ? 0 : fam === 4 ? country.tree.leafV4(scratch[0]) : country.tree.leafV6(scratch);
    return {
      asn: row < 0 ? null : asn!.asnAt(row),
      asnOrg: row < 0 ? null : asn!.orgAt(row),
      country: countryAt(leaf, fam),
      label,
    };
  }

  const stats = (): GeoDataStats => ({
    asn: asn?.stats ?? null,
    countryRecordsCached: countries.size,
    countryDatabase: country && {
      type: country.reader.metadata.databaseType,
      buildEpoch: country.reader.metadata.buildEpoch.toISOString(),
      bytes: country.bytes,
      indexBytes: country.tree.bytes,
    },
    loadMs: { asn: asnMs, country: countryMs },
    paths: { asnV4: v4Path, asnV6: v6Path, country: countryPath },
  });
  return { lookup, lookupIp, stats };
}
