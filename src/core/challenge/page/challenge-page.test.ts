import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderChallengePage, type ChallengePageInput } from './challenge-page.ts';
import { renderCookiesOffPage } from './cookies-off-page.ts';
import { renderRetryPage } from './retry-page.ts';
import { CHALLENGE_PAGE_HEADERS, CHALLENGE_STATUS, CHALLENGE_STATUS_RATE_LIMITED, PAGE_STYLES_HEADERS, SOLVER_SCRIPT_HEADERS } from './headers.ts';
import { SOLVER_SCRIPT, SOLVER_SCRIPT_INTEGRITY, SOLVER_SCRIPT_PATH } from './solver-script.ts';
import { PAGE_STYLES, PAGE_STYLES_PATH } from './styles.ts';
import { createHash } from 'node:crypto';
import { describeDuration } from './texts.ts';

const input: ChallengePageInput = {
  siteName: 'Daily News',
  reason: 'protection',
  token: 'T'.repeat(92),
  seed: 'AbCdEfGhIjKlMnOp',
  work: { count: 24, bits: 13 },
  expectedS: 2,
  returnPath: '/articles/7?page=2&ref=home',
  noJsWaitS: 5,
  method: 'GET',
  requestId: 'req-123',
};

/** Every URL-ish attribute or CSS/JS reference that would load something. */
function externalReferences(html: string): string[] {
  return [
    ...html.matchAll(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}/gi),
    ...html.matchAll(/\b(?:src|href)\s*=\s*"(?!\/(?!\/))[^"]*"/gi),
    ...(html.match(/<style[^>]*>([\s\S]*?)<\/style>/)?.[1] ?? '').matchAll(/@import|url\(/gi),
  ].map((m) => m[0]);
}

test('the challenge page has the structure an accessible page needs', () => {
  const html = renderChallengePage(input);
  assert.match(html, /^<!doctype html>\n<html lang="en">/);
  assert.match(html, /<meta charset="utf-8">/);
  assert.match(html, /<meta name="viewport"/);
  assert.match(html, /<title>One moment, please &ndash; Daily News<\/title>/);
  assert.equal(html.match(/<h1>/g)?.length, 1);
  assert.match(html, /<main>[\s\S]*<\/main>/);
  assert.match(html, /<label for="bw-progress">[^<]+<\/label>\n<progress id="bw-progress" max="100" value="0">0%<\/progress>/);
  assert.match(html, /<p id="bw-status" role="status" aria-live="polite">/);
  assert.match(html, /<div id="bw-js" hidden>/, 'the JS block stays hidden without JS');
  assert.match(html, /<noscript>\n<h2>Continuing without JavaScript<\/h2>/);
  assert.match(html, /<button type="submit">Continue<\/button>/);
  assert.match(html, /Daily News is making sure this visit comes from a person&rsquo;s browser/);
  assert.match(html, /nothing about you is sent to anyone else/);
  assert.match(html, /<code>req-123<\/code>/);
  assert.doesNotMatch(html, /<img|<iframe|<object|<embed/);
});

