-- +goose Up
-- Files attached to messages: uploaded into a conversation first, then
-- claimed by exactly one message of their uploader. The bytes live in the
-- cell's bucket under attachments/<conversation>/<id>.
CREATE TABLE attachment (
    id              uuid PRIMARY KEY,
    conversation_id uuid NOT NULL REFERENCES conversation (id) ON DELETE CASCADE,
    uploader_id     uuid NOT NULL REFERENCES app_user (id),
    content_type    text NOT NULL,
    size            bigint NOT NULL CHECK (size > 0),
    name            text NOT NULL DEFAULT '',
    message_seq     bigint,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX attachment_conversation ON attachment (conversation_id, message_seq);

ALTER TABLE message ADD COLUMN attachments jsonb NOT NULL DEFAULT '[]';

-- +goose Down
ALTER TABLE message DROP COLUMN attachments;
DROP TABLE attachment;
