-- name: claim_upload
INSERT INTO upload (pid, bucket, key, etag, size, created_on, status)
VALUES (%(pid)s, %(bucket)s, %(key)s, %(etag)s, %(size)s, %(created_on)s, 'pending')
ON CONFLICT (bucket, key, etag) DO NOTHING;

-- name: lock_upload
SELECT * FROM upload WHERE bucket = %(bucket)s AND key = %(key)s AND etag = %(etag)s FOR UPDATE;

-- name: lock_content
SELECT pg_advisory_xact_lock(hashtextextended(%(pid)s || ':' || %(sha256)s, 0));

-- name: find_imported_content
SELECT id, key, status, format, records, sequence
FROM upload
WHERE pid = %(pid)s AND sha256 = %(sha256)s AND status IN ('imported', 'superseded')
ORDER BY id
LIMIT 1;

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
