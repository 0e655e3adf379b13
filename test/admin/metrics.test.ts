/**
 * `/metrics` over a real socket: the exposition parses with a strict text-format parser, carries the
 * figures the dashboard and the alert rules use, moves with traffic, and its number of series does not
 * grow with the number of client addresses (no per-address labels).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'undici';
import { createTestToken, startBulwark } from '../helpers/bulwark.ts';
import { startSimpleOrigin } from '../helpers/simple-origin.ts';
import { adminCall } from '../helpers/admin.ts';
import { parsePrometheusText, type PromFamily } from '../helpers/prom-text.ts';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

const EXPECTED = [
  ['bulwark_requests_total', 'counter'],
  ['bulwark_responses_total', 'counter'],
  ['bulwark_visitor_requests_total', 'counter'],
  ['bulwark_visitor_served_total', 'counter'],
  ['bulwark_origin_latency_seconds', 'histogram'],
  ['bulwark_origin_in_flight', 'gauge'],
  ['bulwark_origin_admission_limit', 'gauge'],
  ['bulwark_origin_up', 'gauge'],
  ['bulwark_cache_requests_total', 'counter'],
  ['bulwark_challenges_total', 'counter'],
  ['bulwark_challenge_failures_total', 'counter'],
  ['bulwark_threat_level', 'gauge'],
  ['bulwark_bans_active', 'gauge'],
  ['bulwark_signature_rules', 'gauge'],
  ['bulwark_incident_open', 'gauge'],
  ['bulwark_limiter_table_entries', 'gauge'],
  ['bulwark_limiter_table_capacity', 'gauge'],
  ['bulwark_heavy_hitter_entries', 'gauge'],
  ['bulwark_nodejs_eventloop_lag_seconds', 'gauge'],
  ['bulwark_process_cpu_seconds_total', 'counter'],
  ['bulwark_process_resident_memory_bytes', 'gauge'],
] as const;

function value(f: Map<string, PromFamily>, name: string, labels: Record<string, string> = {}, sample = name): number {
  const s = f.get(name)?.samples.find((x) => x.name === sample && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  assert.ok(s, `${sample}${JSON.stringify(labels)} present`);
  return s.value;
}

test('GET /metrics: strict Prometheus text, the listed families, values that move with traffic, bounded cardinality', async () => {
  const origin = await startSimpleOrigin();
  const b = await startBulwark({ origin: origin.url, detection: { enabled: true } });
  try {
    const scraper = await createTestToken(b.stateDir, 'metrics', 'prometheus');
    const scrape = async () => {
      const r = await adminCall(b.adminUrl, { path: '/metrics', headers: scraper.headers });
      assert.equal(r.status, 200, r.text);
      assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
      return { families: parsePrometheusText(r.text), series: r.text.split('\n').filter((l) => l && !l.startsWith('#')).length };
    };
    for (let i = 0; i < 20; i++) await (await request(`${b.url}/page${i}`)).body.dump();
    const first = await scrape();
    for (const [name, type] of EXPECTED) assert.equal(first.families.get(name)?.type, type, name);
    for (const f of first.families.values()) assert.match(f.name, /^bulwark_/, 'one prefix');
    assert.ok(value(first.families, 'bulwark_requests_total', { site: 'test', outcome: 'forwarded' }) >= 20);
    assert.ok(value(first.families, 'bulwark_responses_total', { site: 'test', status_class: '2xx' }) >= 20);
    assert.ok(value(first.families, 'bulwark_origin_latency_seconds', { site: 'test' }, 'bulwark_origin_latency_seconds_count') >= 20);
    assert.equal(value(first.families, 'bulwark_threat_level', { site: 'test' }), 0);
    assert.equal(value(first.families, 'bulwark_origin_up', { site: 'test', origin: origin.url }), 1);
    const bans0 = value(first.families, 'bulwark_bans_active');

    // Traffic from 40 more client addresses, a ban and a level change: values move, the series count does not grow.
    for (let i = 0; i < 40; i++) {
      const agent = new Agent({ localAddress: `127.0.${60 + (i >> 4)}.${(i & 15) + 1}` });
      await (await request(`${b.url}/from-${i}`, { dispatcher: agent })).body.dump();
      await agent.close();
    }
    assert.equal((await adminCall(b.adminUrl, { method: 'POST', path: '/bans', headers: b.adminHeaders, body: { key: '203.0.113.0/24', duration: '1h' } })).status, 201);
    assert.equal((await adminCall(b.adminUrl, { method: 'POST', path: '/mode', headers: b.adminHeaders, body: { site: 'test', level: 'under_attack', duration: '5m' } })).status, 200);
    const second = await scrape();
    assert.ok(value(second.families, 'bulwark_requests_total', { site: 'test', outcome: 'forwarded' }) >= 60);
    assert.equal(value(second.families, 'bulwark_bans_active'), bans0 + 1);
    assert.equal(value(second.families, 'bulwark_threat_level', { site: 'test' }), 2);
    assert.equal(second.series, first.series, 'forty new client addresses add no series');
    const labelNames = new Set([...second.families.values()].filter((f) => !/_(process|nodejs)_/.test(f.name) && !f.name.startsWith('bulwark_process')).flatMap((f) => f.samples.flatMap((s) => Object.keys(s.labels))));
    const allowed = new Set(['le', 'mode', 'origin', 'outcome', 'priority', 'reason', 'result', 'site', 'status_class']);
    for (const l of labelNames) assert.ok(allowed.has(l), `label ${l} is one of the bounded ones`);
    assert.ok(!/127\.0\.6[0-9]\./.test(JSON.stringify([...second.families.values()])), 'no client address in any label');
    // The shipped alert rules and Grafana dashboard only name metrics that exist.
    const known = (name: string) => second.families.has(name) || ['_bucket', '_sum', '_count'].some((x) => name.endsWith(x) && second.families.get(name.slice(0, -x.length))?.type === 'histogram');
    const alerts = parseYaml(readFileSync(new URL('../../examples/prometheus-alerts.yaml', import.meta.url), 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> };
    const grafana = JSON.parse(readFileSync(new URL('../../examples/grafana-dashboard.json', import.meta.url), 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
    const exprs = [...alerts.groups.flatMap((g) => g.rules.map((r) => [r.alert, r.expr])), ...grafana.panels.flatMap((p) => p.targets.map((t) => [p.title, t.expr]))];
    for (const name of ['BulwarkAttackStarted', 'BulwarkOriginSaturated', 'BulwarkVisitorsServedLow']) assert.ok(exprs.some(([n]) => n === name), name);
    for (const [where, expr] of exprs) for (const m of expr!.match(/bulwark_[a-z0-9_]+/g) ?? []) assert.ok(known(m), `${where}: ${m} is exported`);
    // A viewer may read it too; nobody else.
    const viewer = await createTestToken(b.stateDir, 'viewer');
    assert.equal((await adminCall(b.adminUrl, { path: '/metrics', headers: viewer.headers })).status, 200);
    assert.equal((await adminCall(b.adminUrl, { path: '/metrics' })).status, 401);
    assert.equal((await adminCall(b.adminUrl, { path: '/stats', headers: scraper.headers })).status, 403, 'a metrics token reads /metrics only');
  } finally {
    await b.stop();
    await origin.close();
  }
});
