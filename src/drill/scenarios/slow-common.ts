/**
 * What the connection-holding scenarios (slowloris, slow POST, slow read) share: `rate` is connections
 * opened per second, and up to {@link HOLD_SECONDS} seconds' worth of them are held open at once (capped
 * by the run's socket bound); a socket the server closes is replaced, as real slowloris does, until the
 * connection budget runs out. Their figures count connections, and "repelled" is about the server freeing
 * them while visitors still get through.
 */
import type { SlowAttackResult, SlowConnectionOptions } from '../attackers/slow-connections.ts';
import type { Criterion, JudgedFigures, ScenarioContext, ScenarioOutcome } from './context.ts';
import { BOTNET_RANGE } from './site.ts';
import { figuresOfSlow } from './figures.ts';

/** Connections held at once = rate × this (capped by maxSockets). */
export const HOLD_SECONDS = 5;

/** The options every connection attack of a scenario shares; `path` is the request target. */
export function slowBase(ctx: ScenarioContext, path = '/'): SlowConnectionOptions {
  const s = ctx.settings;
  return {
    target: new URL(path, ctx.target).href,
    connections: Math.max(1, Math.min(s.maxSockets, Math.round(s.rate * HOLD_SECONDS))),
    sources: s.sources,
    sourceRange: BOTNET_RANGE,
    connectRatePerS: s.rate,
    tickMs: 1000,
    reopen: true,
    bounds: { maxRequests: s.maxRequests, maxDurationMs: s.durationS * 1000, maxSockets: s.maxSockets },
    signal: ctx.signal,
  };
}

/** A connection attack's outcome: its figures, and the closes and timings in the details. */
export function slowOutcome(r: SlowAttackResult): ScenarioOutcome {
  return {
    attack: figuresOfSlow(r),
    stoppedBy: r.stoppedBy,
    details: {
      connectionsAttempted: r.attempted,
      connectionsOpened: r.opened,
      connectFailed: r.connectFailed,
      closedByServer: r.closedByServer,
      resetByServer: r.resetByServer,
      closedAfterMs: { p50: r.closedAfter.p50Ms, p99: r.closedAfter.p99Ms, max: r.closedAfter.maxMs },
      answersBeforeClose: r.answers,
      peakOpen: r.peakOpen,
      openAtEnd: r.openAtEnd,
      bytesSent: r.bytesSent,
      bytesReceived: r.bytesReceived,
      connectErrors: r.connectErrors,
    },
  };
}

/**
 * "The server frees held sockets", judged from both sides: the attacker saw at least one socket closed, or
 * Bulwark's own count of open connections just before the attack ended is under half of the sockets the
 * attacker still believed open (a slow reader sees a graceful close only after reading what is in front of
 * it, so the server side is the better witness there).
 */
export function socketsFreed(f: JudgedFigures, timeoutHint: string): Criterion {
  const d = f.details as { closedByServer?: number; connectionsOpened?: number; openAtEnd?: number; closedAfterMs?: { p50: number } };
  const closed = d.closedByServer ?? 0;
  const opened = d.connectionsOpened ?? 0;
  const held = d.openAtEnd ?? 0;
  const serverOpen = f.bulwarkConnections?.openAtAttackEnd ?? null;
  const serverSide = serverOpen === null ? '' : `; Bulwark had ${serverOpen} open connections at the end while the attacker believed ${held} open`;
  const freedServerSide = serverOpen !== null && held > 0 && serverOpen < held / 2;
  return {
    check: 'held connections freed by the server',
    ok: closed > 0 || freedServerSide,
    detail: (closed > 0 ? `${closed} of ${opened} closed, median after ${Math.round((d.closedAfterMs?.p50 ?? 0) / 100) / 10} s` : `none of ${opened} seen closed by the attacker (${timeoutHint})`) + serverSide,
  };
}
