/**
 * The nftables ruleset Bulwark owns, as `nft -f` scripts (https://wiki.nftables.org/): one table
 * (`inet <name>`, default `bulwark`) and nothing outside it.
 *
 * ```
 * table inet bulwark {                        comment "bulwark pid <pid>"
 *   set ports  { type inet_service }           the listeners' ports: nothing else is ever filtered
 *   set allow4 / allow6 { interval }            allow-listed prefixes and trusted proxies: accepted
 *   set deny4  / deny6  { interval }            deny-listed prefixes: dropped
 *   set ban4_<bits> / ban6_<bits> { timeout }   bans, one set per prefix length in use, each element
 *                                               expiring with its ban (the kernel removes it on time)
 *   chain prerouting { hook prerouting priority raw: before conntrack, so a drop costs no state }
 *     tcp dport @ports ip(6) saddr @allow4/6 accept; tcp dport @ports jump drops
 *   chain drops { ip saddr @deny4 counter drop; ip saddr & <mask> @ban4_<bits> counter drop; … }
 * }
 * ```
 * A ban of a /24 is stored as its network address in `ban4_24` and matched with `saddr & 255.255.255.0`,
 * so bans of nested prefixes never conflict the way overlapping interval elements would.
 *
 * Allow entries are accepted before any drop. A deny entry inside an allow entry (an exception that the
 * accept gate honours by longest prefix) is left to the gate, as are bans of allow-listed addresses:
 * the kernel only ever drops what the gate would drop too.
 */
import { parseCidr } from '../../core/net/ip.ts';

/** Longest element timeout written (the kernel keeps timeouts in 32-bit milliseconds, ~49 days). */
export const MAX_TIMEOUT_S = 40 * 86_400;

/** A ban set's name for a family and prefix length: `ban4_24`, `ban6_64`, `ban4_32`. */
export function banSetName(family: 4 | 6, bits: number): string {
  return `ban${family}_${bits}`;
}

/** The netmask of a prefix length, in nft's notation (`255.255.240.0`, `ffff:ffff:ffff:ffff::`). */
export function maskOf(family: 4 | 6, bits: number): string {
  if (family === 4) {
    const m = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    return [24, 16, 8, 0].map((s) => (m >>> s) & 255).join('.');
  }
  const groups: string[] = [];
  for (let g = 0; g < 8; g++) {
    const left = Math.max(0, Math.min(16, bits - g * 16));
    groups.push(((0xffff << (16 - left)) & 0xffff).toString(16));
  }
  const text = groups.join(':');
  return text.replace(/(:0)+$/, '::').replace(/^0::$/, '::');
}

/** The script that creates the table with its fixed sets and chains (run after deleting any stale one). */
export function createTableScript(table: string, owner: string): string {
  const t = `inet ${table}`;
  return [
    `add table ${t} { comment "${owner.replace(/"/g, '')}"; }`,
    `add set ${t} ports { type inet_service; }`,
    `add set ${t} allow4 { type ipv4_addr; flags interval; auto-merge; }`,
    `add set ${t} allow6 { type ipv6_addr; flags interval; auto-merge; }`,
    `add set ${t} deny4 { type ipv4_addr; flags interval; auto-merge; }`,
    `add set ${t} deny6 { type ipv6_addr; flags interval; auto-merge; }`,
    `add chain ${t} drops`,
    `add rule ${t} drops ip saddr @deny4 counter drop`,
    `add rule ${t} drops ip6 saddr @deny6 counter drop`,
    `add chain ${t} prerouting { type filter hook prerouting priority raw; policy accept; }`,
    `add rule ${t} prerouting tcp dport @ports ip saddr @allow4 accept`,
    `add rule ${t} prerouting tcp dport @ports ip6 saddr @allow6 accept`,
    `add rule ${t} prerouting tcp dport @ports jump drops`,
    '',
  ].join('\n');
}

/** Adds a ban set for a prefix length and the rule that drops its members. */
export function banSetScript(table: string, family: 4 | 6, bits: number): string {
  const t = `inet ${table}`;
  const set = banSetName(family, bits);
  const full = family === 4 ? 32 : 128;
  const proto = family === 4 ? 'ip' : 'ip6';
  const match = bits === full ? `${proto} saddr` : `${proto} saddr & ${maskOf(family, bits)}`;
  return `add set ${t} ${set} { type ipv${family}_addr; flags timeout; }\nadd rule ${t} drops ${match} @${set} counter drop\n`;
}

/** A canonical ban key as family, prefix length and network address; null when it is not one. */
export function banElement(key: string): { family: 4 | 6; bits: number; address: string } | null {
  if (key.indexOf('/') < 0) {
    const family = key.indexOf(':') < 0 ? 4 : 6;
    return { family, bits: family === 4 ? 32 : 128, address: key };
  }
  const c = parseCidr(key);
  if (c === null) return null;
  return { family: c.family, bits: c.bits, address: c.text.slice(0, c.text.lastIndexOf('/')) };
}

/** Timeout text for an element ending at `untilMs` (whole seconds, at least 1, at most MAX_TIMEOUT_S). */
export function timeoutOf(untilMs: number, nowMs: number): string {
  return `${Math.min(MAX_TIMEOUT_S, Math.max(1, Math.ceil((untilMs - nowMs) / 1000)))}s`;
}

/** Sets an element (adding it, or moving its timeout: `add` on an existing element replaces its timeout). */
export function addBanLine(table: string, set: string, address: string, timeout: string): string {
  return `add element inet ${table} ${set} { ${address} timeout ${timeout} }\n`;
}

/** Removes an element whether or not it is still there (re-adding it first keeps the batch from failing). */
export function removeBanLines(table: string, set: string, address: string): string {
  return `add element inet ${table} ${set} { ${address} timeout 1s }\ndelete element inet ${table} ${set} { ${address} }\n`;
}

/** Replaces the content of an interval set (deny or allow lists, ports) in one batch, 1000 elements a line. */
export function replaceSetScript(table: string, set: string, elements: readonly string[]): string {
  let out = `flush set inet ${table} ${set}\n`;
  for (let i = 0; i < elements.length; i += 1000) out += `add element inet ${table} ${set} { ${elements.slice(i, i + 1000).join(', ')} }\n`;
  return out;
}
