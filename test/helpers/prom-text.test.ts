import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePrometheusText } from './prom-text.ts';

const GOOD = `# HELP a_total Things.\n# TYPE a_total counter\na_total{site="x",q="a\\"b\\\\c\\nd"} 3\na_total{site="y"} 1e3\n# HELP h Latency.\n# TYPE h histogram\nh_bucket{le="0.1"} 1\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 2\nh_sum 0.5\nh_count 2\n# TYPE g gauge\ng NaN\ng{a="b"} -Inf 1700000000000\n`;

test('the strict text-format parser accepts a valid exposition', () => {
  const f = parsePrometheusText(GOOD);
  assert.equal(f.get('a_total')!.samples[0]!.labels.q, 'a"b\\c\nd');
  assert.equal(f.get('a_total')!.samples[1]!.value, 1000);
  assert.equal(f.get('h')!.samples.length, 5);
});

test('the strict text-format parser refuses what Prometheus would', () => {
  const bad: Array<[string, string]> = [
    ['no trailing newline', '# TYPE a gauge\na 1'],
    ['sample before TYPE', 'a 1\n'],
    ['bad metric name', '# TYPE 1a gauge\n1a 1\n'],
    ['bad value', '# TYPE a gauge\na one\n'],
    ['unquoted label', '# TYPE a gauge\na{x=1} 1\n'],
    ['bad escape', '# TYPE a gauge\na{x="\\t"} 1\n'],
    ['reserved label', '# TYPE a gauge\na{__x="1"} 1\n'],
    ['duplicate series', '# TYPE a gauge\na{x="1"} 1\na{x="1"} 2\n'],
    ['second TYPE', '# TYPE a gauge\n# TYPE a counter\na 1\n'],
    ['split family', '# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\n# HELP a again\n'],
    ['histogram without +Inf', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n'],
    ['histogram not cumulative', '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'],
    ['histogram +Inf != count', '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n'],
    ['sample of another family', '# TYPE a gauge\nb 1\n'],
  ];
  for (const [why, text] of bad) assert.throws(() => parsePrometheusText(text), /metrics line|no _sum|no _count|no \+Inf|cumulative|!= _count|ascending/, why);
});
