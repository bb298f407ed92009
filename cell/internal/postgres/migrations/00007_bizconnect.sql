-- +goose Up
-- BizConnect: partnerships between businesses, the consents people give
-- for their data to go abroad, and the cross-cell path (package
-- crosscell): the outbox of events leaving the cell (also its log of what
-- it exported) and the inbox of events that arrived (its log of what it
-- imported).

-- The subscription tier decides where a business may find partners.
-- NULL: the default for the business's country (crosscell.DefaultTier).
ALTER TABLE tenant ADD COLUMN tier text CHECK (tier IN ('intra_africa', 'africa_us', 'us_africa'));

-- Each side keeps its own copy of a partnership, under the same id.
CREATE TABLE partnership (
    id                uuid NOT NULL,
    tenant_id         uuid NOT NULL REFERENCES tenant (id) ON DELETE CASCADE,
    partner_tenant_id uuid NOT NULL,
    partner_country   char(2) NOT NULL,
    partner_card      jsonb,
    role              text NOT NULL CHECK (role IN ('proposer', 'recipient')),
    state             text NOT NULL CHECK (state IN ('proposing', 'proposed', 'accepted', 'declined', 'withdrawn', 'ended', 'refused')),
    note              text NOT NULL DEFAULT '',
    share_proposer    text[] NOT NULL,
    share_partner     text[] NOT NULL,
    proposed_by       uuid REFERENCES app_user (id),
    refusal           jsonb,
    version           bigint NOT NULL DEFAULT 1,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
-- One open partnership per pair of businesses.
CREATE UNIQUE INDEX partnership_open_pair ON partnership (tenant_id, partner_tenant_id)
    WHERE state IN ('proposing', 'proposed', 'accepted');

-- A person's consent for a category of their data to go to a jurisdiction,
-- given as a member of a business. Withdrawn consents are kept.
CREATE TABLE consent (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenant (id) ON DELETE CASCADE,
    user_id      uuid NOT NULL REFERENCES app_user (id),
    category     text NOT NULL,
    jurisdiction text NOT NULL,
    granted_at   timestamptz NOT NULL DEFAULT now(),
    withdrawn_at timestamptz
);
CREATE UNIQUE INDEX consent_active ON consent (tenant_id, user_id, category, jurisdiction) WHERE withdrawn_at IS NULL;

-- Events leaving the cell, in the order the broker must read them: writers
-- take an advisory lock before they insert, so seq order is commit order
-- and a reader never passes a row that commits later.
CREATE TABLE outbox_event (
    seq               bigserial PRIMARY KEY,
    id                uuid NOT NULL UNIQUE,
    kind              text NOT NULL,
    tenant_id         uuid NOT NULL,
    partner_tenant_id uuid NOT NULL,
    actor             uuid,
    tier              text NOT NULL,
    carries           jsonb NOT NULL,
    body              jsonb NOT NULL,
    refusal           jsonb,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_event_tenant ON outbox_event (tenant_id, seq);

-- Events that arrived, once each.
CREATE TABLE inbox_event (
    id          uuid PRIMARY KEY,
    kind        text NOT NULL,
    from_cell   text NOT NULL,
    tenant_id   uuid NOT NULL,
    from_tenant uuid NOT NULL,
    carries     jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inbox_event_tenant ON inbox_event (tenant_id, received_at);

-- +goose Down
DROP TABLE inbox_event, outbox_event, consent, partnership;
ALTER TABLE tenant DROP COLUMN tier;
