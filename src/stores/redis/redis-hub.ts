/**
 * One process's link to the shared Redis/Valkey: a command connection and a subscriber connection, the
 * key prefix of the namespace, Lua scripts (EVALSHA with a fallback to EVAL), subscriptions dispatched by
 * channel, and what the operator needs to see — up or down, round-trip latency, reconnects, the last error.
 *
 * Liveness: a PING every `pingEveryMs` (default 1 s) measures the round trip; `onReady` handlers run on
 * every (re)connection so the stores can write what they kept while the server was away and read what
 * they missed. Nothing here ever blocks a caller for longer than the command timeout.
 */
import { createHash } from 'node:crypto';
import type { SharedStateConfig } from '../../config/scale-schema.ts';
import { createRedisClient, defaultNodeName, keyspaceOf, type RedisClient } from './redis-connection.ts';

/** Runs a Lua script: `keys` are full key names, `args` strings or numbers. */
export type RedisScript = (keys: readonly string[], args: readonly (string | number)[]) => Promise<unknown>;

/** What `/stats` shows of the link. */
export interface RedisHubStats {
  readonly up: boolean;
  readonly node: string;
  readonly namespace: string;
  /** Last PING round trip, ms (null before the first answer). */
  readonly latency_ms: number | null;
  /** Slowest PING round trip of the last minute, ms. */
  readonly latency_max_ms: number | null;
  readonly reconnects: number;
  readonly errors: number;
  readonly last_error: string | null;
  /** When the link last went down, or null. */
  readonly down_since: string | null;
}

/** The link (see the module comment). */
export interface RedisHub {
  /** Key prefix, `bulwark:{namespace}`. */
  readonly ks: string;
  readonly nodeName: string;
  readonly cmd: RedisClient;
  /** True while the command connection is ready. */
  up(): boolean;
  /**
   * A script runner (defined once per hub and source); `null` keys: as many as given at each call, else
   * a call with another number of keys rejects (the client would take arguments for keys). A script
   * names at least one key (throws on `0`; a call of a `null` script without keys rejects): the
   * client routes a script by its first key, and a Cluster master refuses a script that touches a slot it
   * does not serve — without a key, a Cluster client would send it to any master.
   */
  script(lua: string, numberOfKeys: number | null): RedisScript;
  /** Calls `onMessage` for every message on `channel` (full name), from now on and after reconnects. */
  subscribe(channel: string, onMessage: (message: string) => void): void;
  /** Publishes without waiting; a failure is counted (the caller has its own resynchronisation). */
  publish(channel: string, message: string): void;
  /** `fn` runs on every ready (the first one included); returns a function that removes it. */
  onReady(fn: () => void): () => void;
  /** Counts an error from a caller (for `errors` and `last_error`). */
  noteError(err: unknown): void;
  /** Waits until ready or `timeoutMs` passed; true when ready. */
  connect(timeoutMs?: number): Promise<boolean>;
  stats(): RedisHubStats;
  close(): Promise<void>;
}

/** Options of {@link createRedisHub}. */
export interface RedisHubOptions {
  readonly pingEveryMs?: number;
  /** Told once per distinct error message (the logger). */
  readonly onError?: (err: unknown) => void;
}

/** True for an error the server sent (a script refusing, a wrong type): not a connection problem. */
export function isReplyError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: string }).name === 'ReplyError';
}

