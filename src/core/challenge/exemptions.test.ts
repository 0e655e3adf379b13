import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createExemptions, globToRegExpSource, type ExemptionRequest } from './exemptions.ts';

const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const browser: ExemptionRequest = { method: 'GET', path: '/', accept: HTML, secFetchDest: 'document', clientClass: 'browser', hasUserAgent: true };

test('classification table', () => {
  const ex = createExemptions({ apiPaths: ['/api/**', '/graphql'], passPaths: ['/status'], statusOnlyPaths: ['/downloads/*.zip'] });
  const cases: Array<[string, Partial<ExemptionRequest>, string, string]> = [
    ['browser navigation', {}, 'page', 'navigation'],
    ['unknown client asking for HTML', { clientClass: 'unknown', secFetchDest: undefined }, 'page', 'navigation'],
    ['browser POST form', { method: 'POST' }, 'page', 'navigation'],
    ['iframe navigation', { secFetchDest: 'iframe' }, 'page', 'navigation'],
    ['Bulwark route', { path: '/.bulwark/challenge/verify' }, 'pass', 'bulwark_path'],
    ['ACME HTTP-01', { path: '/.well-known/acme-challenge/tok', clientClass: 'library', accept: undefined }, 'pass', 'acme'],
    ['verified crawler', { clientClass: 'crawler', verifiedCrawler: true, accept: '*/*' }, 'pass', 'verified_crawler'],
    ['configured pass path', { path: '/status' }, 'pass', 'pass_path'],
    ['robots.txt', { path: '/robots.txt' }, 'status_only', 'robots_txt'],
    ['security.txt', { path: '/.well-known/security.txt' }, 'status_only', 'well_known'],
    ['API path', { path: '/api/v1/items' }, 'status_only', 'api_path'],
    ['API exact', { path: '/graphql', method: 'POST' }, 'status_only', 'api_path'],
    ['API prefix itself is not /api/**', { path: '/api' }, 'page', 'navigation'],
    ['feed', { path: '/feed' }, 'status_only', 'feed_path'],
    ['nested feed', { path: '/blog/feed/' }, 'status_only', 'feed_path'],
    ['rss file', { path: '/news/all.rss' }, 'status_only', 'feed_path'],
    ['configured status path', { path: '/downloads/app.zip' }, 'status_only', 'status_path'],
    ['glob star stays in one segment', { path: '/downloads/x/app.zip' }, 'page', 'navigation'],
    ['image subresource', { secFetchDest: 'image', accept: 'image/avif,image/webp,*/*' }, 'status_only', 'subresource'],
    ['fetch() from a page', { secFetchDest: 'empty', accept: '*/*' }, 'status_only', 'subresource'],
    ['CORS preflight', { method: 'OPTIONS' }, 'status_only', 'subresource'],
    ['curl', { clientClass: 'library', accept: '*/*', secFetchDest: undefined }, 'status_only', 'non_browser'],
    ['library asking for HTML', { clientClass: 'library', accept: 'text/html', secFetchDest: undefined }, 'status_only', 'non_browser'],
    ['unverified crawler', { clientClass: 'crawler', secFetchDest: undefined }, 'status_only', 'non_browser'],
    ['no user agent', { hasUserAgent: false, clientClass: 'unknown', secFetchDest: undefined }, 'status_only', 'non_browser'],
    ['browser without HTML in Accept', { accept: 'application/json', secFetchDest: undefined }, 'status_only', 'not_html'],
    ['browser with no Accept', { accept: undefined, secFetchDest: undefined }, 'status_only', 'not_html'],
  ];
  for (const [name, overrides, kind, reason] of cases) {
    const r = ex.classify({ ...browser, ...overrides });
    assert.deepEqual([r.kind, r.reason], [kind, reason], name);
  }
});

test('feed defaults can be replaced, and patterns are checked at compile time', () => {
  const ex = createExemptions({ feedPaths: [] });
  assert.equal(ex.classify({ ...browser, path: '/feed' }).kind, 'page');
  assert.throws(() => createExemptions({ apiPaths: ['api/**'] }), { code: 'BULWARK_ERR_CHALLENGE_EXEMPTION_PATTERN' });
});

test('globs compile to anchored-friendly regular expressions', () => {
  const m = (glob: string, path: string) => new RegExp(`^(?:${globToRegExpSource(glob)})$`).test(path);
  assert.equal(m('/a.b', '/a.b'), true);
  assert.equal(m('/a.b', '/aXb'), false, 'dot is literal');
  assert.equal(m('/**/feed', '/feed'), true);
  assert.equal(m('/**/feed', '/x/y/feed'), true);
  assert.equal(m('/x/**', '/x/'), true);
  assert.equal(m('/x/*', '/x/a/b'), false);
  assert.equal(m('/(a)+', '/(a)+'), true, 'regex metacharacters are literal');
});
