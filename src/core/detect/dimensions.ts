/**
 * The dimensions along which the detector looks for heavy hitters, learns baseline shares and proposes
 * signature rules. Keys are strings except `asn` (a number).
 * - `address`: the client address; `prefix`: its /24 or /64; `asn`, `country`: offline data;
 * - `path`: the normalised path without query; `userAgent`: the raw User-Agent;
 * - `fingerprint`: the header-order fingerprint, stable across user-agent rotation.
 */
export type Dimension = 'address' | 'prefix' | 'asn' | 'country' | 'path' | 'userAgent' | 'fingerprint';

/** Every dimension, in a fixed order (the index is used for typed arrays). */
export const DIMENSIONS: readonly Dimension[] = ['address', 'prefix', 'asn', 'country', 'path', 'userAgent', 'fingerprint'];

/** Dimensions describing the network an attack comes from (used to tell the same actor from a copycat). */
export const NETWORK_DIMENSIONS: readonly Dimension[] = ['address', 'prefix', 'asn', 'country'];

/** Dimensions describing what an attack does (paths, tooling), which a copycat can imitate. */
export const PATTERN_DIMENSIONS: readonly Dimension[] = ['path', 'userAgent', 'fingerprint'];

/** A value per dimension. */
export type ByDimension<T> = Record<Dimension, T>;

/** Builds a ByDimension record with make(dimension) for each dimension. */
export function byDimension<T>(make: (dimension: Dimension) => T): ByDimension<T> {
  return {
    address: make('address'),
    prefix: make('prefix'),
    asn: make('asn'),
    country: make('country'),
    path: make('path'),
    userAgent: make('userAgent'),
    fingerprint: make('fingerprint'),
  };
}
