/**
 * Clients that send from chosen source addresses in 127.0.0.0/8, so one process can act as thousands of
 * distinct clients (Linux routes all of 127.0.0.0/8 to `lo`; binding any address in it needs no setup).
 *
 * - {@link sourceAddress}: the i-th source address of a range, spread one per address, inside one /24,
 *   or one per /24. Attackers use {@link ATTACKER_BLOCK}, visitors {@link VISITOR_BLOCK}, so the two are
 *   told apart by address.
 * - {@link createSourcePool}: a bounded LRU of undici Agents, one per source address (`localAddress` is a
 *   TOP-LEVEL Agent option: inside `connect` undici silently ignores it).
 * - {@link connectRaw}: a node:net socket bound to a source address, for byte-level clients.
 */
import net from 'node:net';
import type { Agent, Dispatcher } from 'undici';
import { undici } from '../runtime/undici-modules.ts';
import { assertLoopbackHost, isLoopbackAddress, resolveLoopbackTarget } from './loopback-guard.ts';
import { DrillError } from './errors.ts';

/**
 * How consecutive indexes map to addresses: `per_address` fills each /24 (254 hosts) before the next;
 * `same_24` keeps all in one /24 (at most 254); `many_24` puts each index in its own /24 (at most
 * 256 × blocks).
 */
export type SourceSpread = 'per_address' | 'same_24' | 'many_24';

/** Second octet where attacker addresses start: 127.1.0.0 onwards. */
export const ATTACKER_BLOCK = 1;
/** Second octet where visitor addresses start: 127.250.0.0 – 127.255.255.255. */
export const VISITOR_BLOCK = 250;

/** Options of {@link sourceAddress}. */
export interface SourceRange {
  /** Default 'per_address'. */
  readonly spread?: SourceSpread;
  /** Second octet the range starts at (1..255). Default {@link ATTACKER_BLOCK}. 127.0.0.0/24 is never used. */
  readonly block?: number;
}

/**
 * The i-th source address of a range. Never returns an address in 127.0.0.0/24 (127.0.0.1 and local
 * resolvers live there) nor a `.0` or `.255` host. Throws `BULWARK_ERR_DRILL_SOURCE_RANGE` when `i` does
 * not fit in the range before 127.255.255.255, or when a range starting below the visitor block would
 * run into it (so attackers never share addresses with visitors).
 */
export function sourceAddress(i: number, range: SourceRange = {}): string {
  const spread = range.spread ?? 'per_address';
  const block = range.block ?? ATTACKER_BLOCK;
  if (!Number.isSafeInteger(i) || i < 0) throw rangeError(`index ${i} is not a non-negative integer`);
  if (!Number.isInteger(block) || block < 1 || block > 255) throw rangeError(`block ${block} is not in 1..255`);
  let net24: number; // index of the /24 inside 127.0.0.0/8: second octet × 256 + third octet
  let host: number;
  if (spread === 'same_24') {
    if (i >= 254) throw rangeError(`same_24 holds 254 addresses, index ${i} asked`);
    net24 = block * 256;
    host = i + 1;
  } else if (spread === 'many_24') {
    net24 = block * 256 + i;
    host = (i % 254) + 1;
  } else {
    net24 = block * 256 + Math.floor(i / 254);
    host = (i % 254) + 1;
  }
  if (net24 > 65535) throw rangeError(`index ${i} runs past 127.255.255.255 (${spread}, block ${block})`);
  if (block < VISITOR_BLOCK && net24 >= VISITOR_BLOCK * 256) throw rangeError(`index ${i} runs into the visitor block 127.${VISITOR_BLOCK}.0.0 (${spread}, block ${block})`);
  return `127.${net24 >> 8}.${net24 & 255}.${host}`;
}

/**
 * Who an address belongs to in a drill: `visitor` inside {@link VISITOR_BLOCK}…127.255.255.255, `other`
 * in 127.0.0.0/24 (health checks, the proxy itself), `attack` for everything else — including the IPv6
 * addresses the rotation attack claims. For the origin fixture's `classify` option.
 */
export function roleOfAddress(address: string): 'attack' | 'visitor' | 'other' {
  const m = /^(?:::ffff:)?127\.(\d+)\.(\d+)\.\d+$/.exec(address);
  if (!m) return 'attack';
  const b = Number(m[1]);
  if (b >= VISITOR_BLOCK) return 'visitor';
  return b === 0 && m[2] === '0' ? 'other' : 'attack';
}

/** The first `n` addresses of a range (see {@link sourceAddress}). */
export function sourceAddresses(n: number, range: SourceRange = {}): string[] {
  return Array.from({ length: n }, (_, i) => sourceAddress(i, range));
}

/**
 * Sources are IPv4 (127.0.0.0/8), so a target reached from them must be IPv4 too: throws
 * `BULWARK_ERR_DRILL_TARGET_INVALID` for an IPv6 target (use plain undici for [::1] tests).
 */
export function requireIPv4Target(target: URL): void {
  if (!net.isIPv4(target.hostname)) {
    throw new DrillError('BULWARK_ERR_DRILL_TARGET_INVALID', `sources bind 127.x.y.z, so the target must be IPv4 loopback, not ${target.host}`);
  }
}

