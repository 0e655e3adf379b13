/**
 * What a conformance suite needs from an implementation: a fresh, empty store per test, the same storage
 * opened again (a restart), optionally a second handle on the same storage (another process or node), and
 * a way to release everything. Time is a fake clock the suite controls.
 */

/** A fake clock: `now()` for stores that read time, `set`/`advance` for the test. */
export interface FakeClock {
  now(): number;
  set(ms: number): void;
  advance(ms: number): void;
}

/** Creates a fake clock starting at `startMs` (default 2026-11-28T10:00:00Z). */
export function createFakeClock(startMs = Date.UTC(2026, 10, 28, 10, 0, 0)): FakeClock {
  let t = startMs;
  return {
    now: () => t,
    set: (ms) => {
      t = ms;
    },
    advance: (ms) => {
      t += ms;
    },
  };
}

/** One implementation under test, with its storage. */
export interface StoreHarness<S> {
  /** The store on fresh, empty storage. */
  readonly store: S;
  /** Closes the store and opens the same storage again (simulates a restart). */
  reopen(): Promise<S>;
  /** A second, independent handle on the same storage (another process), when the implementation has one. */
  openPeer?(): Promise<S>;
  /** Closes every handle and deletes the storage. */
  dispose(): Promise<void>;
}

/** Builds a harness for one test; `options` are implementation options the suite needs to vary. */
export type StoreFactory<S, O> = (options: O & { readonly clock: FakeClock }) => Promise<StoreHarness<S>>;

/** Runs `body` with a fresh harness and always disposes it. */
export async function withHarness<S, O>(make: StoreFactory<S, O>, options: O & { readonly clock: FakeClock }, body: (h: StoreHarness<S>) => Promise<void>): Promise<void> {
  const h = await make(options);
  try {
    await body(h);
  } finally {
    await h.dispose();
  }
}

/** Asserts that `promise` rejects with a BulwarkError-like `code`. */
export async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<void> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  if (caught === undefined) throw new Error(`expected a rejection with ${code}, got success`);
  const got = (caught as { code?: unknown }).code;
  if (got !== code) throw new Error(`expected ${code}, got ${String(got)}: ${String(caught)}`);
}
