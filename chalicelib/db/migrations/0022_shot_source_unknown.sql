-- A shot whose source the file does not say (P1/90 column 18 blank, or a letter the header's source list
-- does not hold) is still a shot: its objref is NULL and the source id text, when there is one, is kept in
-- meta.source_id by the import.
ALTER TABLE shot ALTER COLUMN objref DROP NOT NULL;
