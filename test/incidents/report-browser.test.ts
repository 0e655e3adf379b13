/**
 * The HTML report in a real Chromium (playwright-core + Debian's chromium, a normal user agent): it
 * loads nothing but itself, the summary comes first and reads right, the timeline chart is drawn (series,
 * level bands, action markers), axe finds no serious accessibility problem, and it prints on A4. A
 * screenshot of its first screen is saved — to docs/report.png with BULWARK_UPDATE_DOCS=1 (that is the
 * picture the README shows), to the temporary directory otherwise.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';
import { buildReportModel, loadReportInput, renderReport } from '../../src/incidents/report/index.ts';
import { withFixtureStore } from '../../src/incidents/report/testdata/fixture-store.ts';
import { GOLDEN_CONFIG, GOLDEN_HOSTNAMES } from '../../src/incidents/report/testdata/report-config.ts';
import { browserUnavailable, launchBrowser } from '../helpers/browser.ts';

const BROWSER_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const ID = 'inc-20231115-0001';
const skip = browserUnavailable();

describe('the HTML report in Chromium', { skip: skip ?? false }, () => {
  let browser: Browser;
  let dir: string;
  let file: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-report-browser-'));
    file = path.join(dir, `${ID}.html`);
    const html = await withFixtureStore(async (store) => renderReport(buildReportModel((await loadReportInput(store, ID, { config: GOLDEN_CONFIG, hostnames: GOLDEN_HOSTNAMES }))!), 'html').body);
    fs.writeFileSync(file, html);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('loads nothing else, shows the summary first and draws the timeline', async () => {
    const context = await browser.newContext({ userAgent: BROWSER_UA, viewport: { width: 900, height: 1300 } });
    const page = await context.newPage();
    const url = pathToFileURL(file).href;
    const requests: string[] = [];
    const problems: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(url);
    assert.deepEqual(requests, [url], 'the report loads nothing but itself');
    assert.deepEqual(problems, []);

    const firstSection = await page.locator('main > section').first().getAttribute('id');
    assert.equal(firstSection, 'summary');
    assert.equal(await page.locator('#summary .headline').innerText(), 'Medium-severity HTTP flood on news: 86,540 requests in 1 min 19 s, peak 2,640 req/s');
    const summary = await page.locator('#summary').innerText();
    assert.match(summary, /66 times its normal rate/);
    assert.match(summary, /Same actor as inc-20231114-0001 \(high confidence\)/);
    assert.equal(await page.locator('.tlp').first().innerText(), 'TLP:AMBER');

    const chart = page.locator('svg.chart');
    const box = await chart.boundingBox();
    assert.ok(box !== null && box.width > 600 && box.height > 150, `chart drawn at ${JSON.stringify(box)}`);
    type Box = { getBBox(): { width: number; height: number } };
    const series = await page.locator('svg.chart [data-series]').evaluateAll((els) => els.map((e) => {
      const b = (e as unknown as Box).getBBox();
      return { key: e.getAttribute('data-series'), total: Number(e.getAttribute('data-total')), area: b.width * b.height };
    }));
    assert.deepEqual(series.map((s) => s.key), ['served', 'challenged', 'refused', 'failed']);
    for (const s of series.filter((x) => x.key !== 'failed')) assert.ok(s.total > 0 && s.area > 0, `${s.key} drawn: ${JSON.stringify(s)}`);
    const drawnTotal = series.reduce((n, s) => n + s.total, 0);
    assert.ok(Math.abs(drawnTotal - 86_540) / 86_540 < 0.01, `the areas add up to the incident's requests (${drawnTotal})`);
    assert.ok((await page.locator('svg.chart [data-band="under_attack"]').count()) >= 1);
    assert.ok((await page.locator('svg.chart [data-marker]').count()) >= 2);
    assert.match(await page.locator('svg.chart desc').textContent() ?? '', /peak about 2,6\d\d req\/s/);
    assert.ok((await page.locator('table.evidence td[data-verdict="same_actor"]').count()) === 1);
    assert.ok((await page.locator('table.evidence td[data-verdict="copycat"]').count()) === 1);

    const shot = process.env.BULWARK_UPDATE_DOCS === '1' ? fileURLToPath(new URL('../../docs/report.png', import.meta.url)) : path.join(dir, 'report.png');
    await page.screenshot({ path: shot, clip: { x: 0, y: 0, width: 900, height: 1300 } });
    assert.ok(fs.statSync(shot).size > 20_000, `screenshot saved to ${shot}`);
    await context.close();
  });

  it('has no serious accessibility problem (axe)', async () => {
    const context = await browser.newContext({ userAgent: BROWSER_UA });
    const page = await context.newPage();
    await page.goto(pathToFileURL(file).href);
    const result = await new AxeBuilder({ page }).analyze();
    const serious = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(serious.map((v) => `${v.id}: ${v.nodes.length} (${v.nodes[0]?.target.join(' ')})`), []);
    await context.close();
  });

  it('prints on A4', async () => {
    const page = await browser.newPage({ userAgent: BROWSER_UA });
    await page.goto(pathToFileURL(file).href);
    await page.emulateMedia({ media: 'print' });
    const pdf = await page.pdf({ preferCSSPageSize: true, printBackground: true });
    const text = pdf.toString('latin1');
    const pages = (text.match(/\/Type\s*\/Page[^s]/g) ?? []).length;
    const box = /\/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]/.exec(text);
    assert.ok(box !== null, 'a media box');
    // A4 is 595.28 × 841.89 points.
    assert.ok(Math.abs(Number(box[1]) - 595.28) < 1 && Math.abs(Number(box[2]) - 841.89) < 1, `page size ${box[1]} × ${box[2]}`);
    assert.ok(pages >= 2 && pages <= 8, `${pages} pages`);
    await page.close();
  });
});
