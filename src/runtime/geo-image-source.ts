/**
 * Finding, building and opening the geo image file for a set of source files (runtime/geo-data.ts uses
 * it at start and again when a damaged image must be rebuilt).
 *
 * The image's name is a hash of the sources' paths, sizes and modification times, so new data gets a
 * new image. In a cache directory (Bulwark passes `<state_dir>/geo`) the image is kept between starts:
 * a later start only opens and checks it; a damaged one is deleted and rebuilt. Without a cache
 * directory it is built in a fresh temporary directory, opened, and deleted at once — the open
 * descriptor keeps it readable for the process's life and nothing is left behind.
 */
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { getPriority, setPriority, tmpdir } from 'node:os';
import path from 'node:path';
import { GeoImageError } from '../core/identify/geo/geo-image.ts';
import { openGeoImage } from './geo-image-file.ts';
import type { GeoImageReader } from './geo-image-file.ts';
import type { GeoWorkerInput, GeoWorkerOutput } from './geo-image-worker.ts';

/** The source files (null: that part is off). */
export interface GeoSources {
  readonly asnV4: string | null;
  readonly asnV6: string | null;
  readonly country: string | null;
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

/** The coded error for a source file the system could not give us. */
function fileError(file: string, what: string, errno: string | undefined, cause?: unknown): GeoDataError {
  const missing = errno === 'ENOENT';
  return new GeoDataError(missing ? 'BULWARK_ERR_GEO_FILE_MISSING' : 'BULWARK_ERR_GEO_FILE_UNREADABLE', `${what} file ${file} ${missing ? 'does not exist' : 'cannot be read'}`, { cause });
}

/** A failed build (from the child or this process) as a coded error. */
function buildError(out: Extract<GeoWorkerOutput, { ok: false }>, sources: GeoSources): GeoDataError {
  if (out.part === 'country') {
    return out.errno !== undefined
      ? fileError(out.file, 'country database', out.errno)
      : new GeoDataError('BULWARK_ERR_GEO_COUNTRY_CORRUPT', `country database ${out.file} is not a valid MaxMind DB: ${out.message}`);
  }
  if (out.part === 'asn' && out.errno !== undefined) return fileError(out.file, out.file === sources.asnV6 ? 'ASN (IPv6)' : 'ASN (IPv4)', out.errno);
  if (out.part === 'asn') return new GeoDataError('BULWARK_ERR_GEO_ASN_CORRUPT', `ASN data could not be parsed: ${out.message}`);
  return new GeoDataError('BULWARK_ERR_GEO_FILE_UNREADABLE', `geo image ${out.file} could not be written: ${out.message}`);
}

/** The image's file name for these sources: their paths, sizes and modification times. Rejects for a missing file. */
async function imageName(sources: GeoSources): Promise<string> {
  const parts: unknown[] = ['BWGEO001'];
  const list = [[sources.asnV4, 'ASN (IPv4)'], [sources.asnV6, 'ASN (IPv6)'], [sources.country, 'country database']] as const;
  for (const [file, what] of list) {
    if (file === null) {
      parts.push(null);
      continue;
    }
    try {
      const st = await stat(file);
      if (!st.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
      parts.push([file, st.size, st.mtimeMs]);
    } catch (cause) {
      throw fileError(file, what, (cause as NodeJS.ErrnoException).code, cause);
    }
  }
  return `geo-${createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 24)}.bin`;
}

/**
 * Builds the image `out` in a child process (geo-image-worker.ts). Resolves true when written, false when
 * no child could be started (the caller builds in this process instead); rejects with a
 * {@link GeoDataError} for missing, unreadable or corrupt sources.
 */
function buildInChild(sources: GeoSources, out: string): Promise<boolean> {
  // Under tsx the sources run as .ts and the child inherits the loader flags; the bundle ships a .js file.
  const url = import.meta.url.endsWith('.ts') ? new URL('./geo-image-worker.ts', import.meta.url) : new URL('./geo-image-worker.js', import.meta.url);
  const input: GeoWorkerInput = { v4Path: sources.asnV4, v6Path: sources.asnV6, countryPath: sources.country, out };
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
      child = fork(url, [JSON.stringify(input)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    } catch {
      return resolve(false);
    }
    yieldToServing(child.pid);
    child.once('message', (msg: GeoWorkerOutput) => done(() => (msg.ok ? resolve(true) : reject(buildError(msg, sources)))));
    child.once('error', () => done(() => resolve(false)));
    child.once('exit', () => done(() => resolve(false)));
  });
}

/** How much lower than Bulwark's own the build's scheduling priority is (nice steps; 19 is the lowest). */
export const BUILD_NICENESS = 10;

/**
 * Lowers the build child's scheduling priority. The first start is often the moment an organisation
 * installs Bulwark because it is under attack; on a machine with one core (or Bulwark pinned to one), a
 * build at equal priority took a large share of it for 3–4 s (first second: 2.5k requests served against
 * 10.8k with this). A lower priority only changes who waits when both want the core; the cost is that under
 * a flood saturating that core the build takes longer (16 s against 3.5 s, measured), during which ASN
 * and country are unknown: limits, bans, the challenge and the detector's levels work without them; rules
 * and signatures by ASN or country, and the incident's networks, wait for them. Best effort: where the
 * system refuses, the build runs at Bulwark's own priority.
 */
export function yieldToServing(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    setPriority(pid, Math.min(19, getPriority(pid) + BUILD_NICENESS));
  } catch {
    // Not permitted here (or the child already left): it builds at Bulwark's own priority.
  }
}

