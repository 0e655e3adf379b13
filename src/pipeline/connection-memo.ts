/**
 * What Bulwark remembers about a keep-alive connection from one request to the next, in one object per
 * socket. Clients (and floods) repeat themselves on a connection: the same Host, the same peer, the same
 * header names, the same URL; each phase keeps what it learnt here and checks on the next request that
 * it still applies.
 *
 * One object with every field present from the start, under one symbol: a socket gains exactly one
 * property, so all sockets keep one shape — node:http reads socket fields on every request, and sockets
 * that gained different sets of properties in different orders would make those reads polymorphic.
 *
 * Each field has one owner, which alone decides when its value is still valid:
 * - `bytesRead`, `bytesWritten`: the record (pipeline/context.ts, takeSocketBytes);
 * - `route`: parse (the last valid Host and its site);
 * - `peer`, `fingerprint`: identify (the peer's address, prefix and geo; the last header fingerprint);
 * - `lane`, `laneMisses`, `laneSkips`: the refusal lane (pipeline/lane/refusal-lane.ts) and its backoff
 *   on a connection whose requests vary;
 * - `wire`: the wire (edge/wire/wire.ts keeps its `WireTap` here; undefined until first armed, null
 *   when the connection cannot have one). The pipeline never reads it, so it is typed as an opaque
 *   object here: the wire sits above the pipeline and its type is the wire's own business;
 * - `head`: lane answers at the parsed head (edge/wire/head-hook.ts keeps its per-connection state
 *   here; null on a connection it is not attached to), opaque here for the same reason as `wire`;
 * - `cacheKey`: the shield (the last normalised target and cache key).
 */
import type { Socket } from 'node:net';
import type { CacheKeyMemo } from './shield/shield-flow.ts';
import type { Lane } from './lane/refusal-lane.ts';
import type { LastFingerprint, PeerIdentity } from './phases/identify.ts';
import type { LastRoute } from './phases/parse.ts';

export class ConnectionMemo {
  /** Socket byte counters at the connection's previous record. */
  bytesRead = 0;
  bytesWritten = 0;
  route: LastRoute | null = null;
  peer: PeerIdentity | null = null;
  fingerprint: LastFingerprint | null = null;
  lane: Lane | null = null;
  /** Lanes in a row that closed because a request did not repeat the one that opened them (capped). */
  laneMisses = 0;
  /** Refusals still to come on this connection that open no lane (backoff after `laneMisses`). */
  laneSkips = 0;
  wire: object | null | undefined = undefined;
  head: object | null = null;
  cacheKey: CacheKeyMemo | null = null;
}

const kMemo = Symbol('bulwark.connection');
type SocketWithMemo = Socket & { [kMemo]?: ConnectionMemo };

/** The connection's memo if it has one (a socket no Bulwark server handled has none). */
export function connectionMemoIfAny(socket: Socket): ConnectionMemo | undefined {
  return (socket as SocketWithMemo)[kMemo];
}

/** The connection's memo, created on its first request. */
export function connectionMemo(socket: Socket): ConnectionMemo {
  const s = socket as SocketWithMemo;
  let memo = s[kMemo];
  if (memo === undefined) s[kMemo] = memo = new ConnectionMemo();
  return memo;
}
