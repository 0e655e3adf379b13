/**
 * STIX patterns (STIX 2.1 section 9) for Bulwark's signature rules: one observation over the
 * `network-traffic` of a request, its comparisons joined with AND, so a rule that matched "ASN 64496 and
 * path /search" becomes `[network-traffic:src_ref.belongs_to_refs[*].number = 64496 AND
 * network-traffic:extensions.'http-request-ext'.request_value MATCHES '^/search(\?|$)']`.
 *
 * Paths are matched without their query string (as the rule did), user agents on the `User-Agent`
 * request header, prefixes with ISSUBSET. Two dimensions have no STIX property and use custom ones:
 * the header-order fingerprint (`x_bulwark_header_fingerprint`) and the source country
 * (`src_ref.x_bulwark_country`).
 */

/** A pattern string literal: backslashes and quotes escaped (STIX 2.1 section 9.2). */
export function quote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A PCRE matching exactly `path`, with or without a query string. */
function pathRegex(path: string): string {
  return `^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\?|$)`;
}

function comparison(dimension: string, value: string | number): string | null {
  const v = String(value);
  switch (dimension) {
    case 'prefix':
      return `network-traffic:src_ref.value ISSUBSET ${quote(v)}`;
    case 'address':
      return `network-traffic:src_ref.value = ${quote(v)}`;
    case 'asn':
      return /^\d+$/.test(v) ? `network-traffic:src_ref.belongs_to_refs[*].number = ${v}` : null;
    case 'country':
      return `network-traffic:src_ref.x_bulwark_country = ${quote(v)}`;
    case 'path':
      return `network-traffic:extensions.'http-request-ext'.request_value MATCHES ${quote(pathRegex(v))}`;
    case 'user_agent':
      return `network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = ${quote(v)}`;
    case 'fingerprint':
      return `network-traffic:x_bulwark_header_fingerprint = ${quote(v)}`;
    default:
      return null;
  }
}

/** The STIX pattern of a rule's match (dimension → value), or null when a dimension has no translation. */
export function rulePattern(match: Readonly<Record<string, string | number>>): string | null {
  const parts: string[] = [];
  for (const [d, v] of Object.entries(match).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const c = comparison(d, v);
    if (c === null) return null;
    parts.push(c);
  }
  return parts.length === 0 ? null : `[${parts.join(' AND ')}]`;
}
