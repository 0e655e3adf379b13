// The decide benchmark as a same-process A/B against another revision (bench/lib/decide-ab.ts): extracts
// that revision's src/ (git archive) under node_modules/.cache/ab/<sha>/, writes a program importing both
// cores, bundles it like production (./bundle.mjs) and runs it; bounded in CPU time.
// Usage: node scripts/ab-decide.mjs <git-revision> [budget-ms]   (e.g. HEAD~3; the revision's core must
// export compileIpLists, createLimitEvaluator, createLimiterTable, compilePolicy and decide, as since d15d377)
import { bundleLikeProduction } from './bundle.mjs';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [rev, budget] = process.argv.slice(2);
if (!rev) {
  console.error('usage: node scripts/ab-decide.mjs <git-revision> [budget-ms]');
  process.exit(2);
}
const root = fileURLToPath(new URL('..', import.meta.url));
let sha;
try {
  sha = execFileSync('git', ['rev-parse', '--verify', `${rev}^{commit}`], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
} catch {
  console.error(`ab-decide: ${rev} is not a revision of this repository`);
  process.exit(2);
}
const cache = join(root, 'node_modules/.cache/ab');
const baseDir = join(cache, sha);
if (!existsSync(join(baseDir, 'src'))) {
  mkdirSync(baseDir, { recursive: true });
  const archive = execFileSync('git', ['archive', sha, 'src'], { cwd: root, maxBuffer: 1 << 30 });
  execFileSync('tar', ['-x', '-C', baseDir], { input: archive });
}
const core = (dir) => ({
  lists: JSON.stringify(join(dir, 'src/core/net/ip-list.ts')),
  evaluator: JSON.stringify(join(dir, 'src/core/ratelimit/evaluator.ts')),
  table: JSON.stringify(join(dir, 'src/core/ratelimit/limiter-table.ts')),
  policy: JSON.stringify(join(dir, 'src/core/policy/index.ts')),
});
const b = core(baseDir);
const c = core(root);
const entry = join(cache, `decide-ab-${sha}.ts`);
writeFileSync(
  entry,
  `import * as BL from ${b.lists};
import * as BE from ${b.evaluator};
import * as BT from ${b.table};
import * as BP from ${b.policy};
import * as CL from ${c.lists};
import * as CE from ${c.evaluator};
import * as CT from ${c.table};
import * as CP from ${c.policy};
import { runDecideAb } from ${JSON.stringify(join(root, 'bench/lib/decide-ab.ts'))};
const coreOf = (l: any, e: any, t: any, p: any) => ({ compileIpLists: l.compileIpLists, createLimitEvaluator: e.createLimitEvaluator, createLimiterTable: t.createLimiterTable, compilePolicy: p.compilePolicy, decide: p.decide });
runDecideAb({ label: ${JSON.stringify(rev)}, base: coreOf(BL, BE, BT, BP), current: coreOf(CL, CE, CT, CP), budgetMs: ${Number(budget) > 0 ? Number(budget) : 8000} });
`,
);
const out = entry.replace(/\.ts$/, '.mjs');
await bundleLikeProduction(entry, out);
const r = spawnSync(process.execPath, [out], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
