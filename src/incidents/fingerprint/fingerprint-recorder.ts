/**
 * What an open incident's fingerprint needs beyond the accumulator's summary: the HTTP methods of its
 * uncleared requests and its rate profile over time, second by second, in bounded memory (a fixed set of
 * method names plus `OTHER`, and a rate profile of at most DEFAULT_PROFILE_BUCKETS buckets). A continued
 * incident (after a restart) starts from its stored fingerprint.
 */
import type { AttackFingerprint, RateProfile } from './fingerprint-types.ts';
import { createRateProfileRecorder } from './rate-profile.ts';

/**
 * Method names counted by name (RFC 9110 section 9 and PATCH, RFC 5789); any other token counts as
 * `OTHER`, so a flood of made-up methods cannot grow the table.
 */
export const COUNTED_METHODS: readonly string[] = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'];
const KNOWN = new Set(COUNTED_METHODS);

/** The name a method is counted under: itself when it is one of COUNTED_METHODS (any case), else `OTHER`. */
export function methodKey(method: string): string {
  if (KNOWN.has(method)) return method;
  const upper = method.toUpperCase();
  return KNOWN.has(upper) ? upper : 'OTHER';
}

/** One open incident's methods and rate profile. */
export interface FingerprintRecorder {
  /** Adds a second: its request rate, and the uncleared requests by method seen since the last call. */
  observe(rps: number, methods: Readonly<Record<string, number>> | undefined): void;
  /** Uncleared requests by method so far. */
  methods(): Record<string, number>;
  rateProfile(): RateProfile;
}

/** Creates the recorder, continuing `prior` (the incident's stored fingerprint) when given. */
export function createFingerprintRecorder(prior?: AttackFingerprint | null): FingerprintRecorder {
  const counts = new Map<string, number>();
  const v = prior?.attack_vectors[0];
  if (v !== undefined) for (const [m, share] of Object.entries(v.http_method)) counts.set(methodKey(m), Math.round(share * v.nr_requests));
  const profile = createRateProfileRecorder(undefined, prior?.rate_profile);
  return {
    observe(rps, methods) {
      profile.add(rps);
      if (methods === undefined) return;
      for (const [m, n] of Object.entries(methods)) {
        if (!(n > 0)) continue;
        const k = methodKey(m);
        counts.set(k, (counts.get(k) ?? 0) + n);
      }
    },
    methods: () => Object.fromEntries(counts),
    rateProfile: () => profile.profile(),
  };
}
