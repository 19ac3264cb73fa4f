-- schema-v6.sql: version 6 as released, frozen (docs/store.md): version 5
-- and migration 6, plans.body (a plan as one row, its content an encoded
-- Plan message), with a plan stored that way beside the row-stored ones.
-- Schema version 5 of the controller's store (hvpolicy.db): version 4
-- plus several clusters on one controller: revisions keyed by (cluster,
-- revision), plans.cluster, events.cluster, the revision floor per
-- cluster in meta, nodes.parts; frozen here, with rows of every kind and
-- a second cluster. test_store.c builds a database from this file and
-- opens it with the current code: every later migration must carry these
-- rows forward.
CREATE TABLE revisions (
  revision INTEGER PRIMARY KEY CHECK (revision >= 1),
  hash TEXT NOT NULL,
  text TEXT NOT NULL,
  applied_at INTEGER NOT NULL,
  applied_by TEXT,
  source TEXT);
CREATE TABLE nodes (
  name TEXT PRIMARY KEY NOT NULL,
  role TEXT NOT NULL,
  cluster TEXT NOT NULL,
  last_seen INTEGER NOT NULL DEFAULT 0,
  online INTEGER NOT NULL DEFAULT 0 CHECK (online IN (0, 1)),
  acked_revision INTEGER NOT NULL DEFAULT 0,
  acked_plan_generation INTEGER NOT NULL DEFAULT 0,
  converged INTEGER NOT NULL DEFAULT 0 CHECK (converged IN (0, 1)),
  open_drift INTEGER NOT NULL DEFAULT 0,
  dsgroups_hash TEXT,
  inventory BLOB,
  inventory_hash TEXT,
  last_drift_seq INTEGER NOT NULL DEFAULT 0 CHECK (last_drift_seq >= 0));
CREATE TABLE drift (
  id TEXT PRIMARY KEY NOT NULL,
  cluster TEXT,
  node TEXT NOT NULL,
  role TEXT NOT NULL,
  kind TEXT NOT NULL,
  resource TEXT NOT NULL,
  expected TEXT,
  actual TEXT,
  policy_revision INTEGER,
  mode TEXT NOT NULL,
  status TEXT NOT NULL,
  detected_at INTEGER NOT NULL,
  resolved_at INTEGER,
  action TEXT,
  error TEXT);
CREATE INDEX drift_by_detected ON drift (detected_at, id);
CREATE INDEX drift_by_resolved ON drift (resolved_at);
CREATE INDEX drift_by_node ON drift (node, detected_at);
CREATE TABLE drift_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  drift_id TEXT NOT NULL REFERENCES drift (id),
  node TEXT NOT NULL,
  node_seq INTEGER,
  status TEXT NOT NULL,
  at INTEGER NOT NULL);
CREATE INDEX drift_events_by_drift ON drift_events (drift_id);
CREATE INDEX drift_events_by_at ON drift_events (at);
CREATE TABLE plans (
  generation INTEGER PRIMARY KEY CHECK (generation >= 1),
  hash TEXT NOT NULL,
  saved_at INTEGER NOT NULL);
CREATE TABLE plan_groups (
  generation INTEGER NOT NULL
  
  REFERENCES plans (generation) ON DELETE CASCADE,
  ord INTEGER NOT NULL,
  name TEXT NOT NULL,
  PRIMARY KEY (generation, ord)) WITHOUT ROWID;CREATE TABLE plan_group_csvs (
  generation INTEGER NOT NULL,
  group_ord INTEGER NOT NULL,
  ord INTEGER NOT NULL,
  csv TEXT NOT NULL,
  PRIMARY KEY (generation, group_ord, ord),
  FOREIGN KEY (generation, group_ord)
  
  REFERENCES plan_groups (generation, ord) ON DELETE CASCADE) WITHOUT ROWID;CREATE TABLE plan_guests (
  generation INTEGER NOT NULL,
  group_ord INTEGER NOT NULL,
  ord INTEGER NOT NULL,
  name TEXT NOT NULL,
  guest_id TEXT NOT NULL,
  node TEXT,
  PRIMARY KEY (generation, group_ord, ord),
  FOREIGN KEY (generation, group_ord)
  
  REFERENCES plan_groups (generation, ord) ON DELETE CASCADE) WITHOUT ROWID;CREATE TABLE plan_unplanned (
  generation INTEGER NOT NULL
  
  REFERENCES plans (generation) ON DELETE CASCADE,
  ord INTEGER NOT NULL,
  name TEXT,
  guest_id TEXT,
  node TEXT,
  reason TEXT,
  PRIMARY KEY (generation, ord)) WITHOUT ROWID;
