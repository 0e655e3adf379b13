/**
 * What `decide` knows about a request: the identify phase's output. The pipeline adapts its request
 * context to this shape (a small class with fields and a `header` method keeps it monomorphic); tests
 * build it by hand (./test-support.ts).
 */
import type { ParsedIp } from '../net/ip.ts';
import type { RequestFacts } from '../ratelimit/facts.ts';
import type { ClientClass, ThreatLevel } from '../vocabulary.ts';

/**
 * The rate-limit facts ({@link RequestFacts}: address, prefix, asn, country, fingerprint, site, method,
 * path, `header(name)`) plus what rules and the threat-level defaults read.
 */
export interface DecideFacts extends RequestFacts {
  /** Request host without port, lower case. */
  readonly host: string;
  /** Query string without the leading `?`, `''` when none. */
  readonly query: string;
  /** What the User-Agent claims to be (src/core/identify/ua-class.ts). */
  readonly uaClass: ClientClass;
  /**
   * The client is a cleared visitor: it holds a proof-of-work clearance at least as strong as the site's
   * own challenge at the current level (core/challenge/proof.ts). What CEL's `cleared` reads.
   */
  readonly cleared: boolean;
  /**
   * Whether the client's clearance satisfies a challenge asking `difficulty` leading zero bits (a rule's
   * explicit difficulty), or the site's own challenge at the current level when undefined — true only for
   * a clearance that proves no less than that challenge asks (a cheap rule's clearance does not pass a
   * harder one; a no-JS clearance passes only while the no-JS path is open with no longer a wait).
   * Absent: `cleared` stands for every challenge (facts built by tools that model no clearance).
   */
  satisfiesChallenge?(difficulty: number | undefined): boolean;
  /** The site's current threat level. */
  readonly threatLevel: ThreatLevel;
  /** Current requests per second of the client's address (from the limiter or detector); 0 when unknown. */
  readonly rateAddress: number;
  /** Current requests per second of the client's prefix; 0 when unknown. */
  readonly ratePrefix: number;
  /**
   * All request headers by lower-case name — Node's `IncomingMessage.headers` fits as is. Read only when a
   * CEL expression uses the `headers` map; rule matchers and `header()` go through `header(name)`.
   */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /**
   * `address` already parsed (src/core/net/ip.ts `parseIp`), when identify has it: decide then skips its
   * own parse (~0.1–0.3 µs, IPv6 costs most). Absent or null: decide parses `address`.
   */
  readonly ip?: ParsedIp | null;
}
