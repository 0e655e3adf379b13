/**
 * Canonical JSON for the values reports hash or derive identifiers from: object keys sorted by UTF-16
 * code units at every level, no whitespace, numbers and strings as `JSON.stringify` writes them. For the
 * plain values used here (strings, finite numbers, booleans, null, arrays, objects) this is the JSON
 * Canonicalization Scheme of RFC 8785 (https://www.rfc-editor.org/rfc/rfc8785), which STIX 2.1 names for
 * the UUIDv5 of cyber-observable objects. `undefined` members are left out, as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('canonical JSON has no representation for a non-finite number');
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
