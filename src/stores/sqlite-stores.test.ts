/**
 * The shared conformance suites (./conformance/) run against the SQLite implementations.
 */
import { createSqliteBanStore } from './ban-store.ts';
import { createSqliteBaselineStore } from './baseline-store.ts';
import { runBanStoreConformance } from './conformance/ban-store-conformance.ts';
import { runBaselineStoreConformance } from './conformance/baseline-store-conformance.ts';
import { runIncidentStoreConformance } from './conformance/incident-store-conformance.ts';
import { runKvStoreConformance } from './conformance/kv-store-conformance.ts';
import { runAuditStoreConformance } from './conformance/audit-store-conformance.ts';
import { createSqliteAuditStore } from './audit-store.ts';
import { createSqliteIncidentStore } from './incident-store.ts';
import { createSqliteKvStore } from './kv-store.ts';
import { sqliteHarness } from './test-support.ts';

runBanStoreConformance('sqlite', async ({ clock, maxBans }) => sqliteHarness(clock, (db) => createSqliteBanStore(db, { clock: clock.now, maxBans })));

runIncidentStoreConformance('sqlite', async ({ clock, ...o }) =>
  sqliteHarness(clock, (db) => createSqliteIncidentStore(db, { clock: clock.now, checkpointEveryMs: 0, ...o })),
);

runBaselineStoreConformance('sqlite', async ({ clock, maxSites }) => sqliteHarness(clock, (db) => createSqliteBaselineStore(db, { maxSites })));

runKvStoreConformance('sqlite', async ({ clock, maxKeys }) => sqliteHarness(clock, (db) => createSqliteKvStore(db, { maxKeys })));

runAuditStoreConformance('sqlite', async ({ clock, maxRows }) => sqliteHarness(clock, (db) => createSqliteAuditStore(db, { maxRows })));
