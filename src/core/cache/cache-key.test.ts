import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createCacheKeyer, normalizePercent, variantKey } from './cache-key.ts';

const HOST = 'www.example.org';

describe('createCacheKeyer', () => {
  const keyer = createCacheKeyer({ dropParams: ['sessionid', 'ref_*'], ignoreQueryPaths: ['/', '/news/*', '/assets/**'] });
  const key = (path: string, method = 'GET') => keyer({ method, host: HOST, path });
  const rows: Array<[string, string, string]> = [
    ['plain path', '/about', 'GET www.example.org/about'],
    ['HEAD shares GET', '/about', 'GET www.example.org/about'],
    ['sorted params', '/search?q=x&a=1', 'GET www.example.org/search?a=1&q=x'],
    ['stable for repeated names', '/s?b=2&a=9&b=1', 'GET www.example.org/s?a=9&b=2&b=1'],
    ['tracking params dropped', '/p?utm_source=x&id=3&fbclid=y&gclid=z&mc_cid=1&mc_eid=2', 'GET www.example.org/p?id=3'],
    ['tracking params case-insensitive', '/p?UTM_Campaign=x&id=3', 'GET www.example.org/p?id=3'],
    ['configured params dropped', '/p?sessionid=1&ref_home=2&reference=3', 'GET www.example.org/p?reference=3'],
    ['empty params and trailing ?', '/p?&&a=1&', 'GET www.example.org/p?a=1'],
    ['only dropped params', '/p?utm_medium=x', 'GET www.example.org/p'],
    ['bare ?', '/p?', 'GET www.example.org/p'],
    ['ignore-query root', '/?cb=12345', 'GET www.example.org/'],
    ['ignore-query one segment', '/news/today?x=1', 'GET www.example.org/news/today'],
    ['one segment only', '/news/a/b?x=1', 'GET www.example.org/news/a/b?x=1'],
    ['ignore-query deep', '/assets/css/site.css?v=9', 'GET www.example.org/assets/css/site.css'],
    ['percent hex upper-cased', '/a%2fb?x=%c3%a9', 'GET www.example.org/a%2Fb?x=%C3%A9'],
    ['unreserved decoded', '/%7Euser/%41?%61=1', 'GET www.example.org/~user/A?a=1'],
    ['escaped tracking name dropped', '/p?utm%5Fsource=1&b=2', 'GET www.example.org/p?b=2'],
    ['escaped & stays a value', '/p?a=1%26b%3D2', 'GET www.example.org/p?a=1%26b%3D2'],
  ];
  for (const [name, path, want] of rows) it(name, () => assert.equal(key(path, name.startsWith('HEAD') ? 'HEAD' : 'GET'), want));

  it('other methods keep their own class', () => assert.equal(key('/f', 'POST'), 'POST www.example.org/f'));
  it('host lower-cased', () => assert.equal(keyer({ method: 'GET', host: 'WWW.Example.ORG', path: '/' }), 'GET www.example.org/'));
  it('normalizeTarget gives what to forward', () => assert.equal(keyer.normalizeTarget('/s?utm_source=a&b=2&a=1'), '/s?a=1&b=2'));
  it('keyOfTarget of the normalised target is the key (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), fc.constantFrom('GET', 'HEAD', 'POST'), fc.constantFrom('www.example.org', 'WWW.Example.ORG'), (tail, method, host) => {
        const path = `/${tail}`;
        assert.equal(keyer.keyOfTarget(method, host, keyer.normalizeTarget(path)), keyer({ method, host, path }));
      }),
    );
  });

  it('random query strings on an ignore-query path map to one key', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (q) => {
        assert.equal(key(`/?${q.replace(/#/g, '')}`), 'GET www.example.org/');
      }),
    );
  });
  it('parameter order never changes the key', () => {
    const param = fc.tuple(fc.stringMatching(/^[a-z]{1,4}$/), fc.stringMatching(/^[a-z0-9]{0,4}$/));
    fc.assert(
      fc.property(fc.uniqueArray(param, { selector: (p) => p[0], maxLength: 8 }), fc.infiniteStream(fc.nat()), (params, rnd) => {
        const shuffled = [...params];
        const it = rnd[Symbol.iterator]();
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = (it.next().value as number) % (i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
        }
        const q = (ps: typeof params) => ps.map(([n, v]) => `${n}=${v}`).join('&');
        assert.equal(key(`/x?${q(params)}`), key(`/x?${q(shuffled)}`));
      }),
    );
  });
  it('many parameters sort stably too (the non-quadratic path)', () => {
    const names = Array.from({ length: 40 }, (_, i) => `p${String(39 - i).padStart(2, '0')}`);
    const q = [...names.map((n) => `${n}=2`), ...names.map((n) => `${n}=1`)].join('&');
    const want = [...names].sort().flatMap((n) => [`${n}=2`, `${n}=1`]).join('&');
    assert.equal(keyer.normalizeTarget(`/x?${q}`), `/x?${want}`);
  });
  it('defaults can be turned off', () => {
    const k = createCacheKeyer({ dropTrackingParams: false });
    assert.equal(k({ method: 'GET', host: HOST, path: '/?utm_source=x' }), 'GET www.example.org/?utm_source=x');
  });
  it('rejects a pattern not starting with /', () => {
    assert.throws(() => createCacheKeyer({ ignoreQueryPaths: ['news/*'] }), { code: 'BULWARK_ERR_CACHE_KEY_PATTERN' });
  });
  it('regex characters in patterns are literal', () => {
    const k = createCacheKeyer({ ignoreQueryPaths: ['/a.b'] });
    assert.equal(k({ method: 'GET', host: HOST, path: '/a.b?x=1' }), 'GET www.example.org/a.b');
    assert.equal(k({ method: 'GET', host: HOST, path: '/aXb?x=1' }), 'GET www.example.org/aXb?x=1');
  });
});

describe('normalizePercent', () => {
  it('leaves strings without % alone', () => assert.equal(normalizePercent('/a/b'), '/a/b'));
  it('keeps invalid escapes verbatim', () => assert.equal(normalizePercent('/a%zz%4'), '/a%zz%4'));
});

describe('variantKey', () => {
  const h = (m: Record<string, string>) => (n: string) => m[n];
  it('is empty without Vary', () => assert.equal(variantKey([], h({ accept: 'x' })), ''));
  it('normalises spaces around commas', () => {
    assert.equal(variantKey(['accept-encoding'], h({ 'accept-encoding': ' gzip ,  br' })), variantKey(['accept-encoding'], h({ 'accept-encoding': 'gzip,br' })));
  });
  it('tells absent from empty', () => {
    assert.notEqual(variantKey(['accept'], h({})), variantKey(['accept'], h({ accept: '' })));
  });
  it('tells different values apart', () => {
    assert.notEqual(variantKey(['accept-language'], h({ 'accept-language': 'fr' })), variantKey(['accept-language'], h({ 'accept-language': 'en' })));
  });
});
