/**
 * Child process for incident-crash.test.ts: writes an incident's timeline as the detector would, as fast as
 * it can, until it is killed. After each committed batch it prints the number of seconds committed so far
 * (synchronously, so a printed number is always committed).
 *
 *   node --import tsx src/stores/test-crash-writer.ts <stateDir> <secondsPerBatch>
 *
 * Bounded: stops by itself after 20 s or 200,000 batches.
 */
import fs from 'node:fs';
import { openStateStores } from './index.ts';

const [stateDir, batchText] = process.argv.slice(2);
const batch = Number(batchText);
const T0 = Date.UTC(2026, 10, 28, 10, 0, 0);

const state = openStateStores({ stateDir, incidents: { checkpointEveryMs: 0 } });
const { id } = await state.incidents.open({ site: 'news', openedAtMs: T0 });
fs.writeSync(1, `open ${id}\n`);
const deadline = Date.now() + 20_000;
let done = 0;
for (let i = 0; i < 200_000 && Date.now() < deadline; i++) {
  const rows = Array.from({ length: batch }, (_, j) => ({ t: T0 + (done + j) * 1000, requests: 100 + ((done + j) % 50), distinct: 10, level: 'under_attack' as const, outcomes: { dropped: 90, forwarded: 10 } }));
  await state.incidents.appendSeconds(id, rows);
  done += batch;
  await state.incidents.update(id, { distinctSources: done, summary: { top: { prefix: [{ key: '203.0.113.0/24', count: done, share: 0.5 }] } } });
  fs.writeSync(1, `${done}\n`);
}
state.close();
