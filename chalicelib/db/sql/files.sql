-- name: claim_upload
INSERT INTO upload (pid, bucket, key, etag, size, created_on, status)
VALUES (%(pid)s, %(bucket)s, %(key)s, %(etag)s, %(size)s, %(created_on)s, 'pending')
ON CONFLICT (bucket, key, etag) DO NOTHING;

-- name: lock_upload
SELECT * FROM upload WHERE bucket = %(bucket)s AND key = %(key)s AND etag = %(etag)s FOR UPDATE;

-- name: lock_content
SELECT pg_advisory_xact_lock(hashtextextended(%(pid)s || ':' || %(sha256)s, 0));

-- name: find_current_content
-- The upload holding these bytes when they are what the project holds now: the sequence's current raw
-- (or final) file, or the latest imported preplot file. An older version is not "current" and imports again.
SELECT u.id, u.key, u.status, u.format, u.records, u.sequence
FROM upload u
WHERE u.pid = %(pid)s AND u.sha256 = %(sha256)s AND u.kind = %(kind)s AND u.status = 'imported'
  AND CASE u.kind
        WHEN 'preplot' THEN u.sha256 = (
          SELECT p.sha256 FROM upload p
          WHERE p.pid = u.pid AND p.kind = 'preplot' AND p.status = 'imported' AND p.sha256 IS NOT NULL
          ORDER BY p.imported_on DESC, p.id DESC
          LIMIT 1)
        ELSE EXISTS (
          SELECT 1 FROM sequence s JOIN upload c
            ON c.id = CASE u.kind WHEN 'raw' THEN s.raw_upload_id ELSE s.final_upload_id END
          WHERE s.pid = u.pid AND s.sequence = u.sequence AND c.sha256 = u.sha256)
      END
ORDER BY u.id
LIMIT 1;

-- name: upload_with_content
-- A sequence's file before an import that read its bytes while they arrived: the same bytes undo the import
-- (asked inside that import, which has marked the file superseded already).
SELECT id, key, status, format, records, sequence
FROM upload
WHERE id = %(id)s AND sha256 = %(sha256)s;

-- name: set_actor
-- Who changes data in this transaction, for the history rows the triggers write (migration 0013).
SELECT set_config('dougal.actor', %(actor)s, true);

-- name: finish_upload
UPDATE upload
SET kind = %(kind)s, format = %(format)s, sha256 = %(sha256)s, size = %(size)s, status = %(status)s,
    message = coalesce(%(message)s, message), records = %(records)s, sequence = %(sequence)s,
    imported_on = CASE WHEN %(status)s IN ('imported', 'superseded') THEN clock_timestamp() END
WHERE id = %(id)s;

-- name: note_import
-- What the import found besides its records (receivers, warnings); kept by finish_upload when it has no message.
UPDATE upload SET receivers = %(receivers)s, message = %(message)s WHERE id = %(id)s;

-- name: supersede_upload
UPDATE upload SET status = 'superseded', message = %(message)s WHERE id = %(id)s;

-- name: list_files
SELECT key, kind, format, size, sha256, status, message, records, receivers, sequence, received_on, imported_on
FROM upload
WHERE pid = %(pid)s
ORDER BY received_on DESC, id DESC
LIMIT %(limit)s OFFSET %(offset)s;

-- name: count_files
SELECT count(*) AS n FROM upload WHERE pid = %(pid)s;
