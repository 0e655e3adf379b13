/**
 * Reading a V8 CPU profile (`node --cpu-prof`) as the request path's cost: time per function (its own
 * samples, and everything it called), in µs per request when the number of requests is known. Used by
 * bench/profile-path.bench.ts to say where a path's time goes; sampled times include the profiler's own
 * overhead (about a third at a 100 µs interval), so compare entries with each other, not with the
 * benchmarks' CPU figures.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

/** A function's share: sampled µs per request (or per second of profile when requests are unknown). */
export interface FunctionCost {
  readonly name: string;
  readonly us: number;
  readonly share: number;
}

/** A loaded profile with its per-node sample counts. */
export interface ProfileView {
  /** µs the process was busy (not idle) per request. */
  readonly busyUs: number;
  /** Functions by their own samples, largest first. */
  self(top: number): FunctionCost[];
  /** The callee tree under every call of `fn` (merged by function), down to `depth` levels, entries ≥ `minUs`. */
  tree(fn: string, depth: number, minUs: number): string[];
}

/**
 * The source module of a line of a bundle: esbuild marks each module's start with a `// src/...`
 * comment line, so a function in dist/cli.js is named after the file it came from.
 */
const bundles = new Map<string, Array<[number, string]>>();
function moduleOf(url: string, line: number): string | null {
  if (!url.startsWith('file://') || !url.includes('/dist/')) return null;
  let marks = bundles.get(url);
  if (marks === undefined) {
    marks = [];
    try {
      readFileSync(new URL(url), 'utf8').split('\n').forEach((text, i) => {
        if (/^\/\/ (src|node_modules)\//.test(text)) marks!.push([i, text.slice(3)]);
      });
    } catch {
      // not readable: named by file and line
    }
    bundles.set(url, marks);
  }
  let lo = 0;
  let hi = marks.length - 1;
  let found: string | null = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (marks[mid]![0] <= line) {
      found = marks[mid]![1];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

const keyOf = (n: ProfileNode): string => {
  const fn = n.callFrame.functionName || '(anonymous)';
  const module = moduleOf(n.callFrame.url, n.callFrame.lineNumber);
  if (module !== null) return `${fn} (${module})`;
  const file = n.callFrame.url.split('/').slice(-1)[0] ?? '';
  return `${fn} ${file}:${n.callFrame.lineNumber + 1}`;
};

/** Loads `file`; `requests` is the number of requests the profile covers (costs are per request). */
export function loadProfile(file: string, requests: number): ProfileView {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const hits = new Map<number, number>();
  for (const s of p.samples) hits.set(s, (hits.get(s) ?? 0) + 1);
  const usPerSample = (p.endTime - p.startTime) / Math.max(1, p.samples.length);
  const per = (samples: number): number => (samples * usPerSample) / Math.max(1, requests);
  const total = new Map<number, number>();
  const inclusive = (id: number): number => {
    const known = total.get(id);
    if (known !== undefined) return known;
    let t = hits.get(id) ?? 0;
    for (const c of byId.get(id)?.children ?? []) t += inclusive(c);
    total.set(id, t);
    return t;
  };
  let idle = 0;
  const self = new Map<string, number>();
  for (const [id, n] of hits) {
    const node = byId.get(id)!;
    if (node.callFrame.functionName === '(idle)') idle += n;
    else self.set(keyOf(node), (self.get(keyOf(node)) ?? 0) + n);
  }
  const busy = p.samples.length - idle;
  return {
    busyUs: per(busy),
    self(top) {
      return [...self].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, n]) => ({ name, us: per(n), share: n / Math.max(1, busy) }));
    },
    tree(fn, depth, minUs) {
      interface Merged { t: number; kids: Map<string, Merged> }
      const root: Merged = { t: 0, kids: new Map() };
      const add = (id: number, m: Merged, d: number): void => {
        m.t += inclusive(id);
        if (d === 0) return;
        for (const c of byId.get(id)?.children ?? []) {
          const k = keyOf(byId.get(c)!);
          let child = m.kids.get(k);
          if (child === undefined) m.kids.set(k, (child = { t: 0, kids: new Map() }));
          add(c, child, d - 1);
        }
      };
      const walk = (id: number): void => {
        const n = byId.get(id)!;
        if (n.callFrame.functionName === fn) return add(id, root, depth);
        for (const c of n.children ?? []) walk(c);
      };
      walk(p.nodes[0]!.id);
      const lines = [`${per(root.t).toFixed(2).padStart(7)} µs  ${fn}`];
      const print = (m: Merged, indent: number): void => {
        for (const [k, v] of [...m.kids].sort((a, b) => b[1].t - a[1].t)) {
          if (per(v.t) < minUs) continue;
          lines.push(`${per(v.t).toFixed(2).padStart(7)} µs  ${' '.repeat(indent)}${k}`);
          print(v, indent + 2);
        }
      };
      print(root, 2);
      return lines;
    },
  };
}
