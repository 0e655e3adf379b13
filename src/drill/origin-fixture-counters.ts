/**
 * What the origin fixture counts: requests in total, per path, per status, per source and per class;
 * concurrency now and at its peak; the per-second request rate and its peak; 503s from over capacity;
 * WebSocket upgrades and frames; and the last `X-Forwarded-For` / `X-Request-Id` values it saw. Every
 * table is capped (per-path and per-source tables overflow into `other`, recorded headers are a ring).
 */
import type { IncomingMessage } from 'node:http';
import { createKeyedCounter, createRateSeries, type RatePoint } from './stats.ts';
import { roleOfAddress } from './source-pool.ts';

/** A snapshot of the fixture's counters (see {@link OriginFixtureCounters.snapshot}). */
export interface OriginFixtureStats {
  /** HTTP requests received, over-capacity ones and WebSocket upgrades included. */
  readonly requests: number;
  readonly byPath: Readonly<Record<string, number>>;
  /** Statuses of completed responses, plus `reset` / `hang` / `aborted` for requests without one. */
  readonly byStatus: Readonly<Record<string, number>>;
  /** Requests per effective client address (rightmost X-Forwarded-For entry, else the socket peer). */
  readonly bySource: Readonly<Record<string, number>>;
  /** Requests per label of the `classify` option (e.g. attack / visitor); empty without it. */
  readonly byClass: Readonly<Record<string, number>>;
  readonly distinctSources: number;
  /** Admitted requests in flight now. */
  readonly concurrent: number;
  /**
   * Highest concurrency seen, counting a request that arrived over capacity (and got 503) at its arrival:
   * so `peakConcurrency > capacity` exactly when `overCapacity > 0`.
   */
  readonly peakConcurrency: number;
  readonly peakRps: number;
  readonly overCapacity: number;
  readonly failuresInjected: Readonly<Record<string, number>>;
  readonly websocketUpgrades: number;
  readonly websocketFrames: number;
  readonly bodyBytesIn: number;
  readonly bodyBytesOut: number;
  /** Table fill levels: distinct keys held against their cap, and whether they overflowed. */
  readonly fill: Readonly<Record<'byPath' | 'bySource' | 'byClass', { keys: number; cap: number; overflowed: boolean }>>;
  /** The most recent header values seen (up to the `maxRecorded` cap, oldest first). */
  readonly seen: { readonly forwardedFor: readonly string[]; readonly requestIds: readonly string[] };
}

/** The mutable counters behind the fixture. */
export interface OriginFixtureCounters {
  /** Counts an arriving request (before the capacity check). */
  arrive(req: IncomingMessage, path: string, nowMs: number): void;
  /** Counts an admitted request; returns the function that marks it finished (idempotent). */
  admit(): () => void;
  /** Counts a request refused for being over capacity. */
  refuseOverCapacity(): void;
  concurrent(): number;
  status(status: number | 'reset' | 'hang' | 'aborted'): void;
  failure(mode: string): void;
  websocketUpgrade(): void;
  websocketFrame(): void;
  bodyIn(bytes: number): void;
  bodyOut(bytes: number): void;
  rateSeries(nowMs: number): RatePoint[];
  snapshot(): OriginFixtureStats;
  reset(): void;
}

/** Caps of the counters' tables. */
export interface CounterCaps {
  /** Distinct paths / sources / classes kept. Default 10 000 each. */
  readonly maxTrackedKeys?: number;
  /** Header values remembered (ring). Default 10 000. */
  readonly maxRecorded?: number;
  readonly classify?: (req: IncomingMessage) => string;
}

