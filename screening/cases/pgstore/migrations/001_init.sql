CREATE TABLE IF NOT EXISTS cases_cases (
    id          text PRIMARY KEY,
    decision_id text NOT NULL UNIQUE,
    status      text NOT NULL,
    asset_id    text NOT NULL,
    assignee    text NOT NULL DEFAULT '',
    risk_score  bigint NOT NULL,
    expires_at  timestamptz NOT NULL,
    body        jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS cases_cases_open_expiry ON cases_cases (expires_at) WHERE status IN ('OPEN', 'ASSIGNED');
CREATE INDEX IF NOT EXISTS cases_cases_status ON cases_cases (status, id);

CREATE TABLE IF NOT EXISTS cases_deliveries (
    case_id      text NOT NULL REFERENCES cases_cases (id),
    hook         text NOT NULL,
    delivered    boolean NOT NULL DEFAULT false,
    attempts     integer NOT NULL DEFAULT 0,
    last_error   text NOT NULL DEFAULT '',
    next_at      timestamptz NOT NULL,
    lease_until  timestamptz,
    delivered_at timestamptz,
    PRIMARY KEY (case_id, hook)
);
CREATE INDEX IF NOT EXISTS cases_deliveries_pending ON cases_deliveries (next_at) WHERE NOT delivered;
