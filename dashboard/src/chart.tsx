/**
 * A time chart (uPlot, canvas) that always carries its figures in words: the caption says, per series,
 * the value now and the peak with its time; the canvas itself is hidden from assistive technology.
 * With `levels`, the chart's background shows the threat level of each second as a band (elevated:
 * amber, under attack: red) and the caption says since when the level holds.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { clock, LEVEL_TEXT, num } from './format.ts';

export interface Series {
  readonly label: string;
  readonly color: string;
  readonly values: ReadonlyArray<number | null>;
  readonly dash?: boolean;
  /** Unit suffix in the summary, e.g. ' req/s', ' ms', '%'. */
  readonly unit?: string;
  /** Scale of values in the summary (e.g. 100 for ratios shown as %). */
  readonly scale?: number;
}

export interface ChartProps {
  readonly title: string;
  /** Unix seconds, oldest first. */
  readonly xs: readonly number[];
  readonly series: readonly Series[];
  readonly levels?: ReadonlyArray<number | null>;
  readonly height?: number;
  readonly id?: string;
}

const BAND = ['', 'rgba(245, 166, 35, 0.22)', 'rgba(214, 40, 40, 0.22)'];
const LEVELS = ['normal', 'elevated', 'under_attack'];

function seriesSummary(xs: readonly number[], s: Series): string {
  let peak = -Infinity;
  let at = 0;
  let now: number | null = null;
  s.values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) return;
    now = v;
    if (v > peak) {
      peak = v;
      at = xs[i]!;
    }
  });
  const k = s.scale ?? 1;
  if (now === null) return `${s.label}: no data yet`;
  return `${s.label} now ${num(now * k)}${s.unit ?? ''}, peak ${num(peak * k)}${s.unit ?? ''} at ${clock(at * 1000)}`;
}

/** Words for the level band: the current level and since when. */
export function levelSummary(xs: readonly number[], levels: ReadonlyArray<number | null>): string {
  const last = levels.length - 1;
  if (last < 0) return '';
  const now = levels[last] ?? 0;
  let i = last;
  while (i > 0 && levels[i - 1] === now) i--;
  const name = LEVEL_TEXT[LEVELS[now] ?? 'normal'];
  const worst = Math.max(...levels.map((l) => l ?? 0));
  return `Level ${name}${i > 0 ? ` since ${clock(xs[i]! * 1000)}` : ''}${worst > now ? `; highest in view: ${LEVEL_TEXT[LEVELS[worst]!]}` : ''}.`;
}

/** The chart (see the module comment). */
export function Chart(p: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const levels = useRef(p.levels);
  levels.current = p.levels;
  const data = [p.xs as number[], ...p.series.map((s) => s.values as (number | null)[])] as uPlot.AlignedData;

  useEffect(() => {
    const el = box.current!;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: p.height ?? 180,
      legend: { show: true, live: false },
      cursor: { show: false },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [{ stroke: '#333', grid: { stroke: '#e3e3e3' } }, { stroke: '#333', grid: { stroke: '#e3e3e3' }, size: 56 }],
      series: [{}, ...p.series.map((s) => ({ label: s.label, stroke: s.color, width: 2, ...(s.dash ? { dash: [6, 4] } : {}), points: { show: false } }))],
      hooks: {
        drawClear: [
          (u: uPlot) => {
            const lv = levels.current;
            if (!lv) return;
            const xs = u.data[0];
            const ctx = u.ctx;
            for (let i = 0; i < xs.length; i++) {
              const l = lv[i] ?? 0;
              if (!l) continue;
              const x0 = u.valToPos(xs[i]! - 0.5, 'x', true);
              const x1 = u.valToPos(xs[i]! + 0.5, 'x', true);
              ctx.fillStyle = BAND[l]!;
              ctx.fillRect(x0, u.bbox.top, Math.max(1, x1 - x0), u.bbox.height);
            }
          },
        ],
      },
    };
    plot.current = new uPlot(opts, data, el);
    const ro = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(200, el.clientWidth), height: p.height ?? 180 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [p.series.length]);

  useEffect(() => {
    plot.current?.setData(data);
  });

  const words = [...p.series.map((s) => seriesSummary(p.xs, s)), ...(p.levels ? [levelSummary(p.xs, p.levels)] : [])].join('. ');
  const last = p.series[0]?.values[p.series[0].values.length - 1];
  return (
    <figure class="chart" id={p.id} data-points={p.xs.length} data-last-x={p.xs[p.xs.length - 1] ?? ''} data-last={last ?? ''}>
      <figcaption>
        <strong>{p.title}</strong>
        <span class="summary"> {words || 'No data yet.'}</span>
      </figcaption>
      <div class="plot" ref={box} aria-hidden="true" />
    </figure>
  );
}
