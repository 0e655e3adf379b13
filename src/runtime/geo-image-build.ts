/**
 * Builds the geo image file (core/identify/geo/geo-image.ts) from the ASN CSVs and the country MaxMind
 * DB: parses the CSVs into the ASN table (asn-table.ts), walks the country tree into runs of leaves
 * (mmdb-tree.ts), decodes each distinct leaf's country once with the `maxmind` reader, merges both into
 * one run list per family (geo-runs.ts) and writes the image to `<out>.<pid>.tmp`, then renames it, so a
 * reader never sees half an image.
 *
 * Runs in a short-lived child process (geo-image-worker.ts): the half second of parsing and its tens of
 * megabytes of buffers never touch the serving process. `maxmind` is loaded here only, with `require`
 * at call time, so the serving process never loads it.
 */
import { closeSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Reader } from 'maxmind';
import { parseAsnTableData } from '../core/identify/geo/asn-table.ts';
import type { AsnTableData } from '../core/identify/geo/asn-table.ts';
import { encodeGeoImageParts } from '../core/identify/geo/geo-image-encode.ts';
import type { GeoImageParts, GeoImageRows } from '../core/identify/geo/geo-image-encode.ts';
import { asnRowRuns, mergeRuns, wholeSpace } from '../core/identify/geo/geo-runs.ts';
import type { Runs } from '../core/identify/geo/geo-runs.ts';
import { mmdbLeafRuns } from '../core/identify/geo/mmdb-tree.ts';
import { formatV4, formatV6 } from '../core/net/ip-format.ts';

/** Where the sources are (null: that part is off) and where the image goes. */
export interface GeoBuildInput {
  readonly v4Path: string | null;
  readonly v6Path: string | null;
  readonly countryPath: string | null;
  readonly out: string;
}

/** Which part failed: the ASN CSVs, the country database, or writing the image. */
export type GeoBuildPart = 'asn' | 'country' | 'image';

/** A build failure, with the file it concerns and the system error code when it was one. */
export class GeoBuildError extends Error {
  constructor(
    readonly part: GeoBuildPart,
    readonly file: string,
    readonly errno: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** Runs `f`, turning what it throws into a {@link GeoBuildError} of `part` about `file`. */
function step<T>(part: GeoBuildPart, file: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof GeoBuildError) throw err;
    throw new GeoBuildError(part, file, (err as NodeJS.ErrnoException).code, (err as Error).message);
  }
}

/** Country code of a decoded record, whatever the database's shape. */
function countryOf(rec: Record<string, unknown> | null): string | null {
  if (!rec) return null;
  const iso = (v: unknown): string | null => (typeof v === 'object' && v !== null && typeof (v as { iso_code?: unknown }).iso_code === 'string' ? (v as { iso_code: string }).iso_code : null);
  if (typeof rec.country_code === 'string') return rec.country_code;
  return iso(rec.country) ?? iso(rec.registered_country);
}

interface CountryParts {
  readonly v4: Runs;
  readonly v6: Runs;
  readonly codes: string[];
  readonly meta: { readonly type: string; readonly buildEpoch: string; readonly bytes: number };
}

/** The country database as runs of country indexes (index into `codes` + 1, 0 = none). */
function readCountry(file: string): CountryParts {
  const buf = step('country', file, () => readFileSync(file));
  return step('country', file, () => {
    const { Reader: ReaderClass } = createRequire(import.meta.url)('maxmind') as { Reader: typeof Reader };
    const reader = new ReaderClass<Record<string, unknown>>(buf);
    const codes: string[] = [];
    const codeIndex = new Map<string, number>();
    const byLeaf = new Map<number, number>();
    // Leaves become country indexes in place; neighbours that now have the same country are joined.
    const family = (fam: 4 | 6): Runs => {
      const { words: w, starts, values, count } = mmdbLeafRuns(buf, reader.metadata, fam);
      let kept = 0;
      for (let i = 0; i < count; i++) {
        const leaf = values[i]!;
        let idx = leaf === 0 ? 0 : byLeaf.get(leaf);
        if (idx === undefined) {
          const at = starts.subarray(i * w, (i + 1) * w);
          const code = countryOf(reader.get(fam === 4 ? formatV4(at[0]!) : formatV6(at)));
          idx = code === null ? 0 : (codeIndex.get(code) ?? codes.push(code));
          if (code !== null) codeIndex.set(code, idx);
          byLeaf.set(leaf, idx);
        }
        if (kept > 0 && values[kept - 1] === idx) continue;
        if (kept !== i) starts.copyWithin(kept * w, i * w, i * w + w);
        values[kept++] = idx;
      }
      return { words: w, count: kept, starts: starts.subarray(0, kept * w), values: values.subarray(0, kept) };
    };
    const v4 = family(4);
    const v6 = family(6);
    return { v4, v6, codes, meta: { type: reader.metadata.databaseType, buildEpoch: reader.metadata.buildEpoch.toISOString(), bytes: buf.length } };
  });
}

