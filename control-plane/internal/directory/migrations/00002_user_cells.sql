-- +goose Up
-- A person may belong to businesses in several cells (their own in Lagos,
-- a partner's team in Nairobi): the directory keeps every one of them, in
-- the order they were joined; home_cell is the first ('' when none is
-- left). The control plane learns them from each cell's membership feed,
-- and membership_feed is where it stands in each.
ALTER TABLE user_directory ADD COLUMN cells text[];
UPDATE user_directory SET cells = ARRAY[home_cell];
ALTER TABLE user_directory ALTER COLUMN cells SET NOT NULL;
ALTER TABLE directory_change ADD COLUMN cells text[];

CREATE TABLE membership_feed (
    cell  text PRIMARY KEY,
    after bigint NOT NULL
);

-- A slug is never a UUID in any spelling, so it can never stand for
-- another business's id. NOT VALID: entries from before the rule are
-- left for an operator to rename.
ALTER TABLE tenant_directory ADD CONSTRAINT tenant_directory_slug_not_uuid
    CHECK (slug !~ '^[0-9a-f]{32}$' AND slug !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$') NOT VALID;

-- +goose Down
ALTER TABLE tenant_directory DROP CONSTRAINT tenant_directory_slug_not_uuid;
DROP TABLE membership_feed;
ALTER TABLE directory_change DROP COLUMN cells;
ALTER TABLE user_directory DROP COLUMN cells;
