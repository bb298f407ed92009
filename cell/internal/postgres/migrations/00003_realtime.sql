-- +goose Up
-- Abuse reports on messages: one per (message, reporter); reviewed by the
-- platform's trust and safety staff.
CREATE TABLE message_report (
    id              uuid PRIMARY KEY,
    conversation_id uuid NOT NULL,
    seq             bigint NOT NULL,
    reporter_id     uuid NOT NULL REFERENCES app_user (id),
    reason          text NOT NULL CHECK (reason IN ('spam', 'harassment', 'fraud', 'illegal', 'other')),
    note            text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (conversation_id, seq) REFERENCES message (conversation_id, seq) ON DELETE CASCADE,
    UNIQUE (conversation_id, seq, reporter_id)
);
CREATE INDEX message_report_created ON message_report (created_at);

-- +goose Down
DROP TABLE message_report;
