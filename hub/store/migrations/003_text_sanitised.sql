-- A quarantined record whose text held NUL or lone UTF-16 surrogates (which text and jsonb cannot hold) is kept
-- with U+FFFD in their place; this says so.
ALTER TABLE quarantine ADD COLUMN text_sanitised boolean NOT NULL DEFAULT false;
