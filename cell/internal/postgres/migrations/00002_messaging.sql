-- +goose Up
-- Conversations inside a tenant, their members, and their messages. Every
-- message gets the next per-conversation seq in the transaction that
-- stores it; its client-generated id makes a retry a no-op.
CREATE TABLE conversation (
    id         uuid PRIMARY KEY,
    tenant_id  uuid NOT NULL REFERENCES tenant (id) ON DELETE CASCADE,
    kind       text NOT NULL CHECK (kind IN ('direct', 'group')),
    title      text NOT NULL DEFAULT '',
    last_seq   bigint NOT NULL DEFAULT 0,
    created_by uuid NOT NULL REFERENCES app_user (id),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX conversation_tenant ON conversation (tenant_id, created_at DESC);

CREATE TABLE conversation_member (
    conversation_id uuid NOT NULL REFERENCES conversation (id) ON DELETE CASCADE,
    user_id         uuid NOT NULL REFERENCES app_user (id),
    last_read_seq   bigint NOT NULL DEFAULT 0,
    joined_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX conversation_member_user ON conversation_member (user_id);

CREATE TABLE message (
    conversation_id uuid NOT NULL REFERENCES conversation (id) ON DELETE CASCADE,
    seq             bigint NOT NULL,
    id              uuid NOT NULL,
    sender_id       uuid NOT NULL REFERENCES app_user (id),
    body            text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (conversation_id, seq),
    UNIQUE (conversation_id, id)
);

-- +goose Down
DROP TABLE message, conversation_member, conversation;
