/**
 * GCRA on the shared server (runtime/exact-limits.ts): one Lua script per request, reading and moving the
 * key's TAT atomically on the server's own clock (`TIME`), so several nodes share one bucket exactly.
 * Keys are `bulwark:{ns}:gcra:<sha1 of the limit key>` and expire once the bucket is full again (they hold
 * nothing after that). A request of `cost` is admitted when `max(TAT, now) + cost·T − now ≤ burst·T`
 * (core/ratelimit/gcra.ts, the same rule as the local tables).
 */
import { createHash } from 'node:crypto';
import type { ExactCheck, ExactLimiter, ExactRefusal } from '../../runtime/exact-limits.ts';
import type { RedisHub } from './redis-hub.ts';

/** KEYS: one per check. ARGV: per check interval ms, tolerance ms, cost. Returns {0} or {index, retryMs}. */
const GCRA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[i * 3 - 2])
  local tolerance = tonumber(ARGV[i * 3 - 1])
  local cost = tonumber(ARGV[i * 3])
  local tat = tonumber(redis.call('GET', key) or '0')
  if tat < now then tat = now end
  local nextTat = tat + cost * interval
  if nextTat - now > tolerance + 0.000001 then
    return {i, math.ceil(nextTat - tolerance - now)}
  end
end
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[i * 3 - 2])
  local cost = tonumber(ARGV[i * 3])
  local tat = tonumber(redis.call('GET', key) or '0')
  if tat < now then tat = now end
  local nextTat = tat + cost * interval
  redis.call('SET', key, string.format('%.3f', nextTat), 'PX', math.ceil(nextTat - now) + 1000)
end
return {0, 0}
`;

/** Creates the exact limiter on a hub; `budgetMs` is the longest a request waits for the server. */
export function createRedisExactLimiter(hub: RedisHub, budgetMs: number): ExactLimiter {
  const run = hub.script(GCRA, null);
  let checks = 0;
  let refused = 0;
  let unknown = 0;
  const keyOf = (k: string) => `${hub.ks}:gcra:${createHash('sha1').update(k).digest('base64url')}`;
  return {
    async check(list: readonly ExactCheck[]): Promise<ExactRefusal | null | 'unknown'> {
      checks++;
      if (!hub.up() || list.length === 0) {
        if (list.length > 0) unknown++;
        return list.length === 0 ? null : 'unknown';
      }
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'unknown'>((resolve) => {
        timer = setTimeout(() => resolve('unknown'), budgetMs);
      });
      const asked = run(list.map((c) => keyOf(c.key)), list.flatMap((c) => [c.limit.intervalMs, c.limit.toleranceMs, c.cost]))
        .then((r) => {
          const [i, retry] = r as [number, number];
          return i === 0 ? null : { index: i - 1, retryAfterMs: Math.max(1, retry) };
        })
        .catch(() => 'unknown' as const);
      const verdict = await Promise.race([asked, late]);
      clearTimeout(timer);
      if (verdict === 'unknown') unknown++;
      else if (verdict !== null) refused++;
      return verdict;
    },
    stats: () => ({ checks, refused, unknown }),
  };
}
