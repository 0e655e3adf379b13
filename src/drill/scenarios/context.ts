/**
 * What a drill scenario is and what it gets to run: the shared types between `runDrill` (which owns
 * the processes, the origin fixture, the visitors and the measurements) and the scenario files (which
 * only attack). A scenario never starts or stops anything but its own attackers, and every attacker it
 * starts is bounded by the run's duration, request budget and signal.
 */
import type { OriginFixture } from '../origin-fixture.ts';
import type { RatePoint } from '../stats.ts';
import type { AnswerOutcome } from '../answer-outcome.ts';

/** The bounds and shape of one run, after defaults (scenario's, then the caller's) were applied. */
export interface DrillSettings {
  /** Attack duration in seconds (the attack stops by itself at the end). */
  readonly durationS: number;
  /** Attack requests per second over all sources — connections opened per second for connection attacks. */
  readonly rate: number;
  /** Source addresses the attack comes from. */
  readonly sources: number;
  /** Attack requests (or connections) at most, over the whole run. */
  readonly maxRequests: number;
  /** Attack sockets open at once at most. */
  readonly maxSockets: number;
  /** Seed of the attack's randomness (same seed, same paths and headers). */
  readonly seed: number;
}

/** What a scenario gets from the runner. */
export interface ScenarioContext {
  /** Base URL attacked (Bulwark's listener, or the origin itself for the no-protection reference). */
  readonly target: string;
  /**
   * Base URL of the https listener (HTTP/2 and HTTP/1.1 over TLS) for scenarios with `https: true`:
   * the managed Bulwark's, or `--target` itself when it is an https URL; undefined otherwise.
   */
  readonly httpsTarget?: string;
  readonly settings: DrillSettings;
  /** Fires when the run is aborted (caller's signal); the scenario must return soon after. */
  readonly signal: AbortSignal;
  /** The origin fixture when the drill runs its own (absent with `--target`). */
  readonly fixture?: OriginFixture;
  /** Bulwark's admin base URL, when known. */
  readonly adminUrl?: string;
  /** The drilled site's name in Bulwark's admin views, when known. */
  readonly site?: string;
  /** Attack requests the origin has received since the attack started; undefined when unknown. */
  originAttackRequests(): number | undefined;
  /** Attack requests the origin received per second (unix seconds); undefined when unknown. */
  originAttackSeries(): readonly RatePoint[] | undefined;
  /** Bulwark's outcome totals for the drilled site now (from its admin `/stats`); undefined when unknown. */
  bulwarkOutcomes(): Promise<Readonly<Record<string, number>> | undefined>;
  /** Records a named moment of the run (e.g. `origin slow`), reported with its offset from the attack start. */
  mark(event: string): void;
  /** Waits `ms`, or less when the run is aborted. */
  sleep(ms: number): Promise<void>;
  /** A progress line (shown by the CLI on stderr unless --json). */
  log(line: string): void;
}

/** Attack figures as the attacking clients saw them (the runner adds what reached the origin). */
export interface AttackFigures {
  /** Requests started (connections opened, for connection attacks). */
  readonly sent: number;
  /** Requests that got any answer. */
  readonly answered: number;
  /** Answered 2xx/3xx (by the origin or Bulwark's cache). */
  readonly served: number;
  readonly challenged: number;
  /** 429 answers. */
  readonly limited: number;
  /** 403 answers. */
  readonly blocked: number;
  /** 503 answers (shed to protect the origin, or the origin's own 503). */
  readonly shed: number;
  /** Closed or reset without an answer (for connection attacks: sockets the server closed). */
  readonly dropped: number;
  /** Other 4xx answers. */
  readonly rejected: number;
  /** Other 5xx answers. */
  readonly failed: number;
  /** No answer in time. */
  readonly timeout: number;
  readonly byStatus: Readonly<Record<string, number>>;
  readonly errors: Readonly<Record<string, number>>;
}

/** One attack episode inside a scenario (the recurrence scenario has three). */
export interface AttackRun {
  readonly name: string;
  /** Offset of its start from the attack start, in seconds. */
  readonly startS: number;
  readonly durationS: number;
  readonly attack: AttackFigures;
  /** Attack requests that reached the origin during this run; null when unknown. */
  readonly reachedOrigin: number | null;
  readonly timeToMitigateS: number | null;
  /** Where its sources came from (e.g. `127.1.0.0/16 many_24`). */
  readonly sources: string;
}

