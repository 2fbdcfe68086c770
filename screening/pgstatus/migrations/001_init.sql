CREATE TABLE IF NOT EXISTS screening_status (
    kind    TEXT NOT NULL,      -- 'investor' or 'wallet'
    subject TEXT NOT NULL,
    body    BYTEA NOT NULL,
    PRIMARY KEY (kind, subject)
);
CREATE TABLE IF NOT EXISTS screening_exceptions (
    id          TEXT PRIMARY KEY,
    investor_id TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    body        BYTEA NOT NULL
);
CREATE INDEX IF NOT EXISTS screening_exceptions_investor ON screening_exceptions (investor_id, created_at);
CREATE TABLE IF NOT EXISTS screening_checkpoints (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
