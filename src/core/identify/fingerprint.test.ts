import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createHeaderFingerprinter, describeFingerprint, FINGERPRINT_LENGTH, headerFingerprint } from './fingerprint.ts';

const CHROME = [
  'Host', 'example.org',
  'Connection', 'keep-alive',
  'sec-ch-ua', '"Chromium";v="124"',
  'sec-ch-ua-mobile', '?0',
  'sec-ch-ua-platform', '"Linux"',
  'Upgrade-Insecure-Requests', '1',
  'User-Agent', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Accept', 'text/html,application/xhtml+xml',
  'Sec-Fetch-Site', 'none',
  'Sec-Fetch-Mode', 'navigate',
  'Sec-Fetch-User', '?1',
  'Sec-Fetch-Dest', 'document',
  'Accept-Encoding', 'gzip, deflate, br',
  'Accept-Language', 'en-US,en;q=0.9',
  'Cookie', 'a=1; b=2',
];

/** Flat raw headers from [name, value] pairs. */
const raw = (pairs: ReadonlyArray<readonly [string, string]>): string[] => pairs.flatMap(([n, v]) => [n, v]);

describe('headerFingerprint', () => {
  it('has the documented fixed-width format', () => {
    const fp = headerFingerprint(CHROME, 'GET', '1.1');
    assert.equal(fp.length, FINGERPRINT_LENGTH);
    assert.match(fp, /^ge11cnl14_[0-9a-f]{12}$/);
    assert.deepEqual({ ...describeFingerprint(fp), orderHash: 'x' }, {
      method: 'ge', version: '11', cookie: true, referer: false, acceptLanguage: true, headerCount: 14, orderHash: 'x',
    });
  });

  const prefixCases: ReadonlyArray<{ name: string; headers: string[]; method: string; version: string; prefix: string }> = [
    { name: 'curl', headers: raw([['Host', 'h'], ['User-Agent', 'curl/8'], ['Accept', '*/*']]), method: 'GET', version: '1.1', prefix: 'ge11nnn03' },
    { name: 'POST over HTTP/1.0 with referer', headers: raw([['Host', 'h'], ['Referer', 'x'], ['Content-Length', '0']]), method: 'POST', version: '1.0', prefix: 'po10nrn02' },
    { name: 'HTTP/2 lower-case names', headers: raw([[':method', 'GET'], [':path', '/'], ['accept-language', 'de']]), method: 'GET', version: '2.0', prefix: 'ge20nnl03' },
    { name: 'odd method and version', headers: [], method: 'M-SEARCH', version: '0.9', prefix: 'mx00nnn00' },
    { name: 'one-letter method', headers: [], method: 'X', version: '3', prefix: 'x030nnn00' },
    { name: 'count capped at 99', headers: raw(Array.from({ length: 120 }, (_, i) => [`x-h${i}`, 'v'] as const)), method: 'PUT', version: '1.1', prefix: 'pu11nnn99' },
  ];
  for (const c of prefixCases) {
    it(`prefix: ${c.name}`, () => {
      assert.equal(headerFingerprint(c.headers, c.method, c.version).slice(0, 9), c.prefix);
    });
  }

  it('is stable when values change (rotating user agents, cookies, referers)', () => {
    const other = CHROME.map((v, i) => (i % 2 === 1 ? v + ' rotated' : v));
    assert.equal(headerFingerprint(other, 'GET', '1.1'), headerFingerprint(CHROME, 'GET', '1.1'));
  });

  it('ignores the case of names', () => {
    const lower = CHROME.map((v, i) => (i % 2 === 0 ? v.toLowerCase() : v));
    assert.equal(headerFingerprint(lower, 'GET', '1.1'), headerFingerprint(CHROME, 'GET', '1.1'));
  });

  it('changes with order, presence and repetition of names', () => {
    const base = headerFingerprint(CHROME, 'GET', '1.1');
    const swapped = [...CHROME];
    [swapped[2], swapped[4]] = [swapped[4], swapped[2]];
    assert.notEqual(headerFingerprint(swapped, 'GET', '1.1'), base);
    assert.notEqual(headerFingerprint(CHROME.slice(2), 'GET', '1.1'), base);
    assert.notEqual(headerFingerprint([...CHROME, 'Accept', '*/*'], 'GET', '1.1'), base);
  });

  it('keeps name boundaries apart ([ab, c] vs [a, bc])', () => {
    assert.notEqual(headerFingerprint(['ab', '1', 'c', '1'], 'GET', '1.1'), headerFingerprint(['a', '1', 'bc', '1'], 'GET', '1.1'));
  });

  it('leaves Cookie and Referer out of the order hash and count (only the flags change)', () => {
    const without = CHROME.slice(0, -2);
    const a = headerFingerprint(without, 'GET', '1.1');
    const b = headerFingerprint([...without.slice(0, 4), 'Referer', 'https://x/', ...without.slice(4), 'Cookie', 'c=1'], 'GET', '1.1');
    assert.equal(a.slice(10), b.slice(10));
    assert.equal(a.slice(0, 9), 'ge11nnl14');
    assert.equal(b.slice(0, 9), 'ge11crl14');
  });

  it('can ignore headers a proxy adds', () => {
    const fpr = createHeaderFingerprinter({ ignore: ['X-Forwarded-For', 'via'] });
    const proxied = [...CHROME, 'X-Forwarded-For', '198.51.100.1', 'Via', '1.1 proxy'];
    assert.equal(fpr.fingerprint(proxied, 'GET', '1.1'), headerFingerprint(CHROME, 'GET', '1.1'));
    assert.notEqual(headerFingerprint(proxied, 'GET', '1.1'), headerFingerprint(CHROME, 'GET', '1.1'));
  });

  it('describeFingerprint refuses malformed text', () => {
    assert.equal(describeFingerprint('nope'), null);
  });
});

describe('headerFingerprint properties', () => {
  const name = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/).filter((n) => !['cookie', 'referer'].includes(n.toLowerCase()));
  const value = fc.string({ maxLength: 40 });
  const headers = fc.array(fc.tuple(name, value), { minLength: 2, maxLength: 30 });

  it('is stable under any change of values', () => {
    fc.assert(
      fc.property(headers, fc.array(value, { minLength: 30, maxLength: 30 }), (hs, values) => {
        const a = raw(hs);
        const b = raw(hs.map(([n], i) => [n, values[i]] as const));
        return headerFingerprint(a, 'GET', '1.1') === headerFingerprint(b, 'GET', '1.1');
      }),
    );
  });

  it('differs when two different names swap places', () => {
    fc.assert(
      fc.property(headers, fc.nat(), fc.nat(), (hs, x, y) => {
        const i = x % hs.length;
        const j = y % hs.length;
        fc.pre(hs[i][0].toLowerCase() !== hs[j][0].toLowerCase());
        const swapped = [...hs];
        [swapped[i], swapped[j]] = [swapped[j], swapped[i]];
        return headerFingerprint(raw(hs), 'GET', '1.1') !== headerFingerprint(raw(swapped), 'GET', '1.1');
      }),
    );
  });
});