/** Builds the image here when no child process can be started (e.g. an unusual runtime). */
async function buildHere(sources: GeoSources, out: string): Promise<void> {
  const { buildGeoImageFile, GeoBuildError } = await import('./geo-image-build.ts');
  try {
    buildGeoImageFile({ v4Path: sources.asnV4, v6Path: sources.asnV6, countryPath: sources.country, out });
  } catch (err) {
    if (!(err instanceof GeoBuildError)) throw err;
    throw buildError({ ok: false, part: err.part, file: err.file, errno: err.errno, message: err.message }, sources);
  }
}

/** Opens an image; null when it is missing or damaged (a damaged one is deleted so that it is rebuilt). */
async function tryOpen(file: string): Promise<GeoImageReader | null> {
  try {
    return await openGeoImage(file);
  } catch (err) {
    if (err instanceof GeoImageError) await rm(file, { force: true });
    return null;
  }
}

/** An open image and where it lives (null: a temporary file, already deleted). */
export interface OpenedImage {
  readonly reader: GeoImageReader;
  readonly file: string | null;
}

/**
 * The image for `sources`: opened from `cacheDir` when a sound one is there, else built (in a child
 * process) and opened. With `rebuild`, an image already in the cache is not trusted and built again.
 * Rejects with a {@link GeoDataError}.
 */
export async function openGeoSources(sources: GeoSources, cacheDir: string | undefined, rebuild = false): Promise<OpenedImage> {
  const name = await imageName(sources);
  if (cacheDir !== undefined && !rebuild) {
    const cached = await tryOpen(path.join(cacheDir, name));
    if (cached !== null) return { reader: cached, file: path.join(cacheDir, name) };
  }
  const dir = cacheDir ?? (await mkdtemp(path.join(tmpdir(), 'bulwark-geo-')));
  try {
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, name);
    if (!(await buildInChild(sources, file))) await buildHere(sources, file);
    const reader = await openGeoImage(file).catch((cause: unknown) => {
      throw new GeoDataError('BULWARK_ERR_GEO_ASN_CORRUPT', `geo image ${file} was built but cannot be read: ${(cause as Error).message}`, { cause });
    });
    // One image in the cache: older ones (other files, older data, the previous format) go.
    if (cacheDir !== undefined) for (const f of await readdir(dir)) if (f !== name && /^(asn|geo)-[0-9a-f]+\.bin$/.test(f)) await rm(path.join(dir, f), { force: true });
    return { reader, file: cacheDir === undefined ? null : file };
  } finally {
    if (cacheDir === undefined) await rm(dir, { recursive: true, force: true });
  }
}
