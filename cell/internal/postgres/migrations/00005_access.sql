-- +goose Up
-- Who may reach what. access_version changes with every change of a
-- person's roles or memberships: open realtime sessions compare it to
-- notice a change even when Redis lost the news. membership_change is the
-- membership feed (an outbox, written in the transaction of each change)
-- that the control plane follows to know every cell a person belongs to.
ALTER TABLE app_user ADD COLUMN access_version bigint NOT NULL DEFAULT 1;

CREATE TABLE membership_change (
    seq          bigserial PRIMARY KEY,
    firebase_uid text NOT NULL,
    tenant_id    uuid NOT NULL,
    joined       boolean NOT NULL,
    memberships  int NOT NULL,
    at           timestamptz NOT NULL DEFAULT now()
);

-- The feed starts with every membership held today.
INSERT INTO membership_change (firebase_uid, tenant_id, joined, memberships)
SELECT u.firebase_uid, m.tenant_id, true, (SELECT count(*) FROM membership o WHERE o.user_id = u.id)
FROM membership m JOIN app_user u ON u.id = m.user_id ORDER BY m.created_at, m.user_id;

-- A cell keeps personal data only of members of its businesses.
UPDATE app_user u SET email = NULL, display_name = NULL
WHERE NOT EXISTS (SELECT 1 FROM membership m WHERE m.user_id = u.id);

-- A slug is never a UUID in any spelling, so it can never stand for
-- another business's id. NOT VALID: rows from before the rule are left
-- for an operator to rename.
ALTER TABLE tenant ADD CONSTRAINT tenant_slug_not_uuid
    CHECK (slug !~ '^[0-9a-f]{32}$' AND slug !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$') NOT VALID;

-- +goose Down
ALTER TABLE tenant DROP CONSTRAINT tenant_slug_not_uuid;
DROP TABLE membership_change;
ALTER TABLE app_user DROP COLUMN access_version;
