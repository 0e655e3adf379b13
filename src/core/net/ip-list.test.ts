import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileIpLists } from './ip-list.ts';
import { parseIp } from './ip.ts';

const FIREHOL = `# firehol_level1
0.0.0.0/8
1.10.16.0/20
10.0.0.0/8
127.0.0.0/8
192.0.2.0/24
`;

test('precedence: longest prefix wins, allow wins ties', () => {
  const lists = compileIpLists({
    allow: [{ source: 'config', entries: ['203.0.113.0/24', '198.51.100.7', '192.0.2.0/24'] }],
    deny: [
      { source: 'manual', entries: ['203.0.113.66', '198.51.100.0/24', '2001:db8::/32'] },
      { source: 'firehol', text: FIREHOL },
    ],
  });
  const cases: Array<[string, string | null]> = [
    ['203.0.113.66', 'deny manual 203.0.113.66/32'],
    ['203.0.113.67', 'allow config 203.0.113.0/24'],
    ['198.51.100.7', 'allow config 198.51.100.7/32'],
    ['198.51.100.8', 'deny manual 198.51.100.0/24'],
    ['::ffff:198.51.100.8', 'deny manual 198.51.100.0/24'],
    ['192.0.2.1', 'allow config 192.0.2.0/24'], // tie: allow wins
    ['1.10.16.1', 'deny firehol 1.10.16.0/20'],
    ['2001:db8::1', 'deny manual 2001:db8::/32'],
    ['10.1.2.3', null], // protected: skipped
    ['127.0.0.1', null],
    ['0.1.2.3', 'deny firehol 0.0.0.0/8'],
    ['8.8.8.8', null],
    ['nonsense', null],
  ];
  for (const [a, want] of cases) {
    const m = lists.match(a);
    assert.equal(m && `${m.kind} ${m.source} ${m.cidr}`, want, a);
    const p = parseIp(a);
    if (p) assert.equal(lists.match(p), m);
  }
  const s = lists.stats();
  assert.equal(s.allowPrefixes, 3);
  assert.equal(s.denyPrefixes, 5);
  assert.equal(s.warningsByKind.protected_skipped, 2);
  assert.equal(s.warningsByKind.conflict, 1);
  assert.equal(s.warningsByKind.deny_narrows_allow, 1);
});

test('warnings name the source, line and reason', () => {
  const lists = compileIpLists({
    deny: [{ source: 'firehol', text: `${FIREHOL}junk\n` }, { source: 'config', entries: ['1.2.3.4/33'] }],
    trustedProxies: ['192.0.2.10', 'not-a-proxy'],
  });
  const w = lists.warnings.map((x) => `${x.kind} ${x.source}:${x.line ?? '-'} ${x.text} | ${x.reason}`);
  assert.deepEqual(w, [
    'invalid_trusted_proxy trusted_proxies:- not-a-proxy | not an IP address or CIDR',
    'invalid_line firehol:7 junk | not an IP address or CIDR', // a source's invalid lines come first
    'protected_skipped firehol:4 10.0.0.0/8 | covers private range 10.0.0.0/8; set force to deny it anyway',
    'protected_skipped firehol:5 127.0.0.0/8 | covers loopback range 127.0.0.0/8; set force to deny it anyway',
    'protected_skipped firehol:6 192.0.2.0/24 | covers trusted_proxy range 192.0.2.10/32; set force to deny it anyway',
    'invalid_line config:1 1.2.3.4/33 | invalid prefix length (0..32)',
  ]);
  assert.equal(lists.match('192.0.2.10'), null);
});

test('force keeps protected entries, with a warning', () => {
  const lists = compileIpLists({ deny: [{ source: 'internal', entries: ['10.0.0.0/8'], force: true }] });
  assert.equal(lists.match('10.9.9.9')?.kind, 'deny');
  assert.equal(lists.warnings[0].kind, 'protected_forced');
});

test('allow entries are never filtered for protection', () => {
  const lists = compileIpLists({ allow: [{ source: 'config', entries: ['127.0.0.1', '10.0.0.0/8', '::1'] }] });
  assert.equal(lists.match('127.0.0.1')?.kind, 'allow');
  assert.equal(lists.match('::1')?.kind, 'allow');
  assert.equal(lists.warnings.length, 0);
});

test('Spamhaus notes reach the match; duplicates are counted, first source kept', () => {
  const lists = compileIpLists({
    deny: [
      { source: 'drop', text: '1.10.16.0/20 ; SBL256894\n' },
      { source: 'firehol', text: FIREHOL },
    ],
  });
  assert.deepEqual(lists.match('1.10.16.5'), { kind: 'deny', source: 'drop', cidr: '1.10.16.0/20', note: 'SBL256894' });
  assert.equal(lists.stats().duplicates, 1);
});

test('caps: prefix limit and warning details', () => {
  const entries = Array.from({ length: 20 }, (_, i) => `203.0.${i}.0/24`);
  const lists = compileIpLists({ deny: [{ source: 'big', entries }, { source: 'junk', text: 'x\n'.repeat(30) }], maxPrefixes: 5, maxWarnings: 10 });
  const s = lists.stats();
  assert.equal(s.denyPrefixes, 5);
  assert.equal(s.warningsByKind.full, 15);
  assert.equal(s.warningsByKind.invalid_line, 30);
  assert.equal(lists.warnings.length, 10);
  assert.equal(s.warningsDropped, 35);
  assert.equal(s.trie.prefixes, 5);
});

test('empty input compiles to a matcher that matches nothing', () => {
  const lists = compileIpLists({});
  assert.equal(lists.match('1.2.3.4'), null);
  assert.equal(lists.warnings.length, 0);
});
