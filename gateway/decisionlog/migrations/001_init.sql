CREATE TABLE IF NOT EXISTS decisionlog_entries (
    seq         BIGINT PRIMARY KEY,
    kind        TEXT NOT NULL,
    decision_id TEXT NOT NULL,
    body        BYTEA NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS decisionlog_entries_decision_id ON decisionlog_entries (decision_id);
CREATE TABLE IF NOT EXISTS decisionlog_head (
    id   INT PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO decisionlog_head (id, seq, hash) VALUES (1, 0, '') ON CONFLICT DO NOTHING;
