-- +goose Up
-- The words of each market's published listings, for correcting the
-- spelling of a search: a search whose words match nothing is retried with
-- the market's words most like them ("indgo" finds "indigo"). A listing
-- adds its words as it is published or changed; words are never removed
-- (a word no listing holds any more corrects to nothing found). This
-- replaces matching every title by similarity, whose cost grew with the
-- market.
CREATE TABLE search_word (
    country char(2) NOT NULL,
    word    text NOT NULL,
    PRIMARY KEY (country, word)
);
CREATE INDEX search_word_trgm ON search_word USING gin (word gin_trgm_ops);

-- +goose StatementBegin
CREATE FUNCTION listing_search_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'published' THEN
        INSERT INTO search_word (country, word)
        SELECT NEW.country, w FROM unnest(tsvector_to_array(NEW.search)) AS w
        WHERE length(w) BETWEEN 3 AND 40
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- Only changes that can add words fire it (not a photo's version bump).
CREATE TRIGGER listing_search_words AFTER INSERT OR UPDATE OF status, title, description, category, country ON listing
    FOR EACH ROW EXECUTE FUNCTION listing_search_words();

INSERT INTO search_word (country, word)
SELECT DISTINCT l.country, w FROM listing l, unnest(tsvector_to_array(l.search)) AS w
WHERE l.status = 'published' AND length(w) BETWEEN 3 AND 40
ON CONFLICT DO NOTHING;

DROP INDEX listing_title_trgm;

-- A category's listings newest first: browsing a category, and the window
-- of a search within one, walk it instead of the whole market.
CREATE INDEX listing_market_category ON listing (country, category, published_at DESC, id DESC) WHERE status = 'published';

-- +goose Down
DROP INDEX listing_market_category;
CREATE INDEX listing_title_trgm ON listing USING gin (lower(title) gin_trgm_ops) WHERE status = 'published';
DROP TRIGGER listing_search_words ON listing;
DROP FUNCTION listing_search_words();
DROP TABLE search_word;