/** The ASN CSVs parsed (an empty table when both are off). */
function readAsn(v4Path: string | null, v6Path: string | null): AsnTableData {
  const read = (file: string | null): string | undefined => (file === null ? undefined : step('asn', file, () => readFileSync(file).toString('latin1')));
  const v4 = read(v4Path);
  const v6 = read(v6Path);
  return step('asn', v4Path ?? v6Path ?? '', () => parseAsnTableData({ v4, v6, latin1: true }));
}

/** One family's image rows: ASN runs and country runs merged (ASN rows of the same AS and name joined). */
function familyRows(asn: AsnTableData, fam: 4 | 6, country: Runs | null, rowBase: number): GeoImageRows {
  const rows = fam === 4 ? asn.v4 : asn.v6;
  const words = fam === 4 ? 1 : 4;
  const asnRuns = rows.count > 0 ? asnRowRuns(rows) : wholeSpace(words, -1);
  const sameAs = (a: number, b: number): boolean => a === b || (a >= 0 && b >= 0 && rows.asns[a] === rows.asns[b] && rows.orgIds[a] === rows.orgIds[b]);
  const m = mergeRuns(asnRuns, country ?? wholeSpace(words, 0), sameAs);
  const asnRow = m.a.map((r) => (r < 0 ? -1 : r + rowBase));
  return { words, count: m.count, starts: m.starts, asnRow, country: m.b };
}

/** Builds the image of the given sources and writes it to `input.out` (atomically). Throws {@link GeoBuildError}. */
export function buildGeoImageFile(input: GeoBuildInput): void {
  const asn = readAsn(input.v4Path, input.v6Path);
  const country = input.countryPath === null ? null : readCountry(input.countryPath);
  const n4 = asn.v4.count;
  const image = step('image', input.out, () => {
    const names = new Map<number, Uint8Array>();
    const encoder = new TextEncoder();
    const orgId = (row: number): number => (row < n4 ? asn.v4.orgIds[row]! : asn.v6.orgIds[row - n4]!);
    return encodeGeoImageParts(
      familyRows(asn, 4, country?.v4 ?? null, 0),
      familyRows(asn, 6, country?.v6 ?? null, n4),
      {
        asnOf: (row) => (row < n4 ? asn.v4.asns[row]! : asn.v6.asns[row - n4]!),
        orgBytesOf: (row) => {
          const id = orgId(row);
          let b = names.get(id);
          if (b === undefined) names.set(id, (b = encoder.encode(asn.names.at(id) ?? '')));
          return b;
        },
      },
      { countries: country?.codes ?? [], asn: input.v4Path === null && input.v6Path === null ? null : asn.stats, country: country?.meta ?? null },
    );
  });
  const tmp = `${input.out}.${process.pid}.tmp`;
  step('image', input.out, () => {
    try {
      writeParts(tmp, image);
      renameSync(tmp, input.out);
    } finally {
      if (statSync(tmp, { throwIfNoEntry: false }) !== undefined) rmSync(tmp, { force: true });
    }
  });
}

/** Writes the image's parts to `file` through a 1 MB buffer (no second copy of the whole image). */
function writeParts(file: string, parts: GeoImageParts): void {
  const fd = openSync(file, 'w');
  const buffer = new Uint8Array(1 << 20);
  let used = 0;
  const flush = (): void => {
    for (let done = 0; done < used; ) done += writeSync(fd, buffer, done, used - done);
    used = 0;
  };
  const put = (bytes: Uint8Array): void => {
    for (let at = 0; at < bytes.length; ) {
      if (used === buffer.length) flush();
      const n = Math.min(bytes.length - at, buffer.length - used);
      buffer.set(bytes.subarray(at, at + n), used);
      used += n;
      at += n;
    }
  };
  try {
    put(parts.head);
    for (const b of parts.blocks()) put(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
    flush();
  } finally {
    closeSync(fd);
  }
}
