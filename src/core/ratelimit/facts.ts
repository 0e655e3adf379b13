/**
 * What the rate limits may key on and match against: the slice of the identify phase's output they need.
 * The pipeline adapts its request context to this shape; tests build it by hand.
 */
import type { ParsedIp } from '../net/ip.ts';

export interface RequestFacts {
  /** Client address, normalised (e.g. `'203.0.113.7'`, `'2001:db8::1'`). */
  readonly address: string;
  /** The address's aggregation prefix (e.g. `'203.0.113.0/24'`, `'2001:db8::/64'`). */
  readonly prefix: string;
  /** Autonomous system number, or null when unknown. */
  readonly asn: number | null;
  /** ISO 3166-1 alpha-2 country code, or null when unknown. */
  readonly country: string | null;
  /** Header fingerprint (stable across header values, see identify). */
  readonly fingerprint: string;
  /** Name of the protected site the request is for. */
  readonly site: string;
  /** Request method, upper case as received (`'GET'`). */
  readonly method: string;
  /** Request path without the query string (`'/login'`). */
  readonly path: string;
  /**
   * `address` parsed (src/core/net/ip.ts `parseIp`) when the caller has it; absent or null: limits keyed
   * by address parse it themselves. Must be the parse of `address` when given.
   */
  readonly ip?: ParsedIp | null;
  /** Value of a request header (lower-case name), or undefined when absent. */
  header(name: string): string | undefined;
}
