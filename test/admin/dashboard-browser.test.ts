/**
 * The dashboard in a real Chromium (playwright-core + Debian's chromium, a normal user agent): log in
 * with a token, watch the site's live charts move while a drill floods the site, ban and lift a ban from
 * the UI, open the incident the flood left, override the level and give it back to the detector. Every
 * page passes an axe-core check with no serious or critical violation, works at 360 px wide without a
 * page-wide horizontal scroll, and raises no Content-Security-Policy violation. Screenshots of the
 * overview, site and incident pages are written to docs/ with UPDATE_SCREENSHOTS=1 (committed, shown in
 * the README).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { createBulwark, type Bulwark } from '../../src/main.ts';
import { createLogger } from '../../src/telemetry/logger.ts';
import { runDrill } from '../../src/drill/run.ts';
import { rememberAdminToken } from '../../src/drill/admin-credentials.ts';
import { createTestToken, testConfig } from '../helpers/bulwark.ts';
import { browserUnavailable, launchBrowser } from '../helpers/browser.ts';
import { startOriginFixture, type OriginFixture } from '../helpers/origin.ts';
import { learnedBaseline } from '../helpers/learned-baseline.ts';
import { adminCall } from '../helpers/admin.ts';

const skip = browserUnavailable() ?? (existsSync(fileURLToPath(new URL('../../dist/dashboard/index.html', import.meta.url))) ? null : 'dashboard not built (node scripts/build.mjs)');
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
/** Screenshots go to docs/ (committed, in the README) with UPDATE_SCREENSHOTS=1, else to a temporary directory. */
const DOCS = process.env.UPDATE_SCREENSHOTS === '1' ? fileURLToPath(new URL('../../docs/', import.meta.url)) : `${mkdtempSync(join(tmpdir(), 'bulwark-shots-'))}/`;
const SITE = 'test';
const detection = { baseline: { warmup: '60s' }, detector: { calm: '2s', min_dwell: { elevated: '2s', under_attack: '3s' } }, incidents: { calm: '3s', update_every: '1s' } };

let origin: OriginFixture;
let bulwark: Bulwark;
let adminUrl: string;
let stateDir: string;
let browser: Browser;
let operator: { secret: string; headers: Record<string, string> };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  if (skip) return;
  origin = await startOriginFixture({ paths: { '/': { contentType: 'text/html; charset=utf-8' } } });
  const config = testConfig({ origin: origin.url, detection });
  stateDir = config.state_dir;
  bulwark = createBulwark({ config, logger: createLogger(config.log.level) });
  await bulwark.runtime().services.stores.baselines.save({ site: SITE, updatedAtMs: Date.now() - 5000, json: learnedBaseline(SITE, detection, Date.now()) });
  operator = await createTestToken(stateDir, 'operator', 'ops-alice');
  await bulwark.start();
  adminUrl = `http://${bulwark.admin!.address}`;
  browser = await launchBrowser();
});
after(async () => {
  if (skip) return;
  await browser.close();
  await bulwark.stop();
  await origin.stop();
});

