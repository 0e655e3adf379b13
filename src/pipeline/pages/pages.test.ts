import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PAGES, renderedOf, retryRenderedOf, retryVariantCount, MAX_RETRY_VARIANTS, type PageFormat } from './pages.ts';
import { retryDelayS, retryModeOf, MAX_RETRY_DELAY_S } from './retry-page-html.ts';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `q3f8k2x1-${(i + 1).toString(36).padStart(6, '0')}`);

test('retry delay: base plus up to half of it, from the request ID; same ID, same delay', () => {
  const table: ReadonlyArray<readonly [number, number, number]> = [
    // base, lowest, highest
    [1, 1, 2],
    [5, 5, 8],
    [7, 7, 11],
    [60, 60, 90],
    [0.2, 1, 2],
    [10_000, MAX_RETRY_DELAY_S, MAX_RETRY_DELAY_S],
  ];
  for (const [base, lo, hi] of table) {
    const seen = new Set(ids(500).map((id) => retryDelayS(base, id)));
    assert.equal(Math.min(...seen), lo, `base ${base}`);
    assert.equal(Math.max(...seen), hi, `base ${base}`);
    assert.equal(seen.size, hi - lo + 1, `base ${base}: every second of the window is used`);
  }
  assert.equal(retryDelayS(5, 'abc'), retryDelayS(5, 'abc'));
  assert.equal(retryDelayS(5, ''), 5);
});

test('retry delay: consecutive requests spread evenly over the window (no wave)', () => {
  const counts = new Map<number, number>();
  for (const id of ids(3600)) counts.set(retryDelayS(5, id), (counts.get(retryDelayS(5, id)) ?? 0) + 1);
  const values = [...counts.values()];
  assert.equal(values.length, 4);
  assert.ok(Math.max(...values) / Math.min(...values) < 1.5, JSON.stringify([...counts]));
});

test('only safe methods retry by themselves', () => {
  assert.equal(retryModeOf('GET'), 'auto');
  assert.equal(retryModeOf('HEAD'), 'auto');
  for (const m of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) assert.equal(retryModeOf(m), 'manual', m);
});

test('a GET retry page: Refresh field and meta refresh to the same URL, countdown, link, request ID gap', () => {
  const page = retryRenderedOf(PAGES.highDemand, 'html', 'GET', 5, 'id-1');
  const delay = retryDelayS(5, 'id-1');
  assert.match(page.head.block, new RegExp(`^content-type: text/html; charset=utf-8\\r\\ncache-control: no-store\\r\\nrefresh: ${delay}\\r\\n$`));
  const html = page.before + 'REQ' + page.after;
  assert.match(html, new RegExp(`<meta http-equiv="refresh" content="${delay}">`), 'no URL: the same address again');
  assert.match(html, new RegExp(`try again by itself in <strong id="bw-count">${delay}</strong> seconds`));
  assert.match(html, /--bw-delay:\d+s/);
  assert.match(html, /<a href="">Try again now<\/a>/);
  assert.match(html, /<code>REQ<\/code>/);
  assert.match(html, /<h1>High demand<\/h1>/);
  assert.ok(page.ascii);
  assert.equal(page.extra, Buffer.byteLength(html) - 3);
});

test('a POST retry page: no refresh of any kind, an explanation and a button', () => {
  const page = retryRenderedOf(PAGES.highDemand, 'html', 'POST', 5, 'id-1');
  const html = page.before + 'REQ' + page.after;
  assert.doesNotMatch(page.head.block, /refresh/);
  assert.doesNotMatch(html, /http-equiv="refresh"/);
  assert.match(html, /not sent again automatically, so that nothing is sent twice/);
  assert.match(html, /<button type="button" id="bw-resend" hidden>Send it again<\/button>/);
  assert.match(html, /<noscript><p>To send it again, use your browser&#39;s reload button/);
  assert.ok(page.ascii);
});

test('JSON and text retry answers carry Refresh in the head and keep their body', () => {
  for (const format of ['json', 'text'] as PageFormat[]) {
    const page = retryRenderedOf(PAGES.tooManyRequests, format, 'GET', 1, 'x');
    const plain = renderedOf(PAGES.tooManyRequests, format);
    assert.equal(page.before, plain.before, format);
    assert.equal(page.after, plain.after, format);
    assert.match(page.head.block, /refresh: [12]\r\n$/, format);
  }
});

test('every try-again page and every variant is ASCII (the wire writes them as latin1)', () => {
  for (const spec of [PAGES.tooManyRequests, PAGES.internalError, PAGES.badGateway, PAGES.highDemand, PAGES.gatewayTimeout]) {
    for (const format of ['html', 'json', 'text'] as PageFormat[]) {
      for (const method of ['GET', 'POST']) {
        for (const base of [1, 5, 30, 599]) assert.ok(retryRenderedOf(spec, format, method, base, `id${base}`).ascii, `${spec.reason} ${format} ${method} ${base}`);
      }
    }
  }
});

test('variants are prepared once and the table is bounded', () => {
  const a = retryRenderedOf(PAGES.badGateway, 'html', 'GET', 5, 'same');
  assert.equal(retryRenderedOf(PAGES.badGateway, 'html', 'GET', 5, 'same'), a, 'the same prepared object');
  for (let base = 1; base <= MAX_RETRY_DELAY_S; base++) {
    for (const format of ['html', 'json', 'text'] as PageFormat[]) retryRenderedOf(PAGES.gatewayTimeout, format, 'GET', base, 'z');
    assert.ok(retryVariantCount() <= MAX_RETRY_VARIANTS);
  }
});
