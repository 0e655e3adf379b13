/**
 * Addresses the admin plane was used from recently (authenticated requests): a ban by hand may not
 * cover them without force (ban-guard.ts), so an operator cannot lock a colleague's address out by
 * accident. Bounded: the `cap` most recently seen addresses within `windowMs` (defaults 64, 24 h).
 */

/** The set. */
export interface RecentClients {
  add(address: string, nowMs: number): void;
  /** Addresses seen within the window, most recent first. */
  list(nowMs: number): string[];
}

/** Creates the set. */
export function createRecentClients(cap = 64, windowMs = 86_400_000): RecentClients {
  const seen = new Map<string, number>();
  return {
    add(address, nowMs) {
      seen.delete(address);
      seen.set(address, nowMs);
      if (seen.size > cap) seen.delete(seen.keys().next().value!);
    },
    list(nowMs) {
      return [...seen].filter(([, t]) => t > nowMs - windowMs).map(([a]) => a).reverse();
    },
  };
}
