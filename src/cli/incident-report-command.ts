/**
 * `bulwark incidents report ID --format html|json|stix|xarf|misp [-o FILE] (-c bulwark.yaml | --state-dir DIR)`:
 * an incident's report for people (HTML), as data (JSON), for CERTs (STIX 2.1), for abuse desks (X-ARF v4
 * drafts, one per source network group) or for MISP. Works on the state database directly, whether or
 * not Bulwark runs. With `-c`, the reporting organisation, TLP and privacy come from the config's
 * `reports:` block and the site's hostnames from its site; with `--state-dir` the defaults apply (and
 * X-ARF drafts, which need a contact, are refused).
 *
 * Output goes to stdout, or to FILE (created readable by its owner only: reports name networks and
 * addresses). X-ARF with `-o DIR` (an existing directory) writes one file per draft. Drafts are never
 * sent. Exit codes: 0 ok, 1 no such incident, 2 usage, config or missing-contact error.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfigFile } from '../config/load.ts';
import { DEFAULT_REPORTS_CONFIG, type ReportsConfig } from '../config/reports-schema.ts';
import { BulwarkError } from '../core/errors.ts';
import { buildReportModel, buildXarfDrafts, loadReportInput, REPORT_FORMATS, renderReport, type ReportFormat } from '../incidents/report/index.ts';
import { openStateStores, type StateStores } from '../stores/index.ts';

type Fail = (err: unknown) => never;

interface ReportOptions {
  config?: string;
  stateDir?: string;
  format: string;
  output?: string;
}

function usage(message: string): never {
  throw new BulwarkError('BULWARK_ERR_USAGE', message, { source: 'config' });
}

function open(opts: ReportOptions): { state: StateStores; reports: ReportsConfig; hostnames: (site: string) => string[] } {
  if (opts.config !== undefined && opts.stateDir !== undefined) usage('give either -c bulwark.yaml or --state-dir DIR, not both');
  if (opts.config !== undefined) {
    const config = loadConfigFile(opts.config);
    return {
      state: openStateStores({ stateDir: config.state_dir, onCorrupt: 'refuse' }),
      reports: config.reports,
      hostnames: (site) => config.sites.find((s) => s.name === site)?.hosts ?? [],
    };
  }
  if (opts.stateDir !== undefined) return { state: openStateStores({ stateDir: opts.stateDir, onCorrupt: 'refuse' }), reports: DEFAULT_REPORTS_CONFIG, hostnames: () => [] };
  return usage('give -c bulwark.yaml or --state-dir DIR');
}

function writePrivate(file: string, text: string): void {
  fs.writeFileSync(file, text, { mode: 0o600 });
}

async function run(id: string, opts: ReportOptions): Promise<void> {
  if (!REPORT_FORMATS.includes(opts.format as ReportFormat)) usage(`--format must be one of ${REPORT_FORMATS.join(', ')}`);
  const format = opts.format as ReportFormat;
  const { state, reports, hostnames } = open(opts);
  try {
    const head = await state.incidents.get(id, { timeline: false });
    const input = head === undefined ? undefined : await loadReportInput(state.incidents, id, { config: reports, hostnames: hostnames(head.site) });
    if (input === undefined) {
      process.stderr.write(`no incident ${id}\n`);
      process.exitCode = 1;
      return;
    }
    const model = buildReportModel(input);
    if (format === 'xarf') {
      const { drafts, leftOut } = buildXarfDrafts(model);
      for (const l of leftOut) process.stderr.write(`left out ${l.key}: ${l.reason}\n`);
      process.stderr.write(`${drafts.length} X-ARF draft${drafts.length === 1 ? '' : 's'} written for review; nothing was sent\n`);
      if (opts.output !== undefined && fs.existsSync(opts.output) && fs.statSync(opts.output).isDirectory()) {
        for (const d of drafts) writePrivate(path.join(opts.output, `${id}-${String(d.source_identifier).replace(/[^A-Za-z0-9.-]+/g, '_')}.xarf.json`), JSON.stringify(d, null, 2) + '\n');
        return;
      }
    }
    const rendered = renderReport(model, format);
    if (opts.output === undefined) process.stdout.write(rendered.body);
    else writePrivate(opts.output, rendered.body);
  } finally {
    state.close();
  }
}

/** Adds `incidents report` to the `incidents` command. */
export function addIncidentReport(incidents: Command, fail: Fail): void {
  incidents
    .command('report <id>')
    .description('an incident report: html (people), json (data), stix (CERTs), xarf (abuse desk drafts, never sent), misp')
    .option('-c, --config <file>', 'bulwark.yaml (its state_dir, reports: block and site hostnames are used)')
    .option('--state-dir <dir>', 'state directory (instead of -c; default organisation, TLP:AMBER)')
    .option('--format <format>', `one of ${REPORT_FORMATS.join(', ')}`, 'html')
    .option('-o, --output <file>', 'write to FILE (mode 0600) instead of stdout; for xarf, an existing directory gets one file per draft')
    .addHelpText('after', '\nExamples:\n  bulwark incidents report inc-20250301-0001 -c bulwark.yaml -o incident.html\n  bulwark incidents report inc-20250301-0001 --format stix -c bulwark.yaml > incident.stix.json\n  bulwark incidents report inc-20250301-0001 --format xarf -c bulwark.yaml -o ./drafts/')
    .action((id: string, opts: ReportOptions) =>
      run(id, opts).catch((err: unknown) => {
        // A missing contact is the config's to fix (exit 2), whatever the admin API calls it.
        if (err instanceof BulwarkError && err.code === 'BULWARK_ERR_REPORT_CONTACT') fail(new BulwarkError(err.code, err.message, { source: 'config' }));
        fail(err);
      }),
    );
}
