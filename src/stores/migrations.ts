/**
 * The schema of `bulwark.db`, as an ordered list of migration steps. `PRAGMA user_version` holds the number
 * of the last step applied; opening the database applies the missing ones in one transaction (database.ts).
 *
 * Rules for adding a step: append, never edit a released step; a step must work on the schema the previous
 * steps produced (including empty tables); keep data (ALTER TABLE ADD COLUMN, new tables, backfills).
 * A database whose `user_version` is above the last step here was written by a newer Bulwark and is refused
 * (no downgrade), because this code would not know what the newer columns mean.
 */

/** One schema step: `version` is its 1-based position, `sql` one or more statements. */
export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

const V1_BANS = `
CREATE TABLE bans (
  key           TEXT PRIMARY KEY,
  scope         TEXT NOT NULL CHECK (scope IN ('address', 'prefix')),
  reason        TEXT NOT NULL,
  banned_by     TEXT NOT NULL,
  level         INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  until_ms      INTEGER NOT NULL,
  source        TEXT NOT NULL CHECK (source IN ('auto', 'manual'))
) WITHOUT ROWID;
CREATE INDEX bans_until ON bans (until_ms);

-- AUTOINCREMENT: ids are never reused after trimming, so "changes since id N" stays correct.
-- Indexed by time only (retention purges); listing one key's history scans, which is rare and operator-driven,
-- while every index costs each ban written under attack one more page in the WAL.
CREATE TABLE ban_audit (
  id     INTEGER PRIMARY KEY AUTOINCREMENT,
  at_ms  INTEGER NOT NULL,
  action TEXT NOT NULL CHECK (action IN ('add', 'extend', 'replace', 'remove')),
  key    TEXT NOT NULL,
  actor  TEXT NOT NULL CHECK (actor IN ('auto', 'manual', 'cli', 'admin')),
  ban    TEXT
);
CREATE INDEX ban_audit_at ON ban_audit (at_ms);
`;

const V1_INCIDENTS = `
CREATE TABLE incidents (
  id                       TEXT PRIMARY KEY,
  site                     TEXT NOT NULL,
  opened_at_ms             INTEGER NOT NULL,
  closed_at_ms             INTEGER,
  status                   TEXT NOT NULL CHECK (status IN ('open', 'closed')),
  close_reason             TEXT CHECK (close_reason IN ('calm', 'interrupted', 'manual')),
  peak_level               TEXT NOT NULL CHECK (peak_level IN ('normal', 'elevated', 'under_attack')),
  severity                 TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  peak_rps                 REAL NOT NULL DEFAULT 0,
  total_requests           INTEGER NOT NULL DEFAULT 0,
  distinct_sources         INTEGER NOT NULL DEFAULT 0,
  summary                  TEXT NOT NULL DEFAULT '{}',
  actions                  TEXT NOT NULL DEFAULT '[]',
  visitors                 TEXT NOT NULL DEFAULT '{}',
  linked_to                TEXT REFERENCES incidents (id) ON DELETE SET NULL,
  link_verdict             TEXT CHECK (link_verdict IN ('same_actor', 'copycat', 'different')),
  link_evidence            TEXT,
  last_second_ms           INTEGER,
  timeline_seconds         INTEGER NOT NULL DEFAULT 0,
  timeline_dropped         INTEGER NOT NULL DEFAULT 0,
  addresses_truncated      INTEGER NOT NULL DEFAULT 0,
  source_data_purged_at_ms INTEGER,
  updated_at_ms            INTEGER NOT NULL
);
CREATE INDEX incidents_site_opened ON incidents (site, opened_at_ms);
CREATE INDEX incidents_opened ON incidents (opened_at_ms);
CREATE INDEX incidents_closed ON incidents (closed_at_ms) WHERE status = 'closed';
-- At most one open incident per site: a second open() for the same site is a bug, not a new attack.
CREATE UNIQUE INDEX incidents_one_open_per_site ON incidents (site) WHERE status = 'open';

CREATE TABLE incident_seconds (
  incident_id      TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  t                INTEGER NOT NULL,
  requests         INTEGER NOT NULL,
  distinct_sources INTEGER NOT NULL,
  level            TEXT NOT NULL,
  outcomes         TEXT,
  extra            TEXT,
  PRIMARY KEY (incident_id, t)
) WITHOUT ROWID;
`;

const V1_SMALL = `
CREATE TABLE baselines (
  site          TEXT PRIMARY KEY,
  updated_at_ms INTEGER NOT NULL,
  json          TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE kv (
  key           TEXT PRIMARY KEY,
  value         TEXT NOT NULL,
  updated_at_ms INTEGER NOT NULL,
  expires_at_ms INTEGER
) WITHOUT ROWID;
CREATE INDEX kv_expires ON kv (expires_at_ms) WHERE expires_at_ms IS NOT NULL;
`;

// The admin plane: API tokens (only their SHA-256 is stored), browser sessions (bound to a token, so
// revoking the token ends them at once) and the audit log of every state change. Self-contained: it
// touches no table of another step.
const ADMIN_PLANE = `
CREATE TABLE admin_tokens (
  id              TEXT PRIMARY KEY,
  name            TEXT NOT NULL,
  role            TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin', 'metrics')),
  hash            TEXT NOT NULL UNIQUE,
  created_at_ms   INTEGER NOT NULL,
  created_by      TEXT NOT NULL,
  expires_at_ms   INTEGER,
  revoked_at_ms   INTEGER,
  revoked_by      TEXT,
  last_used_at_ms INTEGER
) WITHOUT ROWID;
-- A name names one live token; revoked ones stay listed for the audit trail.
CREATE UNIQUE INDEX admin_tokens_live_name ON admin_tokens (name) WHERE revoked_at_ms IS NULL;

CREATE TABLE admin_sessions (
  id_hash         TEXT PRIMARY KEY,
  token_id        TEXT NOT NULL REFERENCES admin_tokens (id) ON DELETE CASCADE,
  csrf            TEXT NOT NULL,
  client          TEXT NOT NULL,
  created_at_ms   INTEGER NOT NULL,
  last_seen_at_ms INTEGER NOT NULL,
  expires_at_ms   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX admin_sessions_seen ON admin_sessions (last_seen_at_ms);
CREATE INDEX admin_sessions_token ON admin_sessions (token_id);

CREATE TABLE admin_audit (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  at_ms   INTEGER NOT NULL,
  actor   TEXT NOT NULL,
  role    TEXT,
  action  TEXT NOT NULL,
  target  TEXT,
  source  TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'refused', 'failed')),
  detail  TEXT
);
CREATE INDEX admin_audit_at ON admin_audit (at_ms);
`;

// The attack fingerprint of each incident (per-attack distributions of paths, methods, user agents and
// source networks), JSON like summary; NULL for incidents recorded before it existed.
const INCIDENT_FINGERPRINT = `
ALTER TABLE incidents ADD COLUMN fingerprint TEXT;
`;

/** Every schema step, in order. The schema version of a database is the number of steps applied. */
export const STATE_MIGRATIONS: readonly Migration[] = Object.freeze([
  { version: 1, description: 'bans and audit log, incidents and per-second timelines, baselines, settings', sql: V1_BANS + V1_INCIDENTS + V1_SMALL },
  { version: 2, description: 'admin plane: API tokens (hashed), browser sessions, audit log', sql: ADMIN_PLANE },
  { version: 3, description: 'incident attack fingerprints', sql: INCIDENT_FINGERPRINT },
]);

/** The schema version this code writes (the last step's number). */
export const STATE_SCHEMA_VERSION = STATE_MIGRATIONS[STATE_MIGRATIONS.length - 1].version;