/** What a scenario returns. */
export interface ScenarioOutcome {
  readonly attack: AttackFigures;
  /** Attack requests sent per second (unix seconds), for time to mitigate; absent for connection attacks. */
  readonly sentPerSecond?: readonly RatePoint[];
  /** Why the attack stopped: `count`, `duration` or `signal`. */
  readonly stoppedBy: string;
  /** Episodes, when the scenario has several. */
  readonly runs?: readonly AttackRun[];
  /** Scenario-specific figures (slow-connection closes, malformed verdicts, incidents…). */
  readonly details: Readonly<Record<string, unknown>>;
}

/** How the attack of a scenario works, which decides what "time to mitigate" means for it. */
export type ScenarioKind = 'requests' | 'connections' | 'malformed';

/** A scenario's default bounds (the caller's options override them). */
export interface ScenarioDefaults {
  readonly durationS: number;
  readonly rate: number;
  readonly sources: number;
  /** Default 512. */
  readonly maxSockets?: number;
  /**
   * Seconds the visitors browse before the attack (default 1). Scenarios that Bulwark can only see in
   * aggregate (many-source floods, recurrence) need a learned baseline: the drill's fresh Bulwark learns
   * it during this warm-up.
   */
  readonly warmupS?: number;
}

/** One check of "repelled": `ok` is null when it could not be judged (figure not available). */
export interface Criterion {
  readonly check: string;
  readonly ok: boolean | null;
  readonly detail: string;
}

/** The figures a scenario's judge reads (a subset of the drill report, to keep the types acyclic). */
export interface JudgedFigures {
  readonly attack: AttackFigures & { readonly reachedOrigin: number | null };
  readonly visitors: {
    readonly sent: number;
    readonly servedRatio: number;
    readonly p99Ms: number;
    readonly notServedBy: Readonly<Partial<Record<AnswerOutcome, number>>>;
    /** Requests that failed while the drill's own `--restart` had Bulwark down (counted in `sent`, judged apart). */
    readonly failedWhileDown?: number;
  };
  /** Visitors' requests first sent in the attack's first seconds, and how many were served in time (optional for older callers). */
  readonly onset?: { readonly windowS: number; readonly withinS: number; readonly requests: number; readonly ratio: number | null };
  readonly origin: { readonly capacity: number | null; readonly peakConcurrency: number | null; readonly overCapacity?: number | null };
  readonly timeToMitigateS: number | null;
  readonly bulwarkOutcomes: Readonly<Record<string, number>> | null;
  /** Bulwark's open client connections (admin /stats): peak, and at the last poll before the attack ended. */
  readonly bulwarkConnections: { readonly peakOpen: number; readonly openAtAttackEnd: number | null } | null;
  readonly runs?: readonly AttackRun[];
  readonly details: Readonly<Record<string, unknown>>;
}

/** A drill scenario: one attack class of docs/threats.md. */
export interface Scenario {
  /** CLI name, e.g. `get-flood-few`. */
  readonly name: string;
  /** One line for `bulwark drill --list`. */
  readonly summary: string;
  /** What "repelled" means for this class (docs/threats.md). */
  readonly repelledMeans: string;
  readonly kind: ScenarioKind;
  readonly defaults: ScenarioDefaults;
  /**
   * The attack goes to an https listener (HTTP/2, TLS handshakes): the drill's Bulwark then gets one, with
   * a self-signed certificate made for the run, beside its plain listener (the visitors' one).
   */
  readonly https?: boolean;
  /**
   * Config changes the scenario needs on the Bulwark it runs (e.g. trusting loopback as a proxy); receives
   * and returns config data (the same shape as bulwark.yaml). Only applied when the drill starts Bulwark.
   */
  readonly bulwarkConfig?: (config: Record<string, unknown>) => Record<string, unknown>;
  /** Runs the attack; must stop by itself within the settings' duration (plus a short grace). */
  run(ctx: ScenarioContext): Promise<ScenarioOutcome>;
  /** Scenario-specific checks of "repelled", added to the common ones (visitors, origin capacity, crash). */
  judge?(figures: JudgedFigures): Criterion[];
}
