import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLimiterTable } from '../ratelimit/limiter-table.ts';
import { createLimitEvaluator } from '../ratelimit/evaluator.ts';
import { compilePolicy } from './compile.ts';
import type { CompilePolicyOptions } from './compile.ts';
import type { ImportLoader } from './imports.ts';
import { formatProblem, PolicyError } from './problems.ts';
import type { PolicyProblem } from './problems.ts';

function problems(input: unknown, options: CompilePolicyOptions = {}): readonly PolicyProblem[] {
  try {
    compilePolicy(input, options);
  } catch (err) {
    assert.ok(err instanceof PolicyError);
    assert.equal(err.code, 'BULWARK_ERR_POLICY_INVALID');
    return err.problems;
  }
  assert.fail('expected the policy not to compile');
}

const ok = (name: string) => ({ name, action: 'log' });

describe('compilePolicy: problems name the rule, its position and the field', () => {
  it('formats an expression error as bulwark check prints it', () => {
    const [p] = problems({ rules: [ok('a'), ok('b'), ok('c'), { name: 'block-scanners', expr: 'path == 1', action: 'block' }] });
    assert.equal(formatProblem(p), 'policy.rules[3] (name "block-scanners"): expr: column 1: no such overload: string == int');
    assert.equal(p.index, 3);
  });

  it('reports every problem at once', () => {
    const ps = problems({
      rules: [
        { name: 'ok', action: 'block', match: { path: '/x' } },
        { name: 'bad name!', action: 'block' },
        { name: 'no-action' },
        { name: 'bad-regex', action: 'block', match: { user_agent: '(a+)+', header: { 'x-y': '([' } } },
        { name: 'bad-cidr', action: 'block', match: { cidr: ['10.1.2.3/8', 'nope'] } },
        { name: 'unknown-key', action: 'block', when: 'x', match: { paths: '/x' } },
        { name: 'ok', action: 'allow' },
        { name: 'diff', action: 'block', difficulty: 5 },
        { name: 'diff2', action: 'challenge', difficulty: 99 },
        { name: 'rl', action: 'rate_limit' },
        { name: 'rl2', action: 'block', rate_limit: { average: 1 } },
        { name: 'cls', action: 'block', match: { ua_class: ['robot'], asn: ['x'] } },
        'not a rule',
      ],
    }).map(formatProblem);
    const expected = [
      'policy.rules[1] (name "bad name!"): name: must match',
      'policy.rules[2] (name "no-action"): action: must be one of allow, block, challenge, rate_limit, tarpit, log',
      'policy.rules[3] (name "bad-regex"): match.user_agent: nested quantifier',
      'policy.rules[3] (name "bad-regex"): match.header.x-y: invalid regular expression',
      'policy.rules[4] (name "bad-cidr"): match.cidr[0]:',
      'policy.rules[4] (name "bad-cidr"): match.cidr[1]:',
      'policy.rules[5] (name "unknown-key"): when: unknown key',
      'policy.rules[5] (name "unknown-key"): match.paths: unknown key',
      'policy.rules[6] (name "ok"): name: "ok" is already the name of policy.rules[0]',
      'policy.rules[7] (name "diff"): difficulty: only a challenge rule has a difficulty',
      'policy.rules[8] (name "diff2"): difficulty: must be an integer from 1 to 30',
      'policy.rules[9] (name "rl"): rate_limit: a rate_limit rule needs',
      'policy.rules[10] (name "rl2"): rate_limit: only a rate_limit rule has a rate_limit',
      'policy.rules[11] (name "cls"): match.ua_class[0]: must be one of',
      'policy.rules[11] (name "cls"): match.asn: must be an AS number',
      'policy.rules[12]: a rule must be a mapping',
    ];
    assert.equal(ps.length, expected.length, ps.join('\n'));
    expected.forEach((e, i) => assert.ok(ps[i].startsWith(e), `${ps[i]}\n  should start with\n${e}`));
  });

  it('uses the label option as the path prefix', () => {
    const [p] = problems({ rules: [{ name: 'x', action: 'nope' }] }, { label: 'sites[2].policy' });
    assert.equal(p.path, 'sites[2].policy.rules[0]');
  });

  it('refuses unknown top-level keys and a non-list rules', () => {
    assert.deepEqual(problems({ rule: [] }).map(formatProblem), ['policy.rule: unknown key']);
    assert.deepEqual(problems({ rules: {} }).map(formatProblem), ['policy.rules: must be a list of rules']);
  });

  it('caps the number of rules', () => {
    const ps = problems({ rules: Array.from({ length: 5 }, (_, i) => ok(`r${i}`)) }, { maxRules: 3 });
    assert.match(formatProblem(ps[0]), /5 rules after imports; the limit is 3/);
  });

  it('needs a limiter table for rate_limit rules, and refuses a name clash with a site limit', () => {
    const rule = { name: 'login', action: 'rate_limit', rate_limit: { average: 5, period: '1m', burst: 5 } };
    assert.match(formatProblem(problems({ rules: [rule] })[0]), /no limiter table/);
    const table = createLimiterTable({ maxKeys: 64, seed: 1 });
    const limits = createLimitEvaluator({ table, limits: [{ name: 'rule.login', average: 1, key: ['address'] }] });
    assert.match(formatProblem(problems({ rules: [rule] }, { table, limits })[0]), /limit named rule\.login/);
    assert.equal(compilePolicy({ rules: [rule] }, { table }).rules[0].limit?.limits[0].gcra.period, 60_000);
  });
});