INSERT INTO revisions VALUES (1, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  'apiVersion: hvpolicy/v1' || char(10), 1764547200, 'alice', 'apply -f a.yaml');
INSERT INTO revisions VALUES (2, 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',
  'apiVersion: hvpolicy/v1' || char(10) || '# two' || char(10), 1764547300, 'bob', 'rollback 1');
INSERT INTO nodes (name, role, cluster, last_seen, online, acked_revision,
  acked_plan_generation, converged, open_drift, last_drift_seq)
  VALUES ('HV01', 'hyperv-node', 'HV-CLUSTER-01', 1764547400, 0, 2, 1, 1, 1, 7);
INSERT INTO drift VALUES ('0123456789abcdef', 'HV-CLUSTER-01', 'HV01', 'hyperv-node',
  'registry', 'HKLM\SOFTWARE\Contoso', 'present', NULL, 2, 'enforce', 'open',
  1764547410, NULL, 'create key', NULL);
INSERT INTO drift_events (drift_id, node, node_seq, status, at)
  VALUES ('0123456789abcdef', 'HV01', 7, 'open', 1764547410);
INSERT INTO plans VALUES (1, 'cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc', 1764547420);
INSERT INTO plan_groups VALUES (1, 0, 'CSV-Volume1');
INSERT INTO plan_group_csvs VALUES (1, 0, 0, 'Volume1');
INSERT INTO plan_guests VALUES (1, 0, 0, 'VM0001', 'c15c0289-ec2d-4a91-a7ec-8e65a18debbe', 'HV01');
ALTER TABLE drift ADD COLUMN received_at INTEGER NOT NULL DEFAULT 0;
UPDATE drift SET received_at = COALESCE(resolved_at, detected_at);
CREATE INDEX drift_by_received ON drift (received_at);
CREATE TABLE meta (
  key TEXT PRIMARY KEY NOT NULL,
  value INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO meta VALUES ('revision_floor', 2);
ALTER TABLE revisions ADD COLUMN change_id TEXT;
ALTER TABLE revisions ADD COLUMN message TEXT;
ALTER TABLE drift ADD COLUMN cause TEXT;
ALTER TABLE drift_events ADD COLUMN resolved_at INTEGER;
ALTER TABLE drift_events ADD COLUMN action TEXT;
ALTER TABLE drift_events ADD COLUMN error TEXT;
ALTER TABLE drift_events ADD COLUMN received_at INTEGER;
CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  type TEXT NOT NULL,
  at INTEGER NOT NULL,
  node TEXT,
  drift_event INTEGER REFERENCES drift_events (seq),
  data TEXT,
  summary TEXT);
