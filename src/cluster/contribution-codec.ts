/**
 * A second of a site's traffic from one process (detection/contribution.ts) as a bus message and back.
 * HyperLogLog registers (16 KiB each at the default precision) go sparse — index and value of each
 * non-zero register — while fewer than a third are set, which is every quiet second; dense otherwise.
 * Decoding checks shapes and refuses what does not fit (a message from a differently configured node).
 */
import type { SiteContribution } from '../detection/contribution.ts';

/** The wire form (JSON). */
export interface ContributionWire {
  readonly site: string;
  readonly s: number;
  readonly c: number[];
  readonly l: number[];
  readonly a: string;
  readonly u: string;
  readonly h: Array<Array<[string | number, number]>>;
  readonly d: Array<[string, number]>;
  readonly cl: number[] | null;
  readonly p: number[];
  /** Uncleared requests per HTTP method (absent from processes that do not count them). */
  readonly m?: Array<[string, number]>;
}

/** Registers as `S<base64 of (index hi, index lo, value) triples>` or `D<base64 of the registers>`. */
export function encodeRegisters(r: Uint8Array): string {
  let nonZero = 0;
  for (let i = 0; i < r.length; i++) if (r[i] !== 0) nonZero++;
  if (nonZero * 3 >= r.length) return `D${Buffer.from(r.buffer, r.byteOffset, r.byteLength).toString('base64')}`;
  const out = Buffer.allocUnsafe(nonZero * 3);
  let j = 0;
  for (let i = 0; i < r.length; i++) {
    if (r[i] === 0) continue;
    out[j++] = i >>> 8;
    out[j++] = i & 255;
    out[j++] = r[i]!;
  }
  return `S${out.toString('base64')}`;
}

/** The registers back (`length` of them), or null when the text does not fit. */
export function decodeRegisters(text: string, length: number): Uint8Array | null {
  const body = Buffer.from(text.slice(1), 'base64');
  if (text[0] === 'D') return body.length === length ? new Uint8Array(body) : null;
  if (text[0] !== 'S' || body.length % 3 !== 0) return null;
  const r = new Uint8Array(length);
  for (let j = 0; j < body.length; j += 3) {
    const i = (body[j]! << 8) | body[j + 1]!;
    if (i >= length) return null;
    r[i] = body[j + 2]!;
  }
  return r;
}

/** Encodes a share for the bus. */
export function encodeContribution(c: SiteContribution): ContributionWire {
  const a = c.aggregates;
  return {
    site: c.site,
    s: a.second,
    c: Array.from(a.counters),
    l: Array.from(a.latency),
    a: encodeRegisters(a.all),
    u: encodeRegisters(a.uncleared),
    h: a.heavy.map((list) => list.map((e) => [e.key, e.count] as [string | number, number])),
    d: c.extras.decisions.map(([k, n]) => [k, n]),
    cl: c.extras.cleared === null ? null : Array.from(c.extras.cleared),
    p: [...c.extras.prefixes],
    ...(c.extras.methods !== undefined ? { m: c.extras.methods.map(([k, n]) => [k, n] as [string, number]) } : {}),
  };
}

/**
 * Decodes a share; `shape` gives the sizes this process uses (counters, latency buckets, registers,
 * dimensions). Null when anything does not fit.
 */
export function decodeContribution(w: ContributionWire, shape: { counters: number; latency: number; registers: number; dimensions: number }): SiteContribution | null {
  if (typeof w !== 'object' || w === null || typeof w.site !== 'string' || !Number.isSafeInteger(w.s)) return null;
  if (!Array.isArray(w.c) || w.c.length !== shape.counters || !Array.isArray(w.l) || w.l.length !== shape.latency) return null;
  if (!Array.isArray(w.h) || w.h.length !== shape.dimensions || !Array.isArray(w.d) || !Array.isArray(w.p)) return null;
  const all = typeof w.a === 'string' ? decodeRegisters(w.a, shape.registers) : null;
  const uncleared = typeof w.u === 'string' ? decodeRegisters(w.u, shape.registers) : null;
  if (all === null || uncleared === null) return null;
  const cleared = w.cl === null ? null : Array.isArray(w.cl) && w.cl.length === shape.latency ? Uint32Array.from(w.cl) : null;
  return {
    site: w.site,
    aggregates: {
      second: w.s,
      counters: Float64Array.from(w.c),
      latency: Uint32Array.from(w.l),
      all,
      uncleared,
      heavy: w.h.map((list) => (Array.isArray(list) ? list.filter((e) => Array.isArray(e) && (typeof e[0] === 'string' || typeof e[0] === 'number') && typeof e[1] === 'number').map(([key, count]) => ({ key, count })) : [])),
    },
    extras: {
      second: w.s,
      decisions: w.d.filter((e) => Array.isArray(e) && typeof e[0] === 'string' && typeof e[1] === 'number').map(([k, n]) => [k, n] as const),
      cleared,
      sources: all,
      prefixes: w.p.filter((h) => typeof h === 'number'),
      ...(Array.isArray(w.m) ? { methods: w.m.filter((e) => Array.isArray(e) && typeof e[0] === 'string' && typeof e[1] === 'number').slice(0, 16).map(([k, n]) => [k, n] as const) } : {}),
    },
  };
}
