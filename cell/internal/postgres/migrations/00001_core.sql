-- +goose Up
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE app_user (
    id           uuid PRIMARY KEY,
    firebase_uid text NOT NULL UNIQUE,
    email        text,
    display_name text,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tenant (
    id         uuid PRIMARY KEY,
    slug       text NOT NULL UNIQUE,
    name       text NOT NULL,
    country    char(2) NOT NULL,
    categories text[] NOT NULL DEFAULT '{}',
    contact    jsonb NOT NULL,
    version    bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE membership (
    tenant_id  uuid NOT NULL REFERENCES tenant (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES app_user (id),
    role       text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX membership_user ON membership (user_id);

CREATE TABLE invitation (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenant (id) ON DELETE CASCADE,
    email       text NOT NULL,
    role        text NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
    token_hash  bytea NOT NULL UNIQUE,
    status      text NOT NULL CHECK (status IN ('pending', 'accepted', 'revoked')),
    invited_by  uuid NOT NULL REFERENCES app_user (id),
    accepted_by uuid REFERENCES app_user (id),
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX invitation_pending_email ON invitation (tenant_id, lower(email)) WHERE status = 'pending';

CREATE TABLE listing (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenant (id) ON DELETE CASCADE,
    country      char(2) NOT NULL,
    status       text NOT NULL CHECK (status IN ('draft', 'published', 'archived')),
    title        text NOT NULL,
    description  text NOT NULL DEFAULT '',
    price_minor  bigint NOT NULL CHECK (price_minor >= 0),
    currency     char(3) NOT NULL,
    category     text NOT NULL,
    attributes   jsonb NOT NULL DEFAULT '{}',
    location     jsonb,
    version      bigint NOT NULL DEFAULT 1,
    created_by   uuid NOT NULL REFERENCES app_user (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz,
    search       tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig, title), 'A') ||
        setweight(to_tsvector('simple'::regconfig, description), 'B') ||
        setweight(to_tsvector('simple'::regconfig, category), 'C')
    ) STORED
);
CREATE INDEX listing_tenant ON listing (tenant_id, updated_at DESC, id DESC);
CREATE INDEX listing_market ON listing (country, published_at DESC, id DESC) WHERE status = 'published';
CREATE INDEX listing_search ON listing USING gin (search) WHERE status = 'published';
CREATE INDEX listing_title_trgm ON listing USING gin (lower(title) gin_trgm_ops) WHERE status = 'published';

CREATE TABLE photo (
    id         uuid PRIMARY KEY,
    listing_id uuid NOT NULL REFERENCES listing (id) ON DELETE CASCADE,
    tenant_id  uuid NOT NULL REFERENCES tenant (id) ON DELETE CASCADE,
    position   int NOT NULL,
    width      int NOT NULL,
    height     int NOT NULL,
    variants   jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX photo_listing ON photo (listing_id, position);

-- Stored responses of mutating requests sent with an Idempotency-Key.
CREATE TABLE idempotency_key (
    scope        text NOT NULL,
    key          text NOT NULL,
    request_hash bytea NOT NULL,
    state        text NOT NULL CHECK (state IN ('in_progress', 'done')),
    status       int,
    headers      jsonb,
    body         bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_key_age ON idempotency_key (created_at);

-- +goose Down
DROP TABLE idempotency_key, photo, listing, invitation, membership, tenant, app_user;
