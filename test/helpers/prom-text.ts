/**
 * A strict parser of the Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format), for tests: it refuses
 * what Prometheus would refuse or misread — bad names, bad label syntax or escapes, bad values, samples
 * before their TYPE or of another family, a family declared twice or split, duplicate series — and checks
 * histograms: buckets ascending and cumulative, a `+Inf` bucket equal to `_count`, a `_sum`.
 */

export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface PromFamily {
  readonly name: string;
  readonly type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  readonly help: string | null;
  readonly samples: PromSample[];
}

const METRIC = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function fail(line: number, why: string): never {
  throw new Error(`metrics line ${line}: ${why}`);
}

function parseValue(text: string, line: number): number {
  if (text === 'NaN') return NaN;
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) fail(line, `bad value ${JSON.stringify(text)}`);
  return Number(text);
}

/** Parses `{a="x",b="y"}` starting at text[i] === '{'; returns the labels and the index after '}'. */
function parseLabels(text: string, i: number, line: number): [Record<string, string>, number] {
  const labels: Record<string, string> = {};
  i++;
  for (;;) {
    if (text[i] === '}') return [labels, i + 1];
    const eq = text.indexOf('=', i);
    if (eq < 0) fail(line, 'label without =');
    const name = text.slice(i, eq);
    if (!LABEL.test(name) || name.startsWith('__')) fail(line, `bad label name ${JSON.stringify(name)}`);
    if (name in labels) fail(line, `label ${name} twice`);
    if (text[eq + 1] !== '"') fail(line, 'label value not quoted');
    let value = '';
    let j = eq + 2;
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\\') {
        const e = text[++j];
        if (e === '\\') value += '\\';
        else if (e === '"') value += '"';
        else if (e === 'n') value += '\n';
        else fail(line, `bad escape \\${e}`);
      } else if (text[j] === '\n') fail(line, 'raw newline in a label value');
      else value += text[j];
    }
    if (text[j] !== '"') fail(line, 'unterminated label value');
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
    else if (text[i] !== '}') fail(line, `expected , or } after label ${name}`);
  }
}

function familyOf(sample: string, families: Map<string, PromFamily>): PromFamily | undefined {
  const direct = families.get(sample);
  if (direct && direct.type !== 'histogram') return direct;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!sample.endsWith(suffix)) continue;
    const f = families.get(sample.slice(0, -suffix.length));
    if (f && (f.type === 'histogram' || (f.type === 'summary' && suffix !== '_bucket'))) return f;
  }
  return direct?.type === 'summary' ? direct : undefined;
}

function checkHistogram(f: PromFamily): void {
  const groups = new Map<string, PromSample[]>();
  const key = (l: Readonly<Record<string, string>>) => JSON.stringify(Object.entries(l).filter(([k]) => k !== 'le').sort());
  for (const s of f.samples) {
    const k = key(s.labels);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(s);
  }
  for (const [k, list] of groups) {
    const buckets = list.filter((s) => s.name === `${f.name}_bucket`);
    const count = list.find((s) => s.name === `${f.name}_count`);
    if (!list.some((s) => s.name === `${f.name}_sum`)) throw new Error(`${f.name}${k}: no _sum`);
    if (count === undefined) throw new Error(`${f.name}${k}: no _count`);
    let lastLe = -Infinity;
    let lastCount = 0;
    for (const b of buckets) {
      if (b.labels.le === undefined) throw new Error(`${f.name}${k}: bucket without le`);
      const le = parseValue(b.labels.le, 0);
      if (!(le > lastLe)) throw new Error(`${f.name}${k}: buckets not ascending at le=${b.labels.le}`);
      if (b.value < lastCount) throw new Error(`${f.name}${k}: bucket counts not cumulative at le=${b.labels.le}`);
      lastLe = le;
      lastCount = b.value;
    }
    if (lastLe !== Infinity) throw new Error(`${f.name}${k}: no +Inf bucket`);
    if (lastCount !== count.value) throw new Error(`${f.name}${k}: +Inf bucket ${lastCount} != _count ${count.value}`);
  }
}

/** Parses an exposition; throws on the first problem, naming its line. */
export function parsePrometheusText(text: string): Map<string, PromFamily> {
  const families = new Map<string, PromFamily>();
  const series = new Set<string>();
  const closed = new Set<string>();
  let current: PromFamily | null = null;
  const lines = text.split('\n');
  if (text.length > 0 && !text.endsWith('\n')) fail(lines.length, 'the exposition must end with a newline');
  lines.forEach((raw, idx) => {
    const n = idx + 1;
    if (raw.trim() === '') return;
    const meta = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(raw);
    if (meta !== null) {
      const [, kind, name, rest = ''] = meta;
      if (!METRIC.test(name!)) fail(n, `bad metric name ${name}`);
      let f = families.get(name!);
      if (f === undefined) {
        if (closed.has(name!)) fail(n, `${name} declared again after other families`);
        f = { name: name!, type: 'untyped', help: null, samples: [] };
        families.set(name!, f);
      } else if (f.samples.length > 0) fail(n, `${kind} for ${name} after its samples`);
      if (current !== null && current !== f) closed.add(current.name);
      current = f;
      if (kind === 'TYPE') {
        if (!TYPES.has(rest.trim())) fail(n, `unknown type ${rest}`);
        if ((f as { typed?: boolean }).typed) fail(n, `second TYPE for ${name}`);
        (f as { typed?: boolean }).typed = true;
        (f as { type: string }).type = rest.trim();
      } else {
        if (f.help !== null) fail(n, `second HELP for ${name}`);
        if (/\\[^\\n]/.test(rest.replace(/\\\\/g, ''))) fail(n, 'bad escape in HELP');
        (f as { help: string }).help = rest.replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
      }
      return;
    }
    if (raw.startsWith('#')) return;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(raw);
    if (m === null) fail(n, `not a sample: ${raw}`);
    const name = m[1]!;
    let i = name.length;
    let labels: Record<string, string> = {};
    if (raw[i] === '{') [labels, i] = parseLabels(raw, i, n);
    const rest = raw.slice(i);
    const vm = /^ (\S+)(?: (-?\d+))?$/.exec(rest);
    if (vm === null) fail(n, `bad value part ${JSON.stringify(rest)}`);
    const value = parseValue(vm[1]!, n);
    const f = familyOf(name, families);
    if (f === undefined) fail(n, `sample ${name} has no TYPE/HELP family before it`);
    if (f !== current) fail(n, `sample ${name} outside its family's block`);
    const id = name + JSON.stringify(Object.entries(labels).sort());
    if (series.has(id)) fail(n, `duplicate series ${name}${JSON.stringify(labels)}`);
    series.add(id);
    f.samples.push({ name, labels, value });
  });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}
