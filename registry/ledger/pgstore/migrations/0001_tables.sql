-- The ledger's key-value tables (one per ledger.Tables entry) are appended
-- by Migrate; this file holds the write lock row.
CREATE TABLE IF NOT EXISTS ledger_lock (id int PRIMARY KEY);
INSERT INTO ledger_lock (id) VALUES (1) ON CONFLICT DO NOTHING;