/** Creates the fixture's counters. */
export function createOriginFixtureCounters(caps: CounterCaps = {}): OriginFixtureCounters {
  const maxKeys = caps.maxTrackedKeys ?? 10_000;
  const byPath = createKeyedCounter(maxKeys);
  const bySource = createKeyedCounter(maxKeys);
  const byClass = createKeyedCounter(maxKeys);
  const byStatus = createKeyedCounter(256);
  const failures = createKeyedCounter(16);
  const rate = createRateSeries(600);
  const forwardedFor = createRing(caps.maxRecorded ?? 10_000);
  const requestIds = createRing(caps.maxRecorded ?? 10_000);
  let c = { requests: 0, concurrent: 0, peak: 0, overCapacity: 0, wsUp: 0, wsFrames: 0, bytesIn: 0, bytesOut: 0 };
  const zero = { ...c };
  return {
    arrive(req, path, nowMs) {
      c.requests++;
      byPath.add(path);
      rate.add(nowMs);
      const xff = req.headers['x-forwarded-for'];
      const rid = req.headers['x-request-id'];
      if (typeof xff === 'string') forwardedFor.push(xff);
      if (typeof rid === 'string') requestIds.push(rid);
      bySource.add(effectiveSource(req));
      if (caps.classify) byClass.add(caps.classify(req));
    },
    admit() {
      c.concurrent++;
      if (c.concurrent > c.peak) c.peak = c.concurrent;
      let done = false;
      return () => {
        if (done) return;
        done = true;
        c.concurrent--;
      };
    },
    refuseOverCapacity() {
      c.overCapacity++;
      if (c.concurrent + 1 > c.peak) c.peak = c.concurrent + 1;
    },
    concurrent: () => c.concurrent,
    status: (s) => byStatus.add(s),
    failure: (mode) => failures.add(mode),
    websocketUpgrade: () => void c.wsUp++,
    websocketFrame: () => void c.wsFrames++,
    bodyIn: (n) => void (c.bytesIn += n),
    bodyOut: (n) => void (c.bytesOut += n),
    rateSeries: (nowMs) => rate.series(nowMs),
    snapshot: () => ({
      requests: c.requests,
      byPath: byPath.snapshot(),
      byStatus: byStatus.snapshot(),
      bySource: bySource.snapshot(),
      byClass: byClass.snapshot(),
      distinctSources: bySource.fill().keys,
      concurrent: c.concurrent,
      peakConcurrency: c.peak,
      peakRps: rate.peak(),
      overCapacity: c.overCapacity,
      failuresInjected: failures.snapshot(),
      websocketUpgrades: c.wsUp,
      websocketFrames: c.wsFrames,
      bodyBytesIn: c.bytesIn,
      bodyBytesOut: c.bytesOut,
      fill: { byPath: byPath.fill(), bySource: bySource.fill(), byClass: byClass.fill() },
      seen: { forwardedFor: forwardedFor.values(), requestIds: requestIds.values() },
    }),
    reset() {
      c = { ...zero, concurrent: c.concurrent, peak: c.concurrent };
      for (const t of [byPath, bySource, byClass, byStatus, failures]) t.reset();
      rate.reset();
      forwardedFor.clear();
      requestIds.clear();
    },
  };
}

/**
 * The client address as the origin understands it: the rightmost `X-Forwarded-For` entry (what the last
 * proxy saw) when present, else the socket's peer, with `::ffff:` removed from IPv4-mapped addresses.
 */
export function effectiveSource(req: IncomingMessage): string {
  const xff = req.headers['x-forwarded-for'];
  if (typeof xff === 'string' && xff.trim() !== '') {
    const parts = xff.split(',');
    return parts[parts.length - 1].trim();
  }
  const peer = req.socket.remoteAddress ?? 'unknown';
  return peer.startsWith('::ffff:') ? peer.slice(7) : peer;
}

/**
 * A `classify` function for the fixture: labels each request `attack`, `visitor` or `other` from its
 * effective source (see {@link effectiveSource} and source-pool's `roleOfAddress`), so the drill can count
 * attack requests that reached the origin apart from visitors'.
 */
export function classifyByRole(req: IncomingMessage): string {
  return roleOfAddress(effectiveSource(req));
}

function createRing(cap: number): { push(v: string): void; values(): string[]; clear(): void } {
  let items: string[] = [];
  let next = 0;
  return {
    push(v) {
      if (items.length < cap) items.push(v);
      else items[next] = v;
      next = (next + 1) % cap;
    },
    values: () => (items.length < cap ? items.slice() : [...items.slice(next), ...items.slice(0, next)]),
    clear() {
      items = [];
      next = 0;
    },
  };
}
