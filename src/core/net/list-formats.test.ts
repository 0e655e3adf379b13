import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectListFormat, parseListText } from './list-formats.ts';

const NETSET = `#
# firehol_level1
# ipv4 hash:net ipset
#
# A firewall blacklist composed from IP lists, providing
# maximum protection with minimum false positives.
#
# Source URL: https://iplists.firehol.org/?ipset=firehol_level1
#
0.0.0.0/8
1.10.16.0/20
127.0.0.0/8
10.0.0.0/8
223.254.0.0/16
`;

const DROP_TXT = `; Spamhaus DROP List 2024/01/01 - (c) 2024 The Spamhaus Project SLU
; https://www.spamhaus.org/drop/drop.txt
; Last-Modified: Mon, 01 Jan 2024 00:00:00 GMT
; Expires: Mon, 01 Jan 2024 01:00:00 GMT
1.10.16.0/20 ; SBL256894
1.19.0.0/16 ; SBL434604
2a06:5280::/29 ; SBL301771
`;

const DROP_JSON = `{"cidr":"1.10.16.0/20","sblid":"SBL256894","rir":"apnic"}
{"cidr":"1.19.0.0/16","sblid":"SBL434604","rir":"apnic"}
{"cidr":"2a06:5280::/29","sblid":"SBL301771","rir":"ripencc"}
{"type":"metadata","timestamp":1704067200,"size":3,"records":3,"copyright":"(c) 2024 The Spamhaus Project SLU","terms":"https://www.spamhaus.org/drop/terms/"}
`;

test('detectListFormat', () => {
  const cases: Array<[string, string]> = [
    [NETSET, 'netset'],
    [DROP_TXT, 'spamhaus-drop'],
    [DROP_JSON, 'spamhaus-drop-json'],
    ['# my list\n1.2.3.4\n10.0.0.0/8 # office\n', 'plain'],
    ['1.2.3.4 ; note\n', 'spamhaus-drop'],
    ['', 'plain'],
    ['\ufeff{"cidr":"1.2.3.0/24"}', 'spamhaus-drop-json'],
  ];
  for (const [text, want] of cases) assert.equal(detectListFormat(text), want, text.slice(0, 30));
});

test('FireHOL netset', () => {
  const r = parseListText(NETSET);
  assert.equal(r.format, 'netset');
  assert.deepEqual(
    r.entries.map((e) => [e.cidr.text, e.line]),
    [
      ['0.0.0.0/8', 10],
      ['1.10.16.0/20', 11],
      ['127.0.0.0/8', 12],
      ['10.0.0.0/8', 13],
      ['223.254.0.0/16', 14],
    ],
  );
  assert.equal(r.invalidCount, 0);
});

test('Spamhaus DROP text keeps the SBL id as a note', () => {
  const r = parseListText(DROP_TXT);
  assert.equal(r.format, 'spamhaus-drop');
  assert.deepEqual(
    r.entries.map((e) => [e.cidr.text, e.note]),
    [
      ['1.10.16.0/20', 'SBL256894'],
      ['1.19.0.0/16', 'SBL434604'],
      ['2a06:5280::/29', 'SBL301771'],
    ],
  );
});

test('Spamhaus DROP NDJSON: the metadata line is not an error', () => {
  const r = parseListText(DROP_JSON);
  assert.equal(r.format, 'spamhaus-drop-json');
  assert.deepEqual(
    r.entries.map((e) => [e.cidr.text, e.note, e.line]),
    [
      ['1.10.16.0/20', 'SBL256894', 1],
      ['1.19.0.0/16', 'SBL434604', 2],
      ['2a06:5280::/29', 'SBL301771', 3],
    ],
  );
  assert.equal(r.invalidCount, 0);
});

test('invalid lines are reported with line, text and reason, and skipped', () => {
  const text = ['# header', '1.2.3.4', 'not-an-ip', '10.1.2.3/8', '2001:db8::/129', '', '  192.0.2.0/24  # doc range', '1.2.3.4 5.6.7.8', '\r'].join('\r\n');
  const r = parseListText(text, { format: 'plain' });
  assert.deepEqual(
    r.entries.map((e) => e.cidr.text),
    ['1.2.3.4/32', '192.0.2.0/24'],
  );
  assert.deepEqual(r.invalid, [
    { line: 3, text: 'not-an-ip', reason: 'not an IP address or CIDR' },
    { line: 4, text: '10.1.2.3/8', reason: 'host bits set (network is 10.0.0.0/8)' },
    { line: 5, text: '2001:db8::/129', reason: 'invalid prefix length (0..128)' },
    { line: 8, text: '1.2.3.4 5.6.7.8', reason: 'not an IP address or CIDR' },
  ]);
  assert.equal(r.invalidCount, 4);
});

test('NDJSON errors', () => {
  const text = ['{"cidr":"1.2.3.0/24"}', '{bad json', '[1,2]', '{"sblid":"SBL1"}', '{"cidr":"1.2.3.4/8"}', '{"cidr":42}'].join('\n');
  const r = parseListText(text, { format: 'spamhaus-drop-json' });
  assert.equal(r.entries.length, 1);
  assert.deepEqual(
    r.invalid.map((i) => [i.line, i.reason]),
    [
      [2, 'not valid JSON'],
      [3, 'not a JSON object'],
      [4, 'no "cidr" string'],
      [5, 'host bits set (network is 1.0.0.0/8)'],
      [6, 'no "cidr" string'],
    ],
  );
});

test('caps: entries, reported invalid lines, line length', () => {
  const many = Array.from({ length: 50 }, (_, i) => `10.0.${i}.0/24`).join('\n');
  const r = parseListText(many, { maxEntries: 10 });
  assert.equal(r.entries.length, 10);
  assert.equal(r.truncated, true);
  const junk = Array.from({ length: 50 }, () => 'junk').join('\n');
  const j = parseListText(junk, { maxInvalidReported: 5 });
  assert.equal(j.invalid.length, 5);
  assert.equal(j.invalidCount, 50);
  const long = parseListText('1'.repeat(5000));
  assert.equal(long.invalid[0].reason, 'line longer than 4096 characters');
  assert.equal(long.invalid[0].text.length, 200);
});

test('never throws on arbitrary input', () => {
  for (const text of ['\u0000\u0001', '{', ';;;', '#', '\n\n\n', '{"type":"metadata"}', 'a'.repeat(10000), '1.2.3.4/'.repeat(100)]) {
    for (const format of ['auto', 'plain', 'netset', 'spamhaus-drop', 'spamhaus-drop-json'] as const) {
      assert.doesNotThrow(() => parseListText(text, { format }));
    }
  }
});
