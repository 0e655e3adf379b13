import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfigText } from './load.ts';

function problems(text: string) {
  try {
    parseConfigText(text, 'b.yaml');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

const MINIMAL = `sites:\n  - name: a\n    hosts: ["*"]\n    origins: ["http://127.0.0.1:3000"]\n`;

test('a minimal config gets every default', () => {
  const c = parseConfigText(MINIMAL);
  assert.deepEqual(c.listen.http, ['127.0.0.1:8080']);
  assert.equal(c.admin.listen, '127.0.0.1:9901');
  assert.equal(c.connections.header_timeout, 10_000);
  assert.equal(c.sites[0]!.max_body_bytes, 10 * 1024 * 1024);
  assert.equal(c.sites[0]!.origin.connect_timeout, 5000);
});

test('durations and sizes accept units', () => {
  const c = parseConfigText(`connections:\n  header_timeout: 2s\n  max_header_bytes: 8kb\n  drain_timeout: 1500\n${MINIMAL}`);
  assert.equal(c.connections.header_timeout, 2000);
  assert.equal(c.connections.max_header_bytes, 8192);
  assert.equal(c.connections.drain_timeout, 1500);
});

test('an unknown key is an error naming its path and line', () => {
  const p = problems(`${MINIMAL}    colour: blue\n`);
  assert.deepEqual(p, [{ path: 'sites[0].colour', line: 5, message: 'unknown key "colour"' }]);
});

test('every problem is reported at once, in line order', () => {
  const p = problems(`listen:\n  htps: []\nconnections:\n  header_timeout: soon\nsites:\n  - name: a\n    hosts: []\n    origins: ["ftp://x"]\n`);
  assert.deepEqual(
    p.map((x) => [x.path, x.line]),
    [
      ['listen.htps', 2],
      ['connections.header_timeout', 4],
      ['sites[0].hosts', 7],
      ['sites[0].origins[0]', 8],
    ],
  );
});

test('a missing required key is reported at its parent', () => {
  const p = problems(`sites:\n  - name: a\n    hosts: ["*"]\n`);
  assert.equal(p.length, 1);
  assert.equal(p[0]!.path, 'sites[0].origins');
  assert.equal(p[0]!.line, 2);
});

test('the admin listener refuses a non-loopback address until it has authentication', () => {
  const p = problems(`admin:\n  listen: 0.0.0.0:9901\n${MINIMAL}`);
  assert.equal(p[0]!.path, 'admin.listen');
  assert.match(p[0]!.message, /loopback/);
  assert.equal(parseConfigText(`admin:\n  listen: "[::1]:9901"\n${MINIMAL}`).admin.listen, '[::1]:9901');
  assert.equal(parseConfigText(`admin:\n  listen: null\n${MINIMAL}`).admin.listen, null);
});

test('duplicate site names and hosts are refused', () => {
  const p = problems(
    `sites:\n  - name: a\n    hosts: [x.org]\n    origins: ["http://127.0.0.1:1"]\n  - name: a\n    hosts: [x.org]\n    origins: ["http://127.0.0.1:2"]\n`,
  );
  assert.deepEqual(
    p.map((x) => x.path),
    ['sites[1].name', 'sites[1].hosts[0]'],
  );
});

test('https listeners need a site with a certificate', () => {
  const p = problems(`listen:\n  https: ["127.0.0.1:8443"]\n${MINIMAL}`);
  assert.equal(p[0]!.path, 'listen.https');
});

test('YAML syntax errors and duplicate keys are config errors with a line', () => {
  const p = problems(`sites: [\n`);
  assert.match(p[0]!.message, /^YAML/);
  const d = problems(`state_dir: a\nstate_dir: b\n${MINIMAL}`);
  assert.match(d[0]!.message, /^YAML/);
  assert.equal(d[0]!.line, 2);
});

test('origin URLs with credentials or a query are refused', () => {
  for (const url of ['http://user:pw@127.0.0.1', 'http://127.0.0.1/?a=1', 'file:///etc/passwd']) {
    const p = problems(`sites:\n  - name: a\n    hosts: ["*"]\n    origins: ["${url}"]\n`);
    assert.equal(p[0]!.path, 'sites[0].origins[0]', url);
  }
});

test('zero or absurd timeouts and sizes are config errors naming the key', () => {
  const cases: [string, RegExp][] = [
    ['connections:\n  header_timeout: 0\n', /connections\.header_timeout: duration 0 out of range: expected 1s\.\.5m/],
    ['connections:\n  keep_alive_timeout: 0\n', /connections\.keep_alive_timeout: duration 0 out of range/],
    ['connections:\n  send_timeout: 400d\n', /connections\.send_timeout: duration "400d" out of range: expected 1s\.\.1h/],
    ['connections:\n  max_header_bytes: 0\n', /connections\.max_header_bytes: size 0 out of range: expected 1kb\.\.1mb/],
    ['connections:\n  header_timeout: 20s\n  request_timeout: 10s\n', /connections\.header_timeout: header_timeout must not exceed request_timeout/],
  ];
  for (const [head, re] of cases) {
    const text = `${head}sites:\n  - name: a\n    hosts: ["*"]\n    origins: ["http://127.0.0.1:3000"]\n`;
    assert.throws(() => parseConfigText(text), (err: unknown) => err instanceof ConfigError && re.test(err.message), head);
  }
  const site = (origin: string) => `sites:\n  - name: a\n    hosts: ["*"]\n    origins: ["http://127.0.0.1:3000"]\n    origin:\n${origin}`;
  assert.throws(() => parseConfigText(site('      headers_timeout: 0\n')), /sites\[0\]\.origin\.headers_timeout: duration 0 out of range/);
  // 0 where it documents "off" is fine.
  assert.equal(parseConfigText(`connections:\n  min_send_rate: 0\n${site('      connect_timeout: 1s\n')}`).connections.min_send_rate, 0);
});

test('a YAML alias bomb is a config problem, not a crash', () => {
  const rows = ['a: &a [x, x, x, x, x, x, x, x, x]'];
  for (const [n, p] of [['b', 'a'], ['c', 'b'], ['d', 'c'], ['e', 'd'], ['f', 'e']]) rows.push(`${n}: &${n} [${Array(9).fill(`*${p}`).join(', ')}]`);
  assert.throws(() => parseConfigText(rows.join('\n') + '\n'), (err: unknown) => err instanceof ConfigError && /alias bomb/.test(err.message));
});
