/**
 * Privacy for incident records: truncating client addresses to their /24 (IPv4) or
 * /48 (IPv6) and removing address-level source data after the retention period.
 *
 * Pure functions over JSON values. They find addresses anywhere — whole strings, object keys, and tokens
 * inside free text such as rule evidence — by trying every token made of hex digits, dots and colons
 * (optionally with `/n`) and not glued to a word or a `/` as an address or CIDR with the strict parser of
 * core/net; anything else is left alone, so paths (`/a/1.2.3.4`), user-agent versions (`Foo/1.2.3.4`) and
 * fingerprints are not touched. Prefixes already at /24 (/48) or shorter
 * are kept as they are.
 *
 * When truncation makes several entries of a top list equal (`203.0.113.7` and `203.0.113.9` both become
 * `203.0.113.0/24`), they are merged and their numeric fields (count, share, error) summed, so shares still
 * add up.
 */
import { parseCidr, prefixKey } from '../core/net/ip.ts';

/** Prefix lengths addresses are truncated to: IPv4 /24, IPv6 /48. */
export const TRUNCATE_BITS = Object.freeze({ v4: 24, v6: 48 });

/** A token that may be an address: hex digits, dots, colons (at least one), maybe `/n`; not glued to a word or a `/`. */
const TOKEN = /(?<![\w/.:-])[0-9A-Fa-f:.]*[.:][0-9A-Fa-f:.]*(?:\/\d{1,3})?/g;

/**
 * The /24 or /48 prefix of an address or of a longer prefix (`203.0.113.7` → `203.0.113.0/24`,
 * `2001:db8:1:2::/64` → `2001:db8:1::/48`); any other text is returned unchanged.
 */
export function truncateAddress(text: string): string {
  if (text.length < 2 || text.length > 64) return text;
  const cidr = parseCidr(text);
  if (cidr === null) return text;
  const limit = cidr.family === 4 ? TRUNCATE_BITS.v4 : TRUNCATE_BITS.v6;
  if (cidr.bits <= limit) return text;
  return prefixKey(cidr.text.slice(0, cidr.text.lastIndexOf('/')), limit) ?? text;
}

/** Truncates every address or long prefix inside a string (whole string or tokens of free text). */
export function truncateAddressesInText(text: string): string {
  if (text.indexOf('.') < 0 && text.indexOf(':') < 0) return text;
  return text.replace(TOKEN, (token) => {
    const out = truncateAddress(token);
    if (out !== token || !token.endsWith('.')) return out;
    const bare = token.replace(/\.+$/, ''); // "... from 203.0.113.7."
    return truncateAddress(bare) + token.slice(bare.length);
  });
}

type Json = unknown;

function mergeKey(v: unknown): string | number | undefined {
  if (Array.isArray(v)) return typeof v[0] === 'string' ? v[0] : undefined;
  if (typeof v === 'object' && v !== null && 'key' in v) {
    const k = (v as { key: unknown }).key;
    return typeof k === 'string' || typeof k === 'number' ? k : undefined;
  }
  return undefined;
}

/** Adds b's numbers (or numeric fields, or tuple items) to a's, in a copy; anything else keeps a's value. */
function mergeEntries(a: unknown, b: unknown): unknown {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return a;
  if (Array.isArray(a) && Array.isArray(b)) return a.map((x, i) => (typeof x === 'number' && typeof b[i] === 'number' ? x + (b[i] as number) : x));
  const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
  for (const [k, v] of Object.entries(b as Record<string, unknown>)) {
    if (typeof v === 'number' && typeof out[k] === 'number') out[k] = (out[k] as number) + v;
  }
  return out;
}

/** Merges entries of a list whose keys became equal; keeps first-seen order. */
function mergeDuplicates(list: unknown[]): unknown[] {
  const seen = new Map<string | number, number>();
  const out: unknown[] = [];
  for (const item of list) {
    const key = mergeKey(item);
    if (key === undefined) {
      out.push(item);
      continue;
    }
    const at = seen.get(key);
    if (at === undefined) {
      seen.set(key, out.length);
      out.push(item);
    } else {
      out[at] = mergeEntries(out[at], item);
    }
  }
  return out;
}

/** A deep copy of a JSON value with every address truncated (see the module comment). */
export function truncateAddressesInJson(value: Json): Json {
  if (typeof value === 'string') return truncateAddressesInText(value);
  if (Array.isArray(value)) return mergeDuplicates(value.map(truncateAddressesInJson));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const key = truncateAddressesInText(k);
    const next = truncateAddressesInJson(v);
    out[key] = key in out ? mergeEntries(out[key], next) : next;
  }
  return out;
}

/**
 * Retention: a copy of an incident summary without its address-level list (`top.address`, see
 * IncidentSummaryShape) and with every remaining address truncated.
 */
export function removeAddressSourceData(summary: Json): Json {
  if (typeof summary !== 'object' || summary === null || Array.isArray(summary)) return truncateAddressesInJson(summary);
  const s = summary as Record<string, unknown>;
  const top = s.top;
  if (typeof top !== 'object' || top === null || Array.isArray(top) || !('address' in top)) return truncateAddressesInJson(summary);
  const { address: _dropped, ...rest } = top as Record<string, unknown>;
  return truncateAddressesInJson({ ...s, top: rest });
}

/**
 * Retention: a copy of an attack fingerprint (IncidentRecord.fingerprint) without its address-level data
 * — the `source_ips` of every attack vector — and with every remaining address truncated. Prefixes,
 * networks and distributions stay: they are the aggregates a later comparison needs.
 */
export function removeFingerprintSourceData(fingerprint: Json): Json {
  if (typeof fingerprint !== 'object' || fingerprint === null || Array.isArray(fingerprint)) return truncateAddressesInJson(fingerprint);
  const f = fingerprint as Record<string, unknown>;
  const vectors = Array.isArray(f.attack_vectors)
    ? f.attack_vectors.map((v) => {
        if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
        const { source_ips: _dropped, ...rest } = v as Record<string, unknown>;
        return rest;
      })
    : f.attack_vectors;
  return truncateAddressesInJson({ ...f, attack_vectors: vectors });
}