/** Creates the link; connections start with `connect()`. */
export function createRedisHub(config: SharedStateConfig, options: RedisHubOptions = {}): RedisHub {
  const ks = keyspaceOf(config.namespace);
  const nodeName = config.node_name ?? defaultNodeName();
  const cmd = createRedisClient(config, 'commands');
  const sub = createRedisClient(config, 'subscriber');
  const handlers = new Map<string, Array<(m: string) => void>>();
  const readyFns = new Set<() => void>();
  const scripts = new Map<string, RedisScript>();
  let ready = false;
  let closed = false;
  let everReady = false;
  let reconnects = 0;
  let errors = 0;
  let lastError: string | null = null;
  let downSinceMs: number | null = null;
  let latency: number | null = null;
  const maxRing = new Float64Array(60);
  let ringAt = 0;
  let pinging = false;
  const reported = new Set<string>();

  function noteError(err: unknown): void {
    errors++;
    lastError = err instanceof Error ? err.message : String(err);
    if (!reported.has(lastError) && reported.size < 100) {
      reported.add(lastError);
      options.onError?.(err);
    }
  }

  cmd.on('error', noteError);
  sub.on('error', noteError);
  cmd.on('ready', () => {
    ready = true;
    downSinceMs = null;
    if (everReady) reconnects++;
    everReady = true;
    for (const fn of [...readyFns]) fn();
  });
  cmd.on('close', () => {
    if (ready) downSinceMs = Date.now();
    ready = false;
  });
  /** Subscribes to every channel a handler listens on (on each ready of the subscriber connection). */
  function subscribeAll(): void {
    if (handlers.size > 0) sub.subscribe(...handlers.keys()).catch(noteError);
  }
  sub.on('ready', subscribeAll);
  sub.on('message', (channel: string, message: string) => {
    for (const fn of handlers.get(channel) ?? []) fn(message);
  });

  async function ping(): Promise<void> {
    if (!ready || pinging) return;
    pinging = true;
    const t0 = performance.now();
    try {
      await cmd.ping();
      latency = performance.now() - t0;
      maxRing[ringAt++ % maxRing.length] = latency;
    } catch (err) {
      noteError(err);
    } finally {
      pinging = false;
    }
  }
  const pinger = setInterval(() => void ping(), options.pingEveryMs ?? 1000);
  pinger.unref();

  return {
    ks,
    nodeName,
    cmd,
    up: () => ready,
    script(lua, numberOfKeys) {
      let run = scripts.get(lua);
      if (run !== undefined) return run;
      if (numberOfKeys === 0) throw new Error('a Redis script must name at least one key (the namespace\'s master is found by it in a Cluster)');
      const name = `bulwark_${createHash('sha1').update(lua).digest('hex').slice(0, 12)}`;
      cmd.defineCommand(name, numberOfKeys === null ? { lua } : { lua, numberOfKeys });
      const fn = (cmd as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[name]!.bind(cmd);
      run = numberOfKeys === null
        ? (keys, args) => (keys.length === 0 ? Promise.reject(new Error('a Redis script call must name at least one key')) : fn(keys.length, ...keys, ...args))
        : (keys, args) => (keys.length === numberOfKeys ? fn(...keys, ...args) : Promise.reject(new Error(`the script takes ${numberOfKeys} keys, got ${keys.length}`)));
      scripts.set(lua, run);
      return run;
    },
    subscribe(channel, onMessage) {
      let list = handlers.get(channel);
      if (list === undefined) {
        handlers.set(channel, (list = []));
        if (sub.status === 'ready') sub.subscribe(channel).catch(noteError);
      }
      list.push(onMessage);
    },
    publish(channel, message) {
      if (!ready) return;
      cmd.publish(channel, message).catch(noteError);
    },
    onReady(fn) {
      readyFns.add(fn);
      return () => void readyFns.delete(fn);
    },
    noteError,
    async connect(timeoutMs = config.connect_timeout) {
      if (closed) return false;
      void cmd.connect().catch(noteError);
      void sub.connect().catch(noteError);
      if (ready) return true;
      return new Promise<boolean>((resolve) => {
        const t = setTimeout(() => {
          readyFns.delete(done);
          resolve(ready);
        }, timeoutMs);
        t.unref();
        const done = (): void => {
          clearTimeout(t);
          readyFns.delete(done);
          resolve(true);
        };
        readyFns.add(done);
      });
    },
    stats() {
      let max: number | null = null;
      for (let i = 0; i < Math.min(ringAt, maxRing.length); i++) max = Math.max(max ?? 0, maxRing[i]!);
      return {
        up: ready,
        node: nodeName,
        namespace: config.namespace,
        latency_ms: latency === null ? null : Math.round(latency * 100) / 100,
        latency_max_ms: max === null ? null : Math.round(max * 100) / 100,
        reconnects,
        errors,
        last_error: lastError,
        down_since: downSinceMs === null ? null : new Date(downSinceMs).toISOString(),
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(pinger);
      readyFns.clear();
      cmd.disconnect();
      sub.disconnect();
    },
  };
}
