/**
 * One leader per site, elected with a lease in Redis/Valkey (`bulwark:{ns}:lease:<site>`, value = the
 * holder's node name, expiring after `lease` ms). Every `lease / 3` a node takes each free lease or renews
 * the ones it holds, in one Lua script per site (take when free, renew when ours, report the holder
 * otherwise), so the first node to ask leads and keeps leading while it lives.
 *
 * Safety margin: a node believes it leads only until two thirds of the lease after the renewal it sent
 * (one lost renewal is tolerated), while the server lets another node take the lease only once the full
 * lease has passed since the last renewal — so two nodes never both believe they lead, whatever the
 * network delays, as long as clocks tick at the same rate (they need not agree). A leader that is killed
 * is replaced within `lease` + `lease / 3`. On a graceful stop a node gives its leases back at once.
 *
 * Without shared state (one machine), the local process leads every site: {@link createStaticLeases}.
 */
import type { RedisHub } from '../stores/redis/index.ts';

/** The lease state of this node. */
export interface Leases {
  /** True while this node may act as the site's leader. */
  holds(site: string, nowMs: number): boolean;
  /** The node that held the site's lease when last asked, or null (none, or never asked). */
  holder(site: string): string | null;
  /** True while the lease store answered within the last lease (a node cut off from it is alone). */
  reachable(nowMs: number): boolean;
  /** Runs one round now (the timer does it every lease / 3). */
  round(): Promise<void>;
  /** Gives back every lease held (graceful stop). */
  release(): Promise<void>;
  stats(): { held: string[]; holders: Record<string, string | null>; reachable: boolean };
  stop(): void;
}

/** KEYS[1] the lease; ARGV: node, lease ms. Returns {1, holder} when this node holds it now, else {0, holder}. */
const TAKE_OR_RENEW = `
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1, cur}
elseif not cur then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return {1, ARGV[1]}
end
return {0, cur}
`;

/** KEYS[1] the lease; ARGV[1] node. Deletes it when this node holds it. */
const GIVE_BACK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** Options of {@link createRedisLeases}. */
export interface RedisLeasesOptions {
  readonly leaseMs: number;
  /** The sites to lead (read every round). */
  readonly sites: () => readonly string[];
  /** Monotonic clock, ms. Default `performance.now`-based. */
  readonly now?: () => number;
}

/** Leases in Redis for this hub's node (see the module comment). Starts its rounds at once. */
export function createRedisLeases(hub: RedisHub, options: RedisLeasesOptions): Leases {
  const take = hub.script(TAKE_OR_RENEW, 1);
  const giveBack = hub.script(GIVE_BACK, 1);
  const clock = options.now ?? (() => performance.timeOrigin + performance.now());
  const lease = options.leaseMs;
  const heldUntil = new Map<string, number>();
  const holders = new Map<string, string | null>();
  let lastAnswerMs = -Infinity;
  let running: Promise<void> | null = null;
  const key = (site: string) => `${hub.ks}:lease:${site}`;

  async function roundOnce(): Promise<void> {
    const sites = options.sites();
    for (const site of [...heldUntil.keys()]) if (!sites.includes(site)) heldUntil.delete(site);
    await Promise.all(
      sites.map(async (site) => {
        const sentAt = clock();
        try {
          const [mine, holder] = (await take([key(site)], [hub.nodeName, lease])) as [number, string];
          lastAnswerMs = clock();
          holders.set(site, holder);
          if (mine === 1) heldUntil.set(site, sentAt + (lease * 2) / 3);
          else heldUntil.delete(site);
        } catch (err) {
          hub.noteError(err);
        }
      }),
    );
  }

  /** A fresh round after the one running, if any (its answers may predate what the caller just did). */
  function round(): Promise<void> {
    const next = (running ?? Promise.resolve()).then(roundOnce);
    const tracked: Promise<void> = next.finally(() => {
      if (running === tracked) running = null;
    });
    running = tracked;
    return tracked;
  }

  // The timer never piles rounds up behind a slow server.
  const timer = setInterval(() => {
    if (running === null) void round();
  }, Math.max(50, Math.floor(lease / 3)));
  timer.unref();
  void round();

  return {
    holds: (site) => (heldUntil.get(site) ?? -Infinity) > clock(),
    holder: (site) => holders.get(site) ?? null,
    reachable: () => clock() - lastAnswerMs < lease,
    round,
    async release() {
      clearInterval(timer);
      const held = [...heldUntil.keys()];
      heldUntil.clear();
      await Promise.all(held.map((site) => giveBack([key(site)], [hub.nodeName]).catch(() => 0)));
    },
    stats: () => ({ held: [...heldUntil].filter(([, u]) => u > clock()).map(([s]) => s), holders: Object.fromEntries(holders), reachable: clock() - lastAnswerMs < lease }),
    stop: () => clearInterval(timer),
  };
}

/** One machine without shared state: this node leads every site. */
export function createStaticLeases(node: string, sites: () => readonly string[]): Leases {
  return {
    holds: () => true,
    holder: () => node,
    reachable: () => true,
    round: async () => {},
    release: async () => {},
    stats: () => ({ held: [...sites()], holders: Object.fromEntries(sites().map((s) => [s, node])), reachable: true }),
    stop() {},
  };
}
