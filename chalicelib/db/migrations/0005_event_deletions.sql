-- An instance closed by a deletion (rather than by an edit) is marked, so that "changes since"
-- finds deletions through a small partial index instead of comparing every closed instance
-- with its successor.
ALTER TABLE event ADD COLUMN deleted boolean NOT NULL DEFAULT false;
UPDATE event e SET deleted = true
WHERE NOT upper_inf(e.validity)
  AND NOT EXISTS (SELECT 1 FROM event n WHERE n.id = e.id AND lower(n.validity) = upper(e.validity));
DROP INDEX IF EXISTS event_closed;
CREATE INDEX event_deleted ON event (pid, upper(validity)) WHERE deleted;
