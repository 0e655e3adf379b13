/**
 * What a ban by hand may cover. A ban is durable and is enforced at accept, before anything else, so one
 * mistyped or forged key — `0.0.0.0/0`, `::/0`, `127.0.0.0/8` — drops every client of every site,
 * loopback health checks and the operator included, and survives a restart. So every ban by hand (the
 * CLI, the admin API, the dashboard) goes through {@link checkBanScope} and is refused unless it is a
 * host or a plausible network:
 *
 * - no IPv4 prefix shorter than /8 and no IPv6 prefix shorter than /16 (nothing legitimate is banned
 *   wholesale at that size: a deny list is the place for it);
 * - nothing covering loopback (127.0.0.0/8, ::1), the admin's own clients (the address asking for the
 *   ban, and the addresses recently seen on the admin listener), the allow lists or the trusted proxies
 *   (banning the reverse proxy in front of Bulwark bans everyone behind it).
 *
 * An explicit `force` (`--force` on the CLI, `"force": true` in the API) lets an operator do it anyway;
 * the audit log records that it was forced.
 */
import { readFileSync } from 'node:fs';
import { checkCidr, cidrsOverlap, type Cidr } from '../core/net/cidr.ts';
import { parseListText, type ListFormat } from '../core/net/list-formats.ts';
import { BulwarkError } from '../core/errors.ts';
import { parseBanKey, type BanKey } from '../stores/index.ts';

/** The shortest IPv4 prefix a ban may have without `force`: /8. */
export const MIN_BAN_BITS_V4 = 8;
/** The shortest IPv6 prefix a ban may have without `force`: /16. */
export const MIN_BAN_BITS_V6 = 16;

/** Why a range may not be banned without `force`. */
export type ProtectedBanReason = 'loopback' | 'admin_client' | 'allow_list' | 'trusted_proxy';

/** A range a ban must not cover, with why. */
export interface ProtectedBanRange {
  readonly cidr: Cidr;
  readonly reason: ProtectedBanReason;
}

/** The ranges every ban is checked against (see the module comment). */
export interface BanScopeGuard {
  readonly ranges: readonly ProtectedBanRange[];
}

const LOOPBACK: readonly ProtectedBanRange[] = [
  { cidr: checkCidr('127.0.0.0/8') as Cidr, reason: 'loopback' },
  { cidr: checkCidr('::1/128') as Cidr, reason: 'loopback' },
];

/**
 * Compiles the protected ranges: loopback always, plus the allow-list entries and trusted proxies given
 * (IPs or CIDRs; entries that do not parse are ignored here — config validation reports them). Host
 * bits are tolerated, as in the trusted-proxy list.
 */
export function createBanScopeGuard(input: { readonly allow?: readonly string[]; readonly trustedProxies?: readonly string[] } = {}): BanScopeGuard {
  const ranges: ProtectedBanRange[] = [...LOOPBACK];
  const add = (list: readonly string[] | undefined, reason: ProtectedBanReason) => {
    for (const text of list ?? []) {
      const c = checkCidr(text.trim(), true);
      if (typeof c !== 'string') ranges.push({ cidr: c, reason });
    }
  };
  add(input.allow, 'allow_list');
  add(input.trustedProxies, 'trusted_proxy');
  return { ranges };
}

/** What a ban asked for, and who asked. */
export interface BanScopeRequest {
  readonly key: string;
  /** Addresses of the admin's own clients: the one asking, and recent admin clients. */
  readonly clients?: readonly string[];
  /** The operator said explicitly that this ban is meant (`--force`, `"force": true`). */
  readonly force?: boolean;
}

function refuse(message: string): never {
  throw new BulwarkError('BULWARK_ERR_BAN_TOO_WIDE', message, { source: 'operator', publicReason: message });
}

const REASON_TEXT: Record<ProtectedBanReason, string> = {
  loopback: 'loopback (health checks, the admin, local clients)',
  admin_client: 'an address the admin plane is used from',
  allow_list: 'an allow-list entry',
  trusted_proxy: 'a trusted proxy (every client behind it would be banned)',
};

/**
 * Checks a ban key against the guard. Returns the canonical key when the ban is allowed (always, with
 * `force`, once it parses); throws BULWARK_ERR_BAN_INVALID for text that is no address or prefix and
 * BULWARK_ERR_BAN_TOO_WIDE (source `operator`, answered 400) naming what the ban would cover.
 */
export function checkBanScope(guard: BanScopeGuard, request: BanScopeRequest): BanKey {
  const parsed = parseBanKey(request.key);
  if (parsed === null) throw new BulwarkError('BULWARK_ERR_BAN_INVALID', `not an IP address or prefix: ${request.key}`, { source: 'operator' });
  if (request.force === true) return parsed;
  const min = parsed.family === 4 ? MIN_BAN_BITS_V4 : MIN_BAN_BITS_V6;
  if (parsed.bits < min) {
    refuse(`${parsed.key} is wider than a /${min}: a ban that size drops a large part of the Internet; use a deny list, or --force if you mean it`);
  }
  const cidr = checkCidr(parsed.key, true) as Cidr;
  const clients: ProtectedBanRange[] = [];
  for (const text of request.clients ?? []) {
    const c = checkCidr(text, true);
    if (typeof c !== 'string') clients.push({ cidr: c, reason: 'admin_client' });
  }
  for (const r of [...guard.ranges, ...clients]) {
    if (cidrsOverlap(cidr, r.cidr)) refuse(`${parsed.key} covers ${r.cidr.text}, ${REASON_TEXT[r.reason]}; --force if you mean it`);
  }
  return parsed;
}

/** The parts of a config the guard is built from. */
export interface BanGuardConfig {
  readonly trusted_proxies: readonly string[];
  readonly lists: { readonly allow: readonly string[]; readonly files: ReadonlyArray<{ readonly path: string; readonly kind: 'allow' | 'deny'; readonly format: string }> };
}

/**
 * The guard for a config: loopback, the config's trusted proxies, its inline allow entries and the
 * entries of its allow-list files (read now; a file that cannot be read is skipped — config validation
 * and the runtime report it).
 */
export function banScopeGuardFromConfig(config: BanGuardConfig, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): BanScopeGuard {
  const allow: string[] = [...config.lists.allow];
  for (const f of config.lists.files) {
    if (f.kind !== 'allow') continue;
    let text: string;
    try {
      text = readFile(f.path);
    } catch {
      continue;
    }
    for (const e of parseListText(text, { format: f.format as ListFormat | 'auto' }).entries) allow.push(e.cidr.text);
  }
  return createBanScopeGuard({ allow, trustedProxies: config.trusted_proxies });
}
