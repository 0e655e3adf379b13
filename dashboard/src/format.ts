/** Number and time formatting shared by the pages. */

export function num(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en');
  return String(Math.round(x * 10 ** digits) / 10 ** digits);
}

export function pct(x: number | null | undefined, digits = 1): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '–' : `${(x * 100).toFixed(digits)}%`;
}

export function time(ms: number | string | null | undefined): string {
  if (ms === null || ms === undefined) return '–';
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? '–' : d.toISOString().replace('T', ' ').slice(0, 19) + 'Z';
}

export function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

export function duration(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return '–';
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

export const LEVEL_TEXT: Record<string, string> = { normal: 'normal', elevated: 'elevated', under_attack: 'under attack' };
