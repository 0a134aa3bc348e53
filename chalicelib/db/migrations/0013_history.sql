-- Nothing lost silently, and an application that cannot change the schema.
--
-- History: the previous value of a project's configuration, of an info key (changed or deleted), and of
-- a preplot point removed or moved by a new preplot file, written by triggers in the same transaction as
-- the change, with who (`dougal.actor`, set by the writer for its transaction; else the database user)
-- and when. Only changes are kept: a write of the same value adds nothing.

CREATE FUNCTION dougal_actor() RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(current_setting('dougal.actor', true), ''), session_user::text)
$$;

CREATE TABLE configuration_history (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pid           text NOT NULL REFERENCES project (pid) ON DELETE CASCADE,
    configuration jsonb NOT NULL,
    changed_by    text NOT NULL,
    changed_on    timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX configuration_history_pid ON configuration_history (pid, changed_on);

CREATE FUNCTION keep_configuration() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO configuration_history (pid, configuration, changed_by)
    VALUES (OLD.pid, OLD.configuration, dougal_actor());
    RETURN NULL;
END $$;

CREATE TRIGGER project_configuration_history
AFTER UPDATE OF configuration ON project
FOR EACH ROW WHEN (OLD.configuration IS DISTINCT FROM NEW.configuration)
EXECUTE FUNCTION keep_configuration();

CREATE TABLE info_history (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pid        text NOT NULL REFERENCES project (pid) ON DELETE CASCADE,
    key        text NOT NULL,
    value      jsonb,
    deleted    boolean NOT NULL,
    changed_by text NOT NULL,
    changed_on timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX info_history_pid_key ON info_history (pid, key, changed_on);

CREATE FUNCTION keep_info() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- A project's removal cascades to its info: nothing to keep once the project is gone.
    IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM project WHERE pid = OLD.pid) THEN
        RETURN NULL;
    END IF;
    INSERT INTO info_history (pid, key, value, deleted, changed_by)
    VALUES (OLD.pid, OLD.key, OLD.value, TG_OP = 'DELETE', dougal_actor());
    RETURN NULL;
END $$;

CREATE TRIGGER project_info_changed
AFTER UPDATE ON project_info
FOR EACH ROW WHEN (OLD.value IS DISTINCT FROM NEW.value)
EXECUTE FUNCTION keep_info();

CREATE TRIGGER project_info_deleted
AFTER DELETE ON project_info
FOR EACH ROW EXECUTE FUNCTION keep_info();

CREATE TABLE preplot_point_history (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pid        text NOT NULL,
    line       integer NOT NULL,
    point      integer NOT NULL,
    easting    double precision NOT NULL,
    northing   double precision NOT NULL,
    lon        double precision NOT NULL,
    lat        double precision NOT NULL,
    ntba       boolean NOT NULL,
    remarks    text NOT NULL,
    meta       jsonb NOT NULL,
    removed    boolean NOT NULL,   -- true: the point was removed; false: it was moved
    changed_by text NOT NULL,
    changed_on timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX preplot_point_history_point ON preplot_point_history (pid, line, point, changed_on);

-- Statement triggers with transition tables: one insert per statement, however many points a
-- preplot file removes or moves (PostgreSQL allows no column list here: an update of flags or
-- remarks compares the positions and keeps nothing).
CREATE FUNCTION keep_removed_points() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO preplot_point_history
        (pid, line, point, easting, northing, lon, lat, ntba, remarks, meta, removed, changed_by)
    SELECT o.pid, o.line, o.point, o.easting, o.northing, o.lon, o.lat, o.ntba, o.remarks, o.meta, true,
           dougal_actor()
    FROM old_points o
    WHERE EXISTS (SELECT 1 FROM project p WHERE p.pid = o.pid);
    RETURN NULL;
END $$;

CREATE FUNCTION keep_moved_points() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO preplot_point_history
        (pid, line, point, easting, northing, lon, lat, ntba, remarks, meta, removed, changed_by)
    SELECT o.pid, o.line, o.point, o.easting, o.northing, o.lon, o.lat, o.ntba, o.remarks, o.meta, false,
           dougal_actor()
    FROM old_points o
    JOIN new_points n ON n.pid = o.pid AND n.line = o.line AND n.point = o.point
    WHERE (o.easting, o.northing, o.lon, o.lat) IS DISTINCT FROM (n.easting, n.northing, n.lon, n.lat);
    RETURN NULL;
END $$;

CREATE TRIGGER preplot_point_removed
AFTER DELETE ON preplot_point
REFERENCING OLD TABLE AS old_points
FOR EACH STATEMENT EXECUTE FUNCTION keep_removed_points();

CREATE TRIGGER preplot_point_moved
AFTER UPDATE ON preplot_point
REFERENCING OLD TABLE AS old_points NEW TABLE AS new_points
FOR EACH STATEMENT EXECUTE FUNCTION keep_moved_points();

-- The application's database role: data, not schema. `dougal_app` may read and write every table
-- (and use the sequences) but owns nothing, so it cannot create, alter or drop tables; migrations run
-- as the owner (the `migrate` function, `make run`, the tests' set-up). A login role for the
-- functions is made a member by `migrate` (chalicelib/db/roles.py). Idempotent: roles belong to the
-- whole cluster, which several databases (and re-runs) share.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dougal_app') THEN
        CREATE ROLE dougal_app NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
    END IF;
END $$;

REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO dougal_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO dougal_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO dougal_app;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO dougal_app;
-- Tables and sequences of later migrations (created by the owner running them) get the same grants.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO dougal_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO dougal_app;
