/**
 * Number, time and duration formatting shared by the report's words and its HTML: fixed locale (en-GB
 * style dates, thin grouping with commas), UTC always, so a report reads the same wherever it is made.
 */

/** `12,345` (rounded). */
export function int(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** `12.3%`; more digits below 1%; `–` for null. */
export function pct(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '–';
  const v = x * 100;
  return `${v >= 99.95 && v < 100 ? '99.9' : v < 1 && v > 0 ? v.toFixed(2) : v.toFixed(1)}%`;
}

/** `14 Nov 2023`. */
export function day(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

/** `22:13:20`. */
export function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

/** `14 Nov 2023 22:13:20 UTC`. */
export function dateTime(ms: number): string {
  return `${day(ms)} ${clock(ms)} UTC`;
}

/** `2 h 05 min`, `3 min 20 s`, `45 s`. */
export function duration(s: number): string {
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.round(s % 60);
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  if (m > 0) return `${m} min ${String(sec).padStart(2, '0')} s`;
  return `${sec} s`;
}

/** `1 request`, `2 requests`. */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${int(n)} ${Math.round(n) === 1 ? word : many}`;
}

/** `a, b and c`. */
export function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** ISO 8601 / RFC 3339 UTC with milliseconds, as STIX wants it. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Human words for a threat level. */
export function levelWords(level: string): string {
  return level === 'under_attack' ? 'under attack' : level;
}
