/**
 * `bulwark incidents report` (the real command, bin/bulwark.js) and `GET /incident/report` on a state
 * directory holding the recorded incidents: both give exactly the golden files the library test checks,
 * write files readable by their owner only, split X-ARF drafts into files, and refuse what they must.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStateStores } from '../../src/stores/index.ts';
import { adminCall } from '../helpers/admin.ts';
import { startBulwark, type TestBulwark } from '../helpers/bulwark.ts';
import { loadFixtureInto } from '../../src/incidents/report/testdata/fixture-store.ts';
import { GOLDEN_CONFIG, GOLDEN_HOSTNAMES } from '../../src/incidents/report/testdata/report-config.ts';

const BIN = fileURLToPath(new URL('../../bin/bulwark.js', import.meta.url));
const GOLDEN = fileURLToPath(new URL('../../src/incidents/report/testdata/golden/', import.meta.url));
const ID = 'inc-20231115-0001';

function bulwark(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
}

describe('incident reports from the CLI and the admin API', () => {
  let dir: string;
  let config: string;
  let b: TestBulwark;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-report-cli-'));
    let now = 0;
    const stores = openStateStores({ stateDir: path.join(dir, 'state'), onCorrupt: 'refuse', incidents: { clock: () => now, checkpointEveryMs: 0 } });
    await loadFixtureInto(stores.incidents, (ms) => (now = ms));
    stores.close();
    config = path.join(dir, 'bulwark.yaml');
    const o = GOLDEN_CONFIG.organisation;
    fs.writeFileSync(config, [
      `state_dir: ${path.join(dir, 'state')}`,
      'reports:',
      `  organisation: { name: "${o.name}", domain: ${o.domain}, contact: ${o.contact}, sector: ${o.sector} }`,
      '  tlp: amber',
      'sites:',
      `  - { name: news, hosts: [${GOLDEN_HOSTNAMES.join(', ')}], origins: ["http://127.0.0.1:9"] }`,
      '',
    ].join('\n'));
    // A running Bulwark on the same state: the report route as the admin listener serves it (authenticated).
    b = await startBulwark({
      // Retention 0: the recorded incidents are years old, and a sweep would (rightly) remove their addresses.
      state_dir: path.join(dir, 'state'), detection: { enabled: true, retention: 0 },
      reports: { organisation: { ...o }, tlp: 'amber' },
      sites: [{ name: 'news', hosts: GOLDEN_HOSTNAMES, origins: ['http://127.0.0.1:9'] }],
    });
  });

  after(async () => {
    await b?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('prints each format exactly as the golden files hold it', () => {
    for (const [format, suffix] of [['stix', '.stix.json'], ['json', '.json'], ['misp', '.misp.json'], ['xarf', '.xarf.json']] as const) {
      const r = bulwark('incidents', 'report', ID, '--format', format, '-c', config);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, fs.readFileSync(GOLDEN + ID + suffix, 'utf8'), format);
    }
  });

  it('writes a file readable by its owner only (-o), and X-ARF drafts one file each into a directory', () => {
    const html = path.join(dir, 'report.html');
    const r = bulwark('incidents', 'report', ID, '-c', config, '-o', html);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(fs.readFileSync(html, 'utf8'), fs.readFileSync(GOLDEN + ID + '.html', 'utf8'));
    assert.equal(fs.statSync(html).mode & 0o777, 0o600);
    const drafts = path.join(dir, 'drafts');
    fs.mkdirSync(drafts);
    const x = bulwark('incidents', 'report', ID, '--format', 'xarf', '-c', config, '-o', drafts);
    assert.equal(x.status, 0, x.stderr);
    assert.deepEqual(fs.readdirSync(drafts).sort(), [`${ID}-AS64496.xarf.json`, `${ID}-AS64497.xarf.json`, `${ID}-AS64498.xarf.json`]);
    assert.match(x.stderr, /left out 192\.0\.2\.0\/24: .*its own visitors/);
    assert.match(x.stderr, /3 X-ARF drafts written for review; nothing was sent/);
  });

  it('refuses: an unknown incident (1), a bad format (2), X-ARF without a contact (2)', () => {
    const unknown = bulwark('incidents', 'report', 'inc-19990101-0001', '-c', config);
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /no incident inc-19990101-0001/);
    const format = bulwark('incidents', 'report', ID, '--format', 'pdf', '-c', config);
    assert.equal(format.status, 2);
    assert.match(format.stderr, /--format must be one of html, json, stix, xarf, misp/);
    const contact = bulwark('incidents', 'report', ID, '--format', 'xarf', '--state-dir', path.join(dir, 'state'));
    assert.equal(contact.status, 2);
    assert.match(contact.stderr, /BULWARK_ERR_REPORT_CONTACT: .*reports\.organisation\.contact/);
  });

  it('GET /incident/report answers each format with its media type, the HTML under a CSP, as a download when asked', async () => {
    const get = (query: string, headers = b.adminHeaders) => adminCall(b.adminUrl, { path: `/incident/report?${query}`, headers });
    assert.equal((await get(`id=${ID}`, {})).status, 401, 'not without credentials');
    const html = await get(`id=${ID}&format=html`);
    assert.equal(html.status, 200, html.text);
    assert.equal(html.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(String(html.headers['content-security-policy']), /^default-src 'none'/);
    assert.equal(html.headers['content-disposition'], undefined);
    assert.equal(html.text, fs.readFileSync(GOLDEN + ID + '.html', 'utf8'));
    const stix = await get(`id=${ID}&format=stix&download=1`);
    assert.equal(stix.headers['content-type'], 'application/stix+json;version=2.1');
    assert.equal(stix.headers['content-disposition'], `attachment; filename="${ID}.stix.json"`);
    assert.equal(stix.text, fs.readFileSync(GOLDEN + ID + '.stix.json', 'utf8'));
    const bad = await get(`id=${ID}&format=pdf`);
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error, 'BULWARK_ERR_ADMIN_INVALID');
    assert.equal((await get('id=inc-19990101-0001')).status, 404);
  });
});
