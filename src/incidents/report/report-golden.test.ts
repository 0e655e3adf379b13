/**
 * Golden files: every format of the report of a recorded incident (testdata/recorded-incidents.json, made
 * by the real detection service: see test/fixtures/record-report-incidents.ts) read through the real store and loader.
 * Ids and times are deterministic, so the output must match byte for byte. After an intended change,
 * regenerate with UPDATE_GOLDEN=1 and review the diff.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildReportModel, loadReportInput, REPORT_FORMATS, renderReport, type ReportFormat } from './index.ts';
import { withFixtureStore } from './testdata/fixture-store.ts';
import { GOLDEN_CONFIG, GOLDEN_HOSTNAMES } from './testdata/report-config.ts';

const GOLDEN_ID = 'inc-20231115-0001';
const dir = fileURLToPath(new URL('./testdata/golden/', import.meta.url));

async function render(id: string, format: ReportFormat): Promise<{ body: string; fileName: string }> {
  return withFixtureStore(async (store) => {
    const input = await loadReportInput(store, id, { config: GOLDEN_CONFIG, hostnames: GOLDEN_HOSTNAMES });
    assert.ok(input !== undefined, `${id} is in the fixture`);
    return renderReport(buildReportModel(input), format);
  });
}

describe(`report golden files (${GOLDEN_ID})`, () => {
  for (const format of REPORT_FORMATS) {
    it(`${format} matches testdata/golden`, async () => {
      const { body, fileName } = await render(GOLDEN_ID, format);
      const file = dir + fileName;
      if (process.env.UPDATE_GOLDEN === '1') fs.writeFileSync(file, body);
      assert.ok(fs.existsSync(file), `${file} is missing: run with UPDATE_GOLDEN=1 to create it`);
      assert.equal(body, fs.readFileSync(file, 'utf8'), `${format} differs from ${file}; if intended, regenerate with UPDATE_GOLDEN=1 and review the diff`);
    });
  }

  it('is deterministic: the same record gives the same bytes, whatever the clock', async () => {
    const a = await render(GOLDEN_ID, 'stix');
    const realNow = Date.now;
    Date.now = () => realNow() + 86_400_000 * 365;
    try {
      const b = await render(GOLDEN_ID, 'stix');
      assert.equal(a.body, b.body);
    } finally {
      Date.now = realNow;
    }
  });
});
