/**
 * The TLS handshake cap at accept. A full handshake costs the server a private-key signature and a key
 * exchange — far more than answering a request — so a flood of new TLS connections is refused before
 * the handshake starts: each client address, and each prefix (`identify.prefix_v4` / `prefix_v6`, so
 * an IPv6 host rotating addresses in its /64 counts once), may start `burst` handshakes at once and
 * `rate` a second after that (GCRA in the shared limiter table: fixed memory, and eviction never
 * gives a source a fresh bucket). A refused connection is closed at once (one `destroy()`), counted,
 * and counted toward the client's escalation like any refusal, so a source that keeps flooding is
 * banned and dropped at accept. Trusted proxies and allow-listed addresses are never capped.
 */
import type { Socket } from 'node:net';
import type { TlsConfig } from '../../config/tls-schema.ts';
import { normalizeAddress } from '../../core/identify/client-address.ts';
import { parseIp, prefixKeyOf } from '../../core/net/ip.ts';
import { compileGcra, type GcraLimit, type LimiterTable } from '../../core/ratelimit/index.ts';

export type HandshakeScope = 'address' | 'prefix';

export interface HandshakeGateDeps {
  table(): LimiterTable;
  config(): { handshakes: TlsConfig['handshakes']; prefixV4: number; prefixV6: number };
  /** Never capped: trusted proxies, allow-listed sources. */
  exempt(address: string): boolean;
  /** A handshake refused (for escalation). */
  refused(address: string, prefix: string, scope: HandshakeScope, nowMs: number): void;
  now(): number;
}

export interface HandshakeGateStats {
  readonly admitted: number;
  readonly refused_address: number;
  readonly refused_prefix: number;
}

export interface HandshakeGate {
  /** Decides on a socket of a TLS listener before its handshake; destroys it and returns false when refused. */
  admit(socket: Socket): boolean;
  stats(): HandshakeGateStats;
}

interface Compiled {
  readonly key: string;
  readonly address: GcraLimit | null;
  readonly prefix: GcraLimit | null;
}

export function createHandshakeGate(deps: HandshakeGateDeps): HandshakeGate {
  let compiled: Compiled | null = null;
  const counts = { admitted: 0, refusedAddress: 0, refusedPrefix: 0 };

  function limits(h: TlsConfig['handshakes']): Compiled {
    const key = JSON.stringify(h);
    if (compiled === null || compiled.key !== key) {
      const gcra = (b: { rate: number; burst: number } | null) => (b === null ? null : compileGcra({ average: b.rate, period: 1000, burst: b.burst }));
      compiled = { key, address: gcra(h.per_address), prefix: gcra(h.per_prefix) };
    }
    return compiled;
  }

  return {
    admit(socket) {
      const c = deps.config();
      const l = limits(c.handshakes);
      if (l.address === null && l.prefix === null) return true;
      const address = normalizeAddress(socket.remoteAddress ?? '') ?? '';
      if (address === '' || deps.exempt(address)) return true;
      const ip = parseIp(address);
      const prefix = ip === null ? address : prefixKeyOf(ip, ip.family === 6 ? c.prefixV6 : c.prefixV4);
      const table = deps.table();
      const now = deps.now();
      const aKey = `tls-handshake|a|${address}`;
      const pKey = `tls-handshake|p|${prefix}`;
      let scope: HandshakeScope | null = null;
      if (l.address !== null && !table.check(aKey, l.address, now, 1, 'peek').allowed) scope = 'address';
      else if (l.prefix !== null && !table.check(pKey, l.prefix, now, 1, 'peek').allowed) scope = 'prefix';
      if (scope !== null) {
        if (scope === 'address') counts.refusedAddress++;
        else counts.refusedPrefix++;
        socket.destroy();
        deps.refused(address, prefix, scope, now);
        return false;
      }
      if (l.address !== null) table.check(aKey, l.address, now);
      if (l.prefix !== null) table.check(pKey, l.prefix, now);
      counts.admitted++;
      return true;
    },
    stats: () => ({ admitted: counts.admitted, refused_address: counts.refusedAddress, refused_prefix: counts.refusedPrefix }),
  };
}
