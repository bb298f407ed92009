-- +goose Up
-- Where every tenant and user lives. No business data.
CREATE TABLE tenant_directory (
    tenant_id  uuid PRIMARY KEY,
    slug       text NOT NULL UNIQUE,
    country    char(2) NOT NULL,
    home_cell  text NOT NULL,
    status     text NOT NULL CHECK (status IN ('pending', 'active', 'moving', 'frozen')),
    rules      text[] NOT NULL,
    owner_uid  text NOT NULL,
    version    bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tenant_directory_cell ON tenant_directory (home_cell) WHERE status <> 'pending';

CREATE TABLE user_directory (
    uid        text PRIMARY KEY,
    home_cell  text NOT NULL,
    version    bigint NOT NULL DEFAULT 1,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- The sign-up journal: each step is recorded before the next is taken, so
-- a crash anywhere is resumed, never half-done.
CREATE TABLE signup (
    key          text PRIMARY KEY,
    request_hash bytea NOT NULL,
    tenant_id    uuid NOT NULL,
    state        text NOT NULL CHECK (state IN ('placed', 'done', 'failed')),
    request      jsonb NOT NULL,
    problem      jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX signup_open ON signup (updated_at) WHERE state = 'placed';

-- The change feed routers follow.
CREATE TABLE directory_change (
    seq       bigserial PRIMARY KEY,
    kind      text NOT NULL CHECK (kind IN ('tenant', 'user')),
    tenant_id uuid,
    slug      text,
    uid       text,
    country   char(2),
    home_cell text NOT NULL,
    status    text NOT NULL,
    version   bigint NOT NULL,
    at        timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE directory_change, signup, user_directory, tenant_directory;
