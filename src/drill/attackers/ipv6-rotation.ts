/**
 * IPv6 rotation: every request claims a new IPv6 address inside one /64 (or /48) prefix, through an
 * `X-Forwarded-For` header sent from loopback — Bulwark is configured to trust loopback as a proxy, so
 * it takes the header as the client address. "Repelled" means limits apply per prefix, not per address.
 */
import { runHttpFlood, type FloodOptions } from './http-flood.ts';
import { flatHeaders, nextHeaders, nextPath, type HeaderMode, type PathMode, type Random } from './traffic-shapes.ts';
import type { AttackResult } from './attack-result.ts';
import { DrillError } from '../errors.ts';

/** Options of {@link runIpv6Rotation}. */
export interface Ipv6RotationOptions extends FloodOptions {
  /** The prefix rotated within, e.g. `2001:db8:1234:5678::/64` (default) or `2001:db8:42::/48`. */
  readonly prefix?: string;
  /** Default `{ kind: 'fixed', paths: ['/'] }`. */
  readonly paths?: PathMode;
  /** Default `{ kind: 'browser' }`. */
  readonly headers?: HeaderMode;
}

/** Runs the rotation flood until its bounds stop it. */
export function runIpv6Rotation(options: Ipv6RotationOptions): Promise<AttackResult> {
  const paths = options.paths ?? { kind: 'fixed', paths: ['/'] };
  const headers = options.headers ?? { kind: 'browser' };
  const prefix = parsePrefix(options.prefix ?? '2001:db8:1234:5678::/64');
  return runHttpFlood('ipv6_rotation', options, (_i, random) => ({
    method: 'GET',
    path: nextPath(paths, random),
    headers: [...flatHeaders(nextHeaders(headers, random)), 'x-forwarded-for', addressInPrefix(prefix, random)],
  }));
}

/** A parsed /48 or /64 prefix: its fixed 16-bit groups. */
export interface Ipv6Prefix {
  readonly groups: readonly number[];
  readonly length: 48 | 64;
}

/** Parses `a:b:c[:d]::/48|64`; throws `BULWARK_ERR_DRILL_BOUNDS` for anything else. */
export function parsePrefix(text: string): Ipv6Prefix {
  const m = /^([0-9a-f:]+)::\/(48|64)$/i.exec(text);
  const groups = m?.[1].split(':').map((g) => parseInt(g, 16)) ?? [];
  const length = Number(m?.[2]) as 48 | 64;
  if (!m || groups.length > length / 16 || groups.some((g) => !(g >= 0 && g <= 0xffff))) {
    throw new DrillError('BULWARK_ERR_DRILL_BOUNDS', `prefix ${JSON.stringify(text)} is not an IPv6 /48 or /64 written as a:b:c[:d]::/len`);
  }
  while (groups.length < length / 16) groups.push(0);
  return { groups, length };
}

/** A random address inside the prefix, in full (uncompressed) form. */
export function addressInPrefix(prefix: Ipv6Prefix, random: Random): string {
  const groups = [...prefix.groups];
  while (groups.length < 8) groups.push(Math.floor(random() * 0x10000));
  return groups.map((g) => g.toString(16)).join(':');
}