describe('compilePolicy: warnings', () => {
  it('warns about rules that match everything and the rules they make unreachable', () => {
    const p = compilePolicy({ rules: [{ name: 'all-log', action: 'log' }, { name: 'all-block', action: 'block' }, { name: 'after', action: 'allow', match: { path: '/' } }] });
    assert.deepEqual(p.warnings.map(formatProblem), [
      'policy.rules[0] (name "all-log"): has no matcher and no expr: it matches every request',
      'policy.rules[1] (name "all-block"): has no matcher and no expr: it matches every request',
      'policy.rules[2] (name "after"): unreachable: rule "all-block" before it matches every request',
    ]);
  });
  it('has no warnings for an ordinary policy', () => {
    assert.deepEqual(compilePolicy({ rules: [{ name: 'a', action: 'block', match: { path: '/x' } }] }).warnings, []);
  });
});

/** A loader over an in-memory file system; ids are the paths. */
function memoryLoader(files: Record<string, unknown>): ImportLoader {
  return (path) => {
    if (!(path in files)) throw new Error('ENOENT: no such file');
    return { id: path, document: files[path] };
  };
}
const names = (input: unknown, loader: ImportLoader, rootId?: string) => compilePolicy(input, { importLoader: loader, rootId }).rules.map((r) => `${r.source}#${r.index}:${r.name}`);

describe('compilePolicy: imports', () => {
  it('merges imported rules first, depth-first and in order, then the file own rules', () => {
    const loader = memoryLoader({
      'base.yaml': { rules: [ok('base-1')] },
      'bots.yaml': { import: ['base.yaml'], rules: [ok('bots-1'), ok('bots-2')] },
      'extra.yaml': { rules: [ok('extra-1')] },
    });
    assert.deepEqual(names({ import: ['bots.yaml', 'extra.yaml'], rules: [ok('own')] }, loader), [
      'import "base.yaml"#0:base-1',
      'import "bots.yaml"#0:bots-1',
      'import "bots.yaml"#1:bots-2',
      'import "extra.yaml"#0:extra-1',
      'policy#0:own',
    ]);
  });

  it('includes a file imported twice (diamond) once, at its first position', () => {
    const loader = memoryLoader({ 'a.yaml': { import: ['shared.yaml'], rules: [ok('a')] }, 'b.yaml': { import: ['shared.yaml'], rules: [ok('b')] }, 'shared.yaml': { rules: [ok('s')] } });
    assert.deepEqual(names({ import: ['a.yaml', 'b.yaml'] }, loader), ['import "shared.yaml"#0:s', 'import "a.yaml"#0:a', 'import "b.yaml"#0:b']);
  });

  it('reports a cycle with its chain', () => {
    const loader = memoryLoader({ 'a.yaml': { import: ['b.yaml'] }, 'b.yaml': { import: ['a.yaml'] } });
    assert.deepEqual(problems({ import: ['a.yaml'] }, { importLoader: loader }).map(formatProblem), ['import "b.yaml".import[0]: import cycle: "a.yaml" → "b.yaml" → "a.yaml"']);
  });

  it('reports a file importing the root back, and a file importing itself', () => {
    const loader = memoryLoader({ 'root.yaml': {}, 'a.yaml': { import: ['root.yaml'] }, 'self.yaml': { import: ['self.yaml'] } });
    assert.match(formatProblem(problems({ import: ['a.yaml'] }, { importLoader: loader, rootId: 'root.yaml' })[0]), /import cycle: "root.yaml" → "a.yaml" → "root.yaml"/);
    assert.match(formatProblem(problems({ import: ['self.yaml'] }, { importLoader: loader })[0]), /import cycle: "self.yaml" → "self.yaml"/);
  });

  it('reports unreadable files, missing loaders and problems inside imported files with their file', () => {
    const loader = memoryLoader({ 'bad.yaml': { rules: [{ name: 'x', action: 'block', expr: 'path ==' }] } });
    const ps = problems({ import: ['missing.yaml', 'bad.yaml', 7] }, { importLoader: loader }).map(formatProblem);
    // Import problems are found while merging, rule problems afterwards.
    assert.equal(ps[0], 'policy.import[0]: cannot load "missing.yaml": ENOENT: no such file');
    assert.equal(ps[1], 'policy.import[2]: must be a file path');
    assert.match(ps[2], /^import "bad.yaml"\.rules\[0\] \(name "x"\): expr: column \d+: /);
    assert.deepEqual(problems({ import: ['x.yaml'] }).map(formatProblem), ['policy.import[0]: imports are not available here (no loader)']);
  });

  it('detects duplicate names across files', () => {
    const loader = memoryLoader({ 'a.yaml': { rules: [ok('dup')] } });
    assert.match(formatProblem(problems({ import: ['a.yaml'], rules: [ok('dup')] }, { importLoader: loader })[0]), /"dup" is already the name of import "a.yaml"\.rules\[0\]/);
  });
});
