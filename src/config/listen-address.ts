import { isIP } from 'node:net';

/** A parsed `host:port` listen address. `host` is an IP literal (IPv6 without brackets). */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * Parses `127.0.0.1:8080`, `[::1]:8080`, `0.0.0.0:80`, `[::]:443` or `localhost:8080` (→ 127.0.0.1).
 * Hostnames other than `localhost` are refused: a listener binds an address, and resolving names at
 * start-up makes the bound address depend on DNS. Returns null when invalid.
 */
export function parseListenAddress(text: string): ListenAddress | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text.trim());
  if (!m) return null;
  let host = (m[1] ?? m[2])!;
  if (host === 'localhost') host = '127.0.0.1';
  const port = Number(m[3]);
  if (port > 65535) return null;
  if (m[1] !== undefined ? isIP(host) !== 6 : isIP(host) !== 4) return null;
  return { host, port };
}

/** True for 127.0.0.0/8 and ::1 (and the IPv4-mapped form of 127/8). */
export function isLoopbackHost(host: string): boolean {
  if (host === '::1') return true;
  const v4 = host.startsWith('::ffff:') ? host.slice(7) : host;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

export function formatListenAddress(a: ListenAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
