-- The migration runner's own bookkeeping (db/migrate.py); the migrations are db/migrations/NNNN_*.sql.

-- name: lock
SELECT pg_advisory_xact_lock(%(key)s)

-- name: create_journal
CREATE TABLE IF NOT EXISTS schema_migration (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_on timestamptz NOT NULL DEFAULT now()
)

-- name: applied_versions
SELECT version FROM schema_migration

-- name: record
INSERT INTO schema_migration (version, name) VALUES (%(version)s, %(name)s)
