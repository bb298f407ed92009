-- +goose Up
-- The cross-cell broker (package broker) keeps its state in the control
-- plane's database: where it stands in each cell's outbox, the transfer
-- ledger, and the deliveries waiting for each cell's inbox. A page of an
-- outbox is decided, ledgered, queued and its position moved in one
-- transaction, so a crash reads it again and changes nothing twice.
CREATE TABLE outbox_position (
    cell  text PRIMARY KEY,
    after bigint NOT NULL
);

-- One entry per category of data an event carried out of its cell: the
-- policy's decision (allowed or not), and whether the event was delivered.
CREATE TABLE transfer_ledger (
    id                 bigserial PRIMARY KEY,
    event_id           uuid NOT NULL,
    kind               text NOT NULL,
    category           text NOT NULL,
    source_tenant      uuid NOT NULL,
    dest_tenant        uuid NOT NULL,
    actor              uuid,
    from_cell          text NOT NULL,
    to_cell            text NOT NULL,
    from_jurisdictions text[] NOT NULL,
    to_jurisdiction    text NOT NULL,
    allowed            boolean NOT NULL,
    delivered          boolean NOT NULL,
    bases              text[] NOT NULL,
    rules              text[] NOT NULL,
    record             text[] NOT NULL,
    explanation        text NOT NULL,
    policy_version     text NOT NULL,
    event_at           timestamptz NOT NULL,
    decided_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_id, category)
);
CREATE INDEX transfer_ledger_source ON transfer_ledger (source_tenant, id);
CREATE INDEX transfer_ledger_dest ON transfer_ledger (dest_tenant, id);

-- Deliveries to each cell's inbox, in the order they are to arrive. A
-- delivery the inbox refuses for good is kept with its problem.
CREATE TABLE broker_delivery (
    id           bigserial PRIMARY KEY,
    cell         text NOT NULL,
    event_id     uuid NOT NULL,
    what         text NOT NULL CHECK (what IN ('event', 'refusal', 'delivered')),
    body         jsonb NOT NULL,
    queued_at    timestamptz NOT NULL DEFAULT now(),
    attempts     int NOT NULL DEFAULT 0,
    last_error   text,
    delivered_at timestamptz,
    failed_at    timestamptz,
    UNIQUE (cell, event_id, what)
);
CREATE INDEX broker_delivery_pending ON broker_delivery (cell, id) WHERE delivered_at IS NULL AND failed_at IS NULL;

-- +goose Down
DROP TABLE broker_delivery, transfer_ledger, outbox_position;
