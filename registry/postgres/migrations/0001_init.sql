-- Registry: current state tables (one row per entity, the latest version)
-- and history tables (one row per committed version, with actor, time and
-- reason). Entities are kept whole in a jsonb "data" column; the columns
-- beside it are for lookups, filters and ordering.
CREATE TABLE IF NOT EXISTS registry_seq (
    id  integer PRIMARY KEY CHECK (id = 1),
    seq bigint  NOT NULL
);
INSERT INTO registry_seq (id, seq) VALUES (1, 0) ON CONFLICT DO NOTHING;

CREATE TABLE IF NOT EXISTS registry_investors (
    id           text COLLATE "C" PRIMARY KEY,
    version      bigint NOT NULL,
    updated_at   timestamptz NOT NULL,
    status       text NOT NULL,
    jurisdiction text NOT NULL,
    category     text NOT NULL,
    data         jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS registry_investors_status ON registry_investors (status, id);
CREATE INDEX IF NOT EXISTS registry_investors_jurisdiction ON registry_investors (jurisdiction, id);

CREATE TABLE IF NOT EXISTS registry_investor_history (
    id      text COLLATE "C" NOT NULL,
    version bigint NOT NULL,
    at      timestamptz NOT NULL,
    actor   text NOT NULL,
    reason  text NOT NULL,
    data    jsonb NOT NULL,
    PRIMARY KEY (id, version)
);

CREATE TABLE IF NOT EXISTS registry_wallets (
    address     text COLLATE "C" PRIMARY KEY,
    chain       text NOT NULL,
    investor_id text COLLATE "C" NOT NULL,
    version     bigint NOT NULL,
    updated_at  timestamptz NOT NULL,
    data        jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS registry_wallets_investor ON registry_wallets (investor_id, address);

CREATE TABLE IF NOT EXISTS registry_wallet_history (
    address     text COLLATE "C" NOT NULL,
    version     bigint NOT NULL,
    investor_id text COLLATE "C" NOT NULL,
    at          timestamptz NOT NULL,
    actor       text NOT NULL,
    reason      text NOT NULL,
    data        jsonb NOT NULL,
    PRIMARY KEY (address, version)
);
CREATE INDEX IF NOT EXISTS registry_wallet_history_investor ON registry_wallet_history (investor_id, address);

CREATE TABLE IF NOT EXISTS registry_assets (
    id         text COLLATE "C" PRIMARY KEY,
    version    bigint NOT NULL,
    updated_at timestamptz NOT NULL,
    pack       text NOT NULL,
    data       jsonb NOT NULL
);

CREATE TABLE IF NOT EXISTS registry_asset_history (
    id      text COLLATE "C" NOT NULL,
    version bigint NOT NULL,
    at      timestamptz NOT NULL,
    actor   text NOT NULL,
    reason  text NOT NULL,
    data    jsonb NOT NULL,
    PRIMARY KEY (id, version)
);

CREATE TABLE IF NOT EXISTS registry_whitelist (
    asset_id    text COLLATE "C" NOT NULL,
    investor_id text COLLATE "C" NOT NULL,
    active      boolean NOT NULL,
    version     bigint NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (asset_id, investor_id)
);

CREATE TABLE IF NOT EXISTS registry_whitelist_history (
    asset_id    text COLLATE "C" NOT NULL,
    investor_id text COLLATE "C" NOT NULL,
    version     bigint NOT NULL,
    active      boolean NOT NULL,
    at          timestamptz NOT NULL,
    actor       text NOT NULL,
    reason      text NOT NULL,
    PRIMARY KEY (asset_id, investor_id, version)
);
