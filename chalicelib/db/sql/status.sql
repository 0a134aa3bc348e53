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
