/**
 * `ipv6-rotation` — docs/threats.md "IPv6 rotation": every request claims a new address inside one /64, told
 * to Bulwark through `X-Forwarded-For` from 127.0.0.1 — the drill configures Bulwark to trust 127.0.0.1/32
 * as a proxy for this scenario only (attackers must not be able to pick their address otherwise).
 * Repelled: limits apply per prefix (/64), not per address.
 */
import { runIpv6Rotation } from '../attackers/ipv6-rotation.ts';
import { figuresOfFlood } from './figures.ts';
import { commonCriteria, mitigatedWithin } from './criteria.ts';
import { ARTICLE_PAGES, floodBase } from './site.ts';
import type { Scenario } from './context.ts';

/** The /64 the attack rotates in (documentation prefix, RFC 3849). */
export const ROTATION_PREFIX = '2001:db8:1234:5678::/64';
/** The one address the "proxy" sends from; the only one Bulwark trusts in this scenario. */
export const TRUSTED_PROXY = '127.0.0.1';

/** The `ipv6-rotation` scenario: defaults, what repelled means, the attack (see the module comment). */
export const ipv6Rotation: Scenario = {
  name: 'ipv6-rotation',
  summary: 'new IPv6 address per request in one /64, via X-Forwarded-For from a trusted loopback proxy',
  repelledMeans: 'limits apply per /64 prefix, not per address (mitigated within 10 s)',
  kind: 'requests',
  defaults: { durationS: 20, rate: 1000, sources: 1 },
  bulwarkConfig(config) {
    const trusted = Array.isArray(config.trusted_proxies) ? (config.trusted_proxies as string[]) : [];
    return { ...config, trusted_proxies: [...new Set([...trusted, `${TRUSTED_PROXY}/32`])] };
  },
  async run(ctx) {
    const r = await runIpv6Rotation({ ...floodBase(ctx), sources: [TRUSTED_PROXY], prefix: ROTATION_PREFIX, paths: { kind: 'fixed', paths: ['/', ...ARTICLE_PAGES] } });
    return { attack: figuresOfFlood(r), sentPerSecond: r.sentPerSecond, stoppedBy: r.stoppedBy, details: { prefix: ROTATION_PREFIX, proxy: TRUSTED_PROXY, latency: r.latency } };
  },
  judge: (f) => [...commonCriteria(f), mitigatedWithin(f, 10)],
};