test('the challenge page references nothing outside its own site: one stylesheet and one script, both Bulwark\'s own', () => {
  const html = renderChallengePage(input);
  assert.doesNotMatch(html, /https?:\/\//);
  assert.deepEqual(externalReferences(html), []);
  assert.deepEqual(html.match(/<script[^>]*>/g), [`<script src="${SOLVER_SCRIPT_PATH}" integrity="${SOLVER_SCRIPT_INTEGRITY}">`]);
  assert.match(SOLVER_SCRIPT_PATH, /^\/\.bulwark\/challenge\/solver-[0-9a-f]{12}\.js$/);
  assert.equal(SOLVER_SCRIPT_INTEGRITY, `sha256-${createHash('sha256').update(SOLVER_SCRIPT).digest('base64')}`);
  assert.deepEqual(html.match(/<link[^>]*>/g), [`<link rel="stylesheet" href="${PAGE_STYLES_PATH}">`]);
  assert.match(PAGE_STYLES_PATH, /^\/\.bulwark\/challenge\/style-[0-9a-f]{12}\.css$/);
  assert.doesNotMatch(html, /<style|style=/, 'no inline style');
  assert.match(html, /takes about 2 seconds on a slow phone, less on a computer/);
});

test('the forms post to the verify endpoint with the token and return path', () => {
  const html = renderChallengePage(input);
  assert.match(html, /<form id="bw-form" method="post" action="\/.bulwark\/challenge\/verify" data-seed="AbCdEfGhIjKlMnOp" data-count="24" data-bits="13">/);
  assert.equal(html.match(/name="token" value="T{92}"/g)?.length, 1, 'one form for both paths');
  assert.equal(html.match(/name="return" value="\/articles\/7\?page=2&amp;ref=home"/g)?.length, 1);
  // Without JavaScript the same form carries nojs=1 and a button.
  assert.match(html, /<noscript>\n<h2>Continuing without JavaScript<\/h2>\n<p>[^<]+<\/p>\n<input type="hidden" name="nojs" value="1">\n<button type="submit">Continue<\/button>\n<\/noscript>\n<\/form>/);
  assert.match(html, /<noscript><meta http-equiv="refresh" content="6;url=\/.bulwark\/challenge\/verify\?token=T{92}&amp;nojs=1&amp;return=%2Farticles%2F7%3Fpage%3D2%26ref%3Dhome"><\/noscript>/);
});

test('with the no-JS path closed there is no refresh and the page says why', () => {
  const html = renderChallengePage({ ...input, noJsWaitS: 0, reason: 'under_attack' });
  assert.doesNotMatch(html, /http-equiv="refresh"/);
  assert.doesNotMatch(html, /name="nojs"/);
  assert.match(html, /JavaScript is needed right now/);
  assert.match(html, /under heavy automated traffic/);
});

test('a non-GET request gets an explanation and a link back', () => {
  const html = renderChallengePage({ ...input, method: 'POST', returnPath: '/contact' });
  assert.match(html, /<h2>About the form you were sending<\/h2>/);
  assert.match(html, /<a href="\/contact">Go back to the page<\/a>/);
  assert.doesNotMatch(renderChallengePage({ ...input, method: 'HEAD' }), /About the form/);
});

test('everything interpolated is escaped', () => {
  const html = renderChallengePage({ ...input, siteName: '<script>alert(1)</script>', requestId: '"><b>x', returnPath: '/"><svg onload=alert(1)>', seed: 'a"b' });
  assert.doesNotMatch(html, /<script>alert/);
  assert.doesNotMatch(html, /"><b>/);
  assert.doesNotMatch(html, /<svg/);
  assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  assert.match(html, /data-seed="a&quot;b"/);
});

test('the page stays small', () => {
  const bytes = Buffer.byteLength(renderChallengePage(input));
  assert.ok(bytes < 12_000, `${bytes} bytes`);
});

test('the cookies-off page explains, in plain words, and links back', () => {
  const html = renderCookiesOffPage({ siteName: 'Daily News', returnPath: '/a?b=1', clearanceLifetimeS: 3600, requestId: 'r1' });
  assert.match(html, /<html lang="en">/);
  assert.match(html, /<h1>Your browser did not keep the cookie<\/h1>/);
  assert.match(html, /<code>bulwark_clearance<\/code>/);
  assert.match(html, /expires after 1 hour/);
  assert.match(html, /allow cookies for Daily News/);
  assert.match(html, /<a href="\/a\?b=1">Try again<\/a>/);
  assert.doesNotMatch(html, /<script/);
  assert.deepEqual(externalReferences(html), []);
});

test('the retry page returns the visitor after a moment', () => {
  const html = renderRetryPage({ siteName: 'Daily News', reason: 'expired', returnPath: '/x', refreshS: 2, requestId: 'r2' });
  assert.match(html, /<meta http-equiv="refresh" content="2;url=\/x">/);
  assert.match(html, /Your earlier check has expired/);
  assert.match(html, /<a href="\/x">Try again<\/a>/);
  assert.deepEqual(externalReferences(html), []);
});

test('headers: never cached, CSP by hash and same origin, never a 200; the solver is cacheable for good', () => {
  const h = CHALLENGE_PAGE_HEADERS;
  assert.equal(h['cache-control'], 'no-store');
  assert.equal(h['content-type'], 'text/html; charset=utf-8');
  assert.equal(h['content-security-policy'].split('; ').slice(0, 4).join('; '), "default-src 'none'; script-src 'self'; style-src 'self'; worker-src 'self'");
  assert.equal(PAGE_STYLES_HEADERS['content-type'], 'text/css; charset=utf-8');
  assert.equal(PAGE_STYLES_HEADERS['cache-control'], 'public, max-age=31536000, immutable');
  assert.doesNotMatch(PAGE_STYLES, /[^\x00-\x7f]/);
  assert.equal(SOLVER_SCRIPT_HEADERS['cache-control'], 'public, max-age=31536000, immutable');
  assert.equal(SOLVER_SCRIPT_HEADERS['content-type'], 'text/javascript; charset=utf-8');
  assert.match(h['content-security-policy'], /frame-ancestors 'none'/);
  assert.equal(h['x-robots-tag'], 'noindex, nofollow');
  assert.notEqual(CHALLENGE_STATUS, 200);
  assert.notEqual(CHALLENGE_STATUS_RATE_LIMITED, 200);
});

test('durations are said in plain words', () => {
  assert.equal(describeDuration(3600), '1 hour');
  assert.equal(describeDuration(7200), '2 hours');
  assert.equal(describeDuration(86400), '1 day');
  assert.equal(describeDuration(1800), '30 minutes');
  assert.equal(describeDuration(45), '45 seconds');
});

test('pages are pure ASCII, whatever the site name', () => {
  const html = renderChallengePage({ ...input, siteName: 'Zeitung für Straße 🛡' });
  assert.match(html, /Zeitung f&#xfc;r Stra&#xdf;e &#x1f6e1;/);
  assert.doesNotMatch(html, /[^\x00-\x7f]/);
  assert.doesNotMatch(renderCookiesOffPage({ siteName: 'é', returnPath: '/', clearanceLifetimeS: 60, requestId: 'r' }), /[^\x00-\x7f]/);
  assert.doesNotMatch(renderRetryPage({ siteName: 'é', reason: 'failed', returnPath: '/', refreshS: 2, requestId: 'r' }), /[^\x00-\x7f]/);
  assert.doesNotMatch(SOLVER_SCRIPT, /[^\x00-\x7f]/);
});

test('the compiled-template render is identical to the plain render (property)', async () => {
  const fc = (await import('fast-check')).default;
  const { renderChallengePage, renderChallengePageFast } = await import('./challenge-page.ts');
  const b64 = fc.stringMatching(/^[A-Za-z0-9_-]{1,60}$/);
  fc.assert(
    fc.property(
      fc.record({
        siteName: fc.string({ maxLength: 30 }),
        reason: fc.constantFrom('protection' as const, 'under_attack' as const),
        token: b64,
        seed: b64,
        work: fc.record({ count: fc.integer({ min: 1, max: 32 }), bits: fc.integer({ min: 0, max: 32 }) }),
        expectedS: fc.integer({ min: 1, max: 30 }),
        returnPath: fc.oneof(fc.constant('/'), fc.string({ maxLength: 40 }).map((s) => `/${s}`)),
        noJsWaitS: fc.constantFrom(0, 5, 20),
        method: fc.constantFrom('GET', 'HEAD', 'POST', 'PUT'),
        requestId: fc.stringMatching(/^[A-Za-z0-9._:-]{8,30}$/),
      }),
      (p) => renderChallengePageFast(p) === renderChallengePage(p),
    ),
    { numRuns: 500 },
  );
});
