/**
 * Which of a drill's unanswered connections were the target's bans at work. Bulwark bans a source that
 * keeps sending requests it must refuse (escalation), and from then on closes that source's new
 * connections at accept, before a byte is read: a corpus case sent after its source's ban gets a reset or
 * a close, not its 400. That is the defence working, and the drill must not count it as a wrong answer —
 * but only when the ban is known to predate the case (its `createdAtMs` from the admin API's `/bans`),
 * so that a reset Bulwark gives for any other reason is still reported.
 */
import { cidrContains, parseCidr, type Cidr } from '../../core/net/cidr.ts';
import { adminHeaders } from '../admin-credentials.ts';

/** A ban as the admin API's `GET /bans` lists it (only the fields read here). */
export interface ListedBan {
  readonly key: string;
  readonly createdAtMs: number;
}

/** A case that got no answer: where it came from and when it was sent. */
export interface UnansweredCase {
  /** Source address the connection was bound to. */
  readonly source: string;
  /** When the connection was opened (ms since the epoch). */
  readonly sentAtMs: number;
}

/** Slack for the two clocks' reading order: a ban logged within this of the send still counts. */
export const BAN_CLOCK_SLACK_MS = 5;

/**
 * Returns, for each case, whether a ban covering its source (the address itself or a prefix holding it)
 * was made before the case was sent. Bans whose key is not an address or prefix are ignored.
 */
export function refusedByBan(cases: readonly UnansweredCase[], bans: readonly ListedBan[]): boolean[] {
  // Address bans (most of them) by their canonical text; prefix bans are few and checked one by one.
  const byAddress = new Map<string, number>();
  const prefixes: Array<{ cidr: Cidr; createdAtMs: number }> = [];
  for (const b of bans) {
    const cidr = typeof b.key === 'string' ? parseCidr(b.key) : null;
    if (cidr === null || !Number.isFinite(b.createdAtMs)) continue;
    if (cidr.bits === (cidr.family === 4 ? 32 : 128)) byAddress.set(cidr.text, Math.min(byAddress.get(cidr.text) ?? Infinity, b.createdAtMs));
    else prefixes.push({ cidr, createdAtMs: b.createdAtMs });
  }
  return cases.map((c) => {
    const source = parseCidr(c.source);
    if (source === null) return false;
    const latest = c.sentAtMs + BAN_CLOCK_SLACK_MS;
    if ((byAddress.get(source.text) ?? Infinity) <= latest) return true;
    return prefixes.some((b) => b.createdAtMs <= latest && cidrContains(b.cidr, source));
  });
}

/** Reads `GET <adminUrl>/bans` (2 s deadline); an empty list when it does not answer as expected. */
export async function fetchBans(adminUrl: string): Promise<ListedBan[]> {
  try {
    const res = await fetch(`${adminUrl}/bans`, { headers: adminHeaders(adminUrl), signal: AbortSignal.timeout(2000) });
    if (res.status !== 200) {
      await res.arrayBuffer();
      return [];
    }
    const body = (await res.json()) as { bans?: unknown };
    if (!Array.isArray(body.bans)) return [];
    return body.bans.filter((b): b is ListedBan => typeof b === 'object' && b !== null && typeof (b as ListedBan).key === 'string' && typeof (b as ListedBan).createdAtMs === 'number');
  } catch {
    return [];
  }
}
