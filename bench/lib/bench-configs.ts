/**
 * Request headers and config fragments several benchmarks share, so that a figure quoted from one
 * benchmark and a profile taken with another measure the same client and the same policy.
 */

/** What a browser sends on a navigation (Chrome's headers, shortened): a challenge page, not a status-only answer. */
export const BROWSER_HEADERS: Readonly<Record<string, string>> = {
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/150.0.0.0 Safari/537.36',
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'accept-language': 'en-GB,en;q=0.9',
  'accept-encoding': 'gzip, deflate, br',
  'sec-fetch-dest': 'document',
  'sec-fetch-mode': 'navigate',
};

/**
 * Top-level config (for siteYaml's `topExtra`): every request after the first is refused (one request
 * per hour for the whole site); escalation counts every refusal but its threshold (a billion a second)
 * is out of a benchmark's reach, so a refusal stays a 429; no geo data (one loopback address).
 */
export const LIMITED_TOP = 'policy:\n  limits:\n    - { name: everyone, average: 1, period: 1h, burst: 1, key: [site] }\n  escalation:\n    address_threshold: 1000000000\n    address_window: 1s\nidentify:\n  geo:\n    enabled: false\n';

/** Site config (for siteYaml's `siteExtra`): a rule that challenges every path. */
export const CHALLENGE_EVERYTHING_SITE = '    policy:\n      rules:\n        - { name: everyone, match: { path: "/" }, action: challenge }\n';

/** Top-level config: signature rules in shadow mode (the detector runs, never blocks the benchmark's one address). */
export const SIGNATURES_SHADOW_TOP = 'detection:\n  signatures:\n    shadow: true\n';
