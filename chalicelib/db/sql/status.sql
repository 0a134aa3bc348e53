-- name: database_status
SELECT (SELECT max(version) FROM schema_migration) AS migration,
       (SELECT name FROM schema_migration ORDER BY version DESC LIMIT 1) AS migration_name,
       current_setting('server_version') AS postgresql,
       postgis_lib_version() AS postgis;

-- name: last_imports
-- The newest imported file of each project (archived projects left out), with its age in seconds.
SELECT p.pid, u.key, u.imported_on,
       extract(epoch FROM now() - u.imported_on)::double precision AS age_seconds
FROM project p
LEFT JOIN LATERAL (
    SELECT key, imported_on FROM upload
    WHERE upload.pid = p.pid AND status = 'imported' AND imported_on IS NOT NULL
    ORDER BY imported_on DESC LIMIT 1
) u ON true
WHERE NOT p.archived
ORDER BY p.pid;

-- name: queue_backlog
-- The outgoing queue's items that are due (a retry waiting for its time is not), and how long the oldest has
-- waited since it became due.
SELECT count(*) AS due,
       extract(epoch FROM now() - min(greatest(created_on, not_before)))::double precision AS oldest_age_seconds
FROM queue_item
WHERE queue_id = %(queue_id)s AND status = 'queued' AND not_before <= now()
  AND (%(projects)s::text[] IS NULL OR pid = ANY (%(projects)s::text[]));

-- name: failed_transfers
-- Attempts that failed in the last 24 hours, and those of them no retry followed.
SELECT count(*) AS failed_24h,
       count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM queue_item c WHERE c.parent_id = i.item_id)) AS unrecovered_24h
FROM queue_item i
WHERE i.queue_id = %(queue_id)s AND i.status = 'failed' AND i.updated_on > now() - interval '24 hours'
  AND (%(projects)s::text[] IS NULL OR i.pid = ANY (%(projects)s::text[]));