/** Options of {@link createSourcePool}. */
export interface SourcePoolOptions {
  /** Agents kept at once; the least recently used is closed beyond it. Default 1024. */
  readonly maxAgents?: number;
  /** Connections per origin per agent. Default 4. */
  readonly connectionsPerAgent?: number;
  /** Idle keep-alive before an agent's connection closes. Default 4000 ms. */
  readonly keepAliveTimeoutMs?: number;
  /** Default 5000 ms. */
  readonly connectTimeoutMs?: number;
  /** Response headers deadline. Default 10 000 ms. */
  readonly headersTimeoutMs?: number;
  /** Idle body deadline. Default 10 000 ms. */
  readonly bodyTimeoutMs?: number;
}

/** A bounded set of undici Agents, one per source address. */
export interface SourcePool {
  /** The agent bound to `localAddress` (a loopback IPv4), created on first use, refreshed in the LRU. */
  agentFor(localAddress: string): Dispatcher;
  /** Agents held now, and the cap. */
  fill(): { readonly agents: number; readonly cap: number; readonly evicted: number };
  /** Closes every agent gracefully (in-flight requests finish). */
  close(): Promise<void>;
  /** Destroys every agent and its sockets at once. */
  destroy(): Promise<void>;
}

/**
 * Creates a pool of per-source agents. An agent evicted from the LRU is closed gracefully (its in-flight
 * requests finish), so a drill with more sources than `maxAgents` trades reuse for bounded sockets.
 */
export function createSourcePool(options: SourcePoolOptions = {}): SourcePool {
  const cap = options.maxAgents ?? 1024;
  const agents = new Map<string, Agent>();
  let evicted = 0;
  const make = (localAddress: string): Agent =>
    new (undici().Agent)({
      localAddress,
      connections: options.connectionsPerAgent ?? 4,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 4000,
      connectTimeout: options.connectTimeoutMs ?? 5000,
      headersTimeout: options.headersTimeoutMs ?? 10_000,
      bodyTimeout: options.bodyTimeoutMs ?? 10_000,
    });
  return {
    agentFor(localAddress) {
      if (!isLoopbackAddress(localAddress) || net.isIPv4(localAddress) === false) {
        throw rangeError(`source ${localAddress} is not an IPv4 address in 127.0.0.0/8`);
      }
      let agent = agents.get(localAddress);
      if (agent) {
        agents.delete(localAddress);
        agents.set(localAddress, agent);
        return agent;
      }
      if (agents.size >= cap) {
        const [oldest, old] = agents.entries().next().value as [string, Agent];
        agents.delete(oldest);
        evicted++;
        void old.close().catch(() => undefined);
      }
      agent = make(localAddress);
      agents.set(localAddress, agent);
      return agent;
    },
    fill: () => ({ agents: agents.size, cap, evicted }),
    async close() {
      const all = [...agents.values()];
      agents.clear();
      await Promise.all(all.map((a) => a.close().catch(() => undefined)));
    },
    async destroy() {
      const all = [...agents.values()];
      agents.clear();
      await Promise.all(all.map((a) => a.destroy().catch(() => undefined)));
    },
  };
}

/** Options of {@link connectRaw}. */
export interface RawConnectOptions {
  /** Loopback host (literal IP or localhost). */
  readonly host: string;
  readonly port: number;
  /** Source address to bind. */
  readonly localAddress?: string;
  /** Connect deadline. Default 5000 ms. */
  readonly timeoutMs?: number;
  /** Disable Nagle so each write leaves at once (byte-at-a-time clients). Default true. */
  readonly noDelay?: boolean;
  /** Bytes Node buffers before it stops reading from the kernel (slow readers set it low). Default Node's. */
  readonly readableHighWaterMark?: number;
  /** Gives up the connect attempt when aborted. */
  readonly signal?: AbortSignal;
}

/**
 * Opens a TCP socket to a loopback target from a chosen source; resolves once connected, rejects on a
 * non-loopback host (`BULWARK_ERR_DRILL_TARGET_NOT_LOOPBACK`), a connect error or the deadline.
 */
export async function connectRaw(options: RawConnectOptions): Promise<net.Socket> {
  assertLoopbackHost(options.host);
  const host = options.host === 'localhost' ? (await resolveLoopbackTarget('http://localhost/')).hostname.replace(/^\[|\]$/g, '') : options.host;
  return new Promise((resolve, reject) => {
    // readableHighWaterMark reaches the stream.Duplex constructor at run time; @types/node omits it here.
    const socket = net.connect({
      host,
      port: options.port,
      localAddress: options.localAddress,
      readableHighWaterMark: options.readableHighWaterMark,
    } as net.NetConnectOpts);
    socket.setNoDelay(options.noDelay ?? true);
    const timeoutMs = options.timeoutMs ?? 5000;
    const timer = setTimeout(() => fail(new DrillError('BULWARK_ERR_DRILL_CONNECT_TIMEOUT', `no connection within ${timeoutMs} ms`)), timeoutMs);
    const onAbort = (): void => fail(new DrillError('BULWARK_ERR_DRILL_CONNECT_TIMEOUT', 'connect aborted'));
    const done = (): void => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    };
    const fail = (err: Error): void => {
      done();
      socket.destroy();
      reject(err);
    };
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('error', fail);
    socket.once('connect', () => {
      done();
      socket.removeListener('error', fail);
      resolve(socket);
    });
  });
}

function rangeError(message: string): DrillError {
  return new DrillError('BULWARK_ERR_DRILL_SOURCE_RANGE', message);
}