/** axe-core on the page as it is: no serious or critical violation. */
async function accessible(page: Page, what: string): Promise<void> {
  const r = await new AxeBuilder({ page }).analyze();
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`), [], `${what}: accessibility`);
}

async function fitsWidth(page: Page, what: string): Promise<void> {
  const overflow = (await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number;
  assert.ok(overflow <= 1, `${what}: no page-wide horizontal scroll at 360 px (${overflow} px too wide)`);
}

async function attr(page: Page, selector: string, name: string): Promise<number> {
  return Number(await page.getAttribute(selector, name));
}

test('operator console in Chromium: log in, live charts during a drill, bans, incident, level override, accessibility, 360 px', { skip: skip ?? false, timeout: 240_000 }, async () => {
  const context = await browser.newContext({ userAgent: UA, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.addInitScript("document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI))");

  // Log in.
  await page.goto(adminUrl);
  await page.getByLabel('API token').fill(operator.secret);
  await accessible(page, 'login');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  assert.match((await context.cookies())[0]!.name, /^bulwark_admin_\d+$/);
  assert.equal((await context.cookies())[0]!.httpOnly, true);

  // Watch the site's charts move while a drill floods it.
  await page.goto(`${adminUrl}/#/site/${SITE}`);
  await page.locator('#chart-requests').waitFor();
  const viewer = await createTestToken(stateDir, 'viewer', 'drill');
  rememberAdminToken(adminUrl, viewer.secret);
  const drill = runDrill({ scenario: 'get-flood-many', target: bulwark.url(), admin: adminUrl, durationS: 8, rate: 400, sources: 2000, warmupS: 1, visitors: { browsers: 2, nojs: 1, api: 1 } });
  const x0 = await attr(page, '#chart-requests', 'data-last-x');
  let peak = 0;
  let raised = false;
  for (let i = 0; i < 12; i++) {
    await sleep(1000);
    const caption = (await page.locator('#chart-requests .summary').textContent()) ?? '';
    peak = Math.max(peak, Number(await page.locator('#chart-requests').getAttribute('data-last')) || 0, ...[...caption.matchAll(/peak ([\d,.]+)/g)].map((m) => Number(m[1]!.replace(/,/g, ''))));
    raised ||= (await page.locator('h1 .level').textContent()) !== 'normal';
    if (raised && i >= 5) break;
  }
  const x1 = await attr(page, '#chart-requests', 'data-last-x');
  assert.ok(x1 >= x0 + 4, `the live chart advanced second by second (${x0} → ${x1})`);
  assert.ok(peak >= 20, `the chart shows the flood (peak ${peak} req/s served)`);
  assert.ok(raised, 'the level shown on the site page rose during the flood');
  assert.match((await page.locator('#chart-requests figcaption').textContent()) ?? '', /Level (elevated|under attack)/, 'the level band is described in words');
  await page.screenshot({ path: `${DOCS}dashboard-site.png`, fullPage: true });
  await accessible(page, 'site page under attack');
  await page.goto(`${adminUrl}/#/`);
  await page.locator('table tbody tr').first().waitFor();
  await sleep(1500);
  await page.screenshot({ path: `${DOCS}dashboard-overview.png`, fullPage: true });
  await accessible(page, 'overview');
  const report = await drill;
  assert.ok(report, 'the drill finished');

  // Ban and lift from the UI (and a ban covering everyone is refused there too).
  await page.goto(`${adminUrl}/#/bans`);
  await page.getByLabel('Address or prefix').fill('0.0.0.0/0');
  await page.getByRole('button', { name: 'Ban', exact: true }).click();
  await page.getByRole('alert').filter({ hasText: 'BULWARK_ERR_BAN_TOO_WIDE' }).waitFor();
  await page.getByLabel('Address or prefix').fill('203.0.113.0/24');
  await page.getByLabel('Reason').fill('scraper seen in the drill');
  await page.getByRole('button', { name: 'Ban', exact: true }).click();
  await page.getByRole('cell', { name: '203.0.113.0/24', exact: true }).waitFor();
  const banned = await adminCall(adminUrl, { path: '/bans', headers: operator.headers });
  assert.ok((banned.json.bans as Array<{ key: string; reason: string }>).some((b) => b.key === '203.0.113.0/24' && b.reason === 'scraper seen in the drill'));
  await accessible(page, 'bans');
  await page.getByRole('button', { name: 'Lift the ban on 203.0.113.0/24' }).click();
  await page.getByRole('cell', { name: '203.0.113.0/24', exact: true }).waitFor({ state: 'detached' });
  assert.ok(!((await adminCall(adminUrl, { path: '/bans', headers: operator.headers })).json.bans as Array<{ key: string }>).some((b) => b.key === '203.0.113.0/24'));

  // The incident the drill left: list, then its page.
  let incidentId: string | undefined;
  for (let i = 0; i < 30 && incidentId === undefined; i++) {
    incidentId = ((await adminCall(adminUrl, { path: '/incidents', headers: operator.headers })).json.incidents as Array<{ id: string }>)[0]?.id;
    if (incidentId === undefined) await sleep(1000);
  }
  assert.ok(incidentId, 'the flood was recorded as an incident');
  await page.goto(`${adminUrl}/#/incidents`);
  await page.locator('table tbody a').first().waitFor();
  await accessible(page, 'incidents');
  await page.locator('table tbody a').first().click();
  await page.getByRole('heading', { name: /Incident on test/ }).waitFor();
  await page.locator('#chart-incident[data-points]').waitFor();
  assert.ok((await attr(page, '#chart-incident', 'data-points')) >= 3, 'the incident timeline is charted');
  await page.screenshot({ path: `${DOCS}dashboard-incident.png`, fullPage: true });
  await accessible(page, 'incident');

  // Override the level, then back to automatic.
  await page.goto(`${adminUrl}/#/site/${SITE}`);
  await page.getByLabel('Level', { exact: true }).selectOption('elevated');
  await page.getByLabel('For').fill('30m');
  await page.getByLabel('Reason').fill('press release at noon');
  await page.getByRole('button', { name: 'Override level' }).click();
  await page.getByRole('status').filter({ hasText: 'test: elevated for 30m' }).waitFor();
  const over = await adminCall(adminUrl, { path: '/detection', headers: operator.headers });
  assert.equal(over.json.sites[SITE].override?.level, 'elevated');
  await page.getByRole('button', { name: 'Back to automatic' }).click();
  await page.getByRole('status').filter({ hasText: 'back to automatic' }).waitFor();
  assert.equal((await adminCall(adminUrl, { path: '/detection', headers: operator.headers })).json.sites[SITE].override, null);
  const audit = (await adminCall(adminUrl, { path: '/audit?limit=50', headers: operator.headers })).json.entries as Array<{ actor: string; action: string }>;
  for (const action of ['ban.add', 'ban.remove', 'level.override', 'login']) assert.ok(audit.some((e) => e.actor === 'ops-alice' && e.action === action), `audited: ${action} by ops-alice`);

  // The remaining pages, and 360 px wide.
  for (const [hash, heading] of [['#/levels', 'Threat levels'], ['#/audit', 'Audit log'], ['#/config', 'Config']] as const) {
    await page.goto(`${adminUrl}/${hash}`);
    await page.getByRole('heading', { name: heading, exact: true }).waitFor();
    await page.locator(hash === '#/config' ? 'pre.config' : 'table tbody tr').first().waitFor();
    await accessible(page, heading);
  }
  await page.setViewportSize({ width: 360, height: 740 });
  for (const hash of ['#/', `#/site/${SITE}`, '#/bans', `#/incident/${encodeURIComponent(incidentId!)}`, '#/config']) {
    await page.goto(`${adminUrl}/${hash}`);
    await page.locator('main h1').waitFor();
    await sleep(500);
    await fitsWidth(page, hash);
    await accessible(page, `${hash} at 360 px`);
  }
  assert.deepEqual(problems.filter((p) => !/Failed to load resource: the server responded with a status of 4\d\d/.test(p)), [], 'no script error and no CSP violation');
  await context.close();
});
