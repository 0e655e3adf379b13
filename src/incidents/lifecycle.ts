/**
 * The life of one site's incident as a pure state machine: opened when a site
 * leaves `normal`, updated every second, closed after a calm period. Fed the site's level once a
 * second; says when to open, update and close. No clock, no I/O: the tracker (incident-tracker.ts)
 * does the writing.
 *
 *   idle ──level ≠ normal──▶ open ──level = normal for `calmMs`──▶ closed (back to idle)
 *                             ▲  │
 *                             └──┘ level ≠ normal again before the calm period ends: same incident
 *
 * A level flapping between normal and elevated therefore keeps one incident open instead of opening one
 * per flap: only `calmMs` of uninterrupted normal ends it. `endedAtMs` remembers the end of the last
 * second spent above normal, which is the attack's end as a reader means it (the record closes later).
 */
import type { ThreatLevel } from '../core/vocabulary.ts';

/** The lifecycle of one site: no incident, or one open since `openedAtMs`. */
export type LifecycleState =
  | { readonly phase: 'idle' }
  | {
      readonly phase: 'open';
      readonly openedAtMs: number;
      /** Start of the current stretch at normal, or null while above normal. */
      readonly calmSinceMs: number | null;
      /** End of the last second spent above normal (the attack's end so far). */
      readonly endedAtMs: number;
      /** Seconds observed above normal (the duration the severity counts). */
      readonly abnormalSeconds: number;
    };

/** What to do this second. `close` carries the time the calm period began (the attack's end). */
export type LifecycleEvent =
  | { readonly kind: 'none' }
  | { readonly kind: 'open'; readonly atMs: number }
  | { readonly kind: 'update' }
  | { readonly kind: 'close'; readonly atMs: number; readonly endedAtMs: number };

/** Start state: no incident. */
export const IDLE: LifecycleState = Object.freeze({ phase: 'idle' });

/**
 * One second of a site's life. `secondMs` is the start of the (complete) second the level applies to;
 * `calmMs` how long the level must stay normal before the incident closes (default config: 60 s).
 */
export function stepLifecycle(state: LifecycleState, level: ThreatLevel, secondMs: number, calmMs: number): { state: LifecycleState; event: LifecycleEvent } {
  const abnormal = level !== 'normal';
  if (state.phase === 'idle') {
    if (!abnormal) return { state, event: { kind: 'none' } };
    return {
      state: { phase: 'open', openedAtMs: secondMs, calmSinceMs: null, endedAtMs: secondMs + 1000, abnormalSeconds: 1 },
      event: { kind: 'open', atMs: secondMs },
    };
  }
  if (abnormal) {
    return {
      state: { ...state, calmSinceMs: null, endedAtMs: Math.max(state.endedAtMs, secondMs + 1000), abnormalSeconds: state.abnormalSeconds + 1 },
      event: { kind: 'update' },
    };
  }
  const calmSinceMs = state.calmSinceMs ?? secondMs;
  // The second starting at secondMs was normal too: calm has lasted until its end.
  if (secondMs + 1000 - calmSinceMs >= calmMs) {
    return { state: IDLE, event: { kind: 'close', atMs: secondMs + 1000, endedAtMs: state.endedAtMs } };
  }
  return { state: { ...state, calmSinceMs }, event: { kind: 'update' } };
}

/**
 * The state of an incident continued after a restart: open since `openedAtMs`, its last stored second
 * `lastSecondMs` (null if none), `abnormalSeconds` as far as known. Calm starts over.
 */
export function resumedLifecycle(openedAtMs: number, lastSecondMs: number | null, abnormalSeconds: number): LifecycleState {
  return { phase: 'open', openedAtMs, calmSinceMs: null, endedAtMs: (lastSecondMs ?? openedAtMs) + 1000, abnormalSeconds };
}
