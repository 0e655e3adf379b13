/**
 * undici, loaded when first used and only as much as needed. A serving Bulwark needs undici's `Pool`
 * (one per origin) and nothing else: the package's entry point also loads fetch, WebSocket,
 * EventSource, its caches and mock agents — ~3 MB of heap and more resident code that would sit unused
 * for the process's life. So the serving path loads the Pool's own module; the drill's load tools
 * (Agent, request) load the whole package when they run.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let whole: typeof import('undici') | null = null;
let pool: typeof import('undici').Pool | null = null;

/** The whole undici package (for the drill's clients). */
export function undici(): typeof import('undici') {
  return (whole ??= require('undici') as typeof import('undici'));
}

/**
 * undici's `Pool` class from its own module (`undici/lib/dispatcher/pool.js`, the class the package's
 * entry point exports as `Pool`), with the request API (`request`, `stream`, `pipeline`, `upgrade`,
 * `connect`) on its prototype as the entry point puts it there (`Object.assign(Dispatcher.prototype,
 * api)`). Falls back to the whole package when that layout is not there (another undici version).
 */
export function undiciPool(): typeof import('undici').Pool {
  if (pool !== null) return pool;
  try {
    const cls = require('undici/lib/dispatcher/pool.js') as typeof import('undici').Pool;
    const dispatcher = require('undici/lib/dispatcher/dispatcher.js') as { prototype: object };
    const api = require('undici/lib/api/index.js') as Record<string, unknown>;
    if (typeof cls !== 'function' || typeof api.request !== 'function' || !(cls.prototype instanceof (dispatcher as unknown as new () => object))) throw new Error('unexpected undici layout');
    Object.assign(dispatcher.prototype, api);
    pool = cls;
  } catch {
    pool = undici().Pool;
  }
  return pool;
}
