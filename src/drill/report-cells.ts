/** Cells of the drill's readable tables: aligned columns, numbers and shares as printed. */

/** Pads cells into aligned columns (first column left-aligned, the rest right-aligned). */
export function columns(rows: ReadonlyArray<readonly string[]>, indent = '  '): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => indent + row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd()).join('\n');
}

/** A number with `digits` decimals, `-` when unknown. */
export const num = (n: number | null | undefined, digits = 0): string => (n === null || n === undefined ? '-' : n.toFixed(digits));

/** A share as a percentage with one decimal, `-` when unknown. */
export const pct = (x: number | null | undefined): string => (x === null || x === undefined ? '-' : `${(x * 100).toFixed(1)}%`);
