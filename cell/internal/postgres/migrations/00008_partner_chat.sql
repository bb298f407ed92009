-- +goose Up
-- Partner chat: an accepted partnership whose two sides both share
-- message_content has a conversation on each side (kind 'partner'), with
-- the business's team as members. Each side keeps its own copy, with its
-- own seqs; messages from the partner carry sender_tenant (their sender is
-- the partner cell's user id, not a user here). How far the partner has
-- the messages sent from here — in its cell, read — is kept as seqs of
-- this side's copy.
ALTER TABLE conversation DROP CONSTRAINT conversation_kind_check;
ALTER TABLE conversation ADD CONSTRAINT conversation_kind_check CHECK (kind IN ('direct', 'group', 'partner'));
ALTER TABLE conversation
    ADD COLUMN partnership_id        uuid,
    ADD COLUMN partner_tenant_id     uuid,
    ADD COLUMN partner_jurisdiction  text,
    ADD COLUMN partner_delivered_seq bigint NOT NULL DEFAULT 0,
    ADD COLUMN partner_read_seq      bigint NOT NULL DEFAULT 0,
    ADD COLUMN read_told_seq         bigint NOT NULL DEFAULT 0; -- the partner's newest message whose reading was told to it
CREATE UNIQUE INDEX conversation_partnership ON conversation (tenant_id, partnership_id) WHERE partnership_id IS NOT NULL;

ALTER TABLE message DROP CONSTRAINT message_sender_id_fkey;
ALTER TABLE message ADD COLUMN sender_tenant uuid;

-- Messages sent here that the broker refused to carry to the partner.
CREATE TABLE message_refusal (
    conversation_id uuid NOT NULL,
    seq             bigint NOT NULL,
    refusal         jsonb NOT NULL,
    PRIMARY KEY (conversation_id, seq),
    FOREIGN KEY (conversation_id, seq) REFERENCES message (conversation_id, seq) ON DELETE CASCADE
);

-- Every message a member here sends in a partner conversation goes to the
-- outbox in the transaction that stores it, whichever path stored it (the
-- group commit or one by one): one statement per batch, and nothing at all
-- for batches without partner messages. Its basis is the sender's consent
-- to the partner's jurisdiction, when in force (package crosscell).
-- +goose StatementBegin
CREATE FUNCTION partner_messages_to_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM new_messages n JOIN conversation c ON c.id = n.conversation_id
               WHERE c.kind = 'partner' AND n.sender_tenant IS NULL) THEN
        PERFORM pg_advisory_xact_lock(122550254464888); -- postgres.outboxLock
        INSERT INTO outbox_event (id, kind, tenant_id, partner_tenant_id, actor, tier, carries, body)
        SELECT gen_random_uuid(), 'message.sent', c.tenant_id, c.partner_tenant_id, n.sender_id, coalesce(t.tier, ''),
            jsonb_build_array(CASE WHEN k.id IS NULL THEN jsonb_build_object('category', 'message_content')
                ELSE jsonb_build_object('category', 'message_content', 'bases', jsonb_build_array('consent'), 'consent_id', k.id) END),
            jsonb_build_object('partnership', c.partnership_id,
                'message', jsonb_build_object('id', n.id, 'seq', n.seq, 'body', n.body, 'sent_at', n.created_at))
        FROM new_messages n
        JOIN conversation c ON c.id = n.conversation_id
        JOIN tenant t ON t.id = c.tenant_id
        LEFT JOIN consent k ON k.tenant_id = c.tenant_id AND k.user_id = n.sender_id AND k.category = 'message_content'
            AND k.jurisdiction = c.partner_jurisdiction AND k.withdrawn_at IS NULL
        WHERE c.kind = 'partner' AND n.sender_tenant IS NULL
        ORDER BY n.conversation_id, n.seq;
        PERFORM pg_notify('outbox_events', '');
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER partner_messages_to_outbox AFTER INSERT ON message
    REFERENCING NEW TABLE AS new_messages FOR EACH STATEMENT EXECUTE FUNCTION partner_messages_to_outbox();

-- +goose Down
DROP TRIGGER partner_messages_to_outbox ON message;
DROP FUNCTION partner_messages_to_outbox();
DROP TABLE message_refusal;
ALTER TABLE message DROP COLUMN sender_tenant;
ALTER TABLE message ADD CONSTRAINT message_sender_id_fkey FOREIGN KEY (sender_id) REFERENCES app_user (id);
DROP INDEX conversation_partnership;
ALTER TABLE conversation DROP COLUMN read_told_seq, DROP COLUMN partner_read_seq, DROP COLUMN partner_delivered_seq, DROP COLUMN partner_jurisdiction,
    DROP COLUMN partner_tenant_id, DROP COLUMN partnership_id;
ALTER TABLE conversation DROP CONSTRAINT conversation_kind_check;
ALTER TABLE conversation ADD CONSTRAINT conversation_kind_check CHECK (kind IN ('direct', 'group'));