CREATE INDEX events_by_type ON events (type, seq);
CREATE TABLE webhook_cursors (
  endpoint TEXT PRIMARY KEY NOT NULL,
  delivered INTEGER NOT NULL DEFAULT 0,
  deliveries INTEGER NOT NULL DEFAULT 0,
  failures INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
INSERT INTO events (type, at, node, drift_event)
  SELECT 'drift', at, node, seq FROM drift_events ORDER BY seq;
UPDATE revisions SET change_id = 'CHG0001', message = 'first' WHERE revision = 1;
UPDATE drift SET cause = 'out-of-band';
INSERT INTO events (type, at, node, data, summary) VALUES ('node', 1764547430,
  'HV01', '{"online":true}', 'online');
INSERT INTO webhook_cursors VALUES ('itsm', 1, 1, 0);
INSERT INTO meta VALUES ('event_floor', 2);
CREATE TABLE lingering (
  id TEXT PRIMARY KEY NOT NULL,
  node TEXT NOT NULL,
  guest BLOB NOT NULL,
  left_at INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO lingering VALUES ('0e4f6c1a-9a53-4c8e-8f4e-1d2b3c4d5e6f', 'HV02',
  X'0A06564D30303037122430653466366331612D396135332D346338652D386634652D3164326233633464356536661A0772756E6E696E672A2B433A5C436C757374657253746F726167655C566F6C756D65325C564D303030375C6469736B302E76686478',
  1764547500);
CREATE TABLE revisions_v5 (
  cluster TEXT NOT NULL COLLATE NOCASE,
  revision INTEGER NOT NULL CHECK (revision >= 1),
  hash TEXT NOT NULL,
  text TEXT NOT NULL,
  applied_at INTEGER NOT NULL,
  applied_by TEXT,
  source TEXT,
  change_id TEXT,
  message TEXT,
  PRIMARY KEY (cluster, revision)) WITHOUT ROWID;
INSERT INTO revisions_v5 SELECT 'HV-CLUSTER-01', revision, hash, text,
  applied_at, applied_by, source, change_id, message FROM revisions;
DROP TABLE revisions;
ALTER TABLE revisions_v5 RENAME TO revisions;
ALTER TABLE plans ADD COLUMN cluster TEXT NOT NULL DEFAULT '' COLLATE NOCASE;
UPDATE plans SET cluster = 'HV-CLUSTER-01';
CREATE INDEX plans_by_cluster ON plans (cluster, generation);
ALTER TABLE events ADD COLUMN cluster TEXT COLLATE NOCASE;
UPDATE events SET cluster = 'HV-CLUSTER-01' WHERE type <> 'drift';
UPDATE meta SET key = 'revision_floor/hv-cluster-01' WHERE key = 'revision_floor';
ALTER TABLE nodes ADD COLUMN parts TEXT;
INSERT INTO revisions VALUES ('HV-CLUSTER-02', 1,
  'dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd',
  'apiVersion: hvpolicy/v1' || char(10) || '# cluster two' || char(10),
  1764547100, 'carol', 'apply -f b.yaml', NULL, NULL);
INSERT INTO nodes (name, role, cluster, last_seen, online, acked_revision,
  acked_plan_generation, converged, open_drift, last_drift_seq, parts)
  VALUES ('DPM01', 'dpm-server', 'HV-CLUSTER-01,HV-CLUSTER-02', 1764547510,
  0, 0, 0, 1, 0, 0, 'HV-CLUSTER-01 2 1 -;HV-CLUSTER-02 1 2 -');
INSERT INTO plans (generation, hash, saved_at, cluster) VALUES (2,
  'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee',
  1764547520, 'HV-CLUSTER-02');
INSERT INTO plan_groups VALUES (2, 0, 'CSV-Volume1');
INSERT INTO plan_group_csvs VALUES (2, 0, 0, 'Volume1');
INSERT INTO plan_guests VALUES (2, 0, 0, 'VM0001', 'd25c0289-ec2d-4a91-a7ec-8e65a18debbe', 'HVB01');
INSERT INTO events (type, at, node, data, summary, cluster) VALUES ('revision',
  1764547500, NULL, '{"revision":1,"action":"apply"}', 'revision 1 applied by carol',
  'HV-CLUSTER-02');
ALTER TABLE plans ADD COLUMN body BLOB;
INSERT INTO plans (generation, hash, saved_at, cluster, body) VALUES (3,
  'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
  1764547530, 'HV-CLUSTER-02',
  X'08031240666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666666661a4c0a0b4353562d566f6c756d65321207566f6c756d65321a340a06564d30303032122465323563303238392d656332642d346139312d613765632d3865363561313864656262651a044856303222200a06564d303030331a044856303222106e6f2047554944207265706f72746564');
PRAGMA user_version = 6;
