/**
 * Test helpers for the policy core: request facts built by hand, with defaults for every field.
 */
import type { ClientClass, ThreatLevel } from '../vocabulary.ts';
import type { DecideFacts } from './facts.ts';

/** Overridable fields of {@link makeFacts}; `headers` are lower-case names. */
export interface FactsInit {
  address?: string;
  prefix?: string;
  asn?: number | null;
  country?: string | null;
  fingerprint?: string;
  site?: string;
  method?: string;
  host?: string;
  path?: string;
  query?: string;
  uaClass?: ClientClass;
  cleared?: boolean;
  threatLevel?: ThreatLevel;
  rateAddress?: number;
  ratePrefix?: number;
  headers?: Record<string, string | string[]>;
}

/** Request facts for tests: a browser GET / from 203.0.113.7 on site `example` unless overridden. */
export function makeFacts(init: FactsInit = {}): DecideFacts {
  const headers: Record<string, string | string[]> = init.headers ?? { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0', accept: '*/*' };
  return {
    address: init.address ?? '203.0.113.7',
    prefix: init.prefix ?? '203.0.113.0/24',
    asn: init.asn === undefined ? 64496 : init.asn,
    country: init.country === undefined ? 'DE' : init.country,
    fingerprint: init.fingerprint ?? 'ge11nnl09_000000000000',
    site: init.site ?? 'example',
    method: init.method ?? 'GET',
    host: init.host ?? 'example.org',
    path: init.path ?? '/',
    query: init.query ?? '',
    uaClass: init.uaClass ?? 'browser',
    cleared: init.cleared ?? false,
    threatLevel: init.threatLevel ?? 'normal',
    rateAddress: init.rateAddress ?? 0,
    ratePrefix: init.ratePrefix ?? 0,
    headers,
    header(name: string): string | undefined {
      const v = headers[name];
      return Array.isArray(v) ? v.join(', ') : v;
    },
  };
}
