-- The audit trail: every write by a person or a system function, written by the service in the same
-- transaction as the change (so a write that fails leaves no row), with who (account name and role, or the
-- system function), when, from where (the request's source address), what (the route and the ids it named)
-- and the values before and after (JSON). The application may add rows and read them, never change or remove
-- them; a row trigger refuses updates and deletes from anyone.

CREATE TABLE audit (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tstamp  timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor   text NOT NULL,        -- account name, or the system function's name
    role    text,                 -- the account's role; NULL for a system function
    source  text,                 -- the request's source address; NULL when there is none (workers, the CLI)
    route   text NOT NULL,        -- "PUT /project/{project}/configuration", or the system function
    pid     text,                 -- no foreign key: the trail outlives what it speaks of
    ids     jsonb NOT NULL DEFAULT '{}'::jsonb,
    before  jsonb,
    after   jsonb
);
CREATE INDEX audit_tstamp ON audit (tstamp, id);
CREATE INDEX audit_pid ON audit (pid, tstamp);
CREATE INDEX audit_actor ON audit (actor, tstamp);

CREATE FUNCTION audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_append_only
BEFORE UPDATE OR DELETE ON audit
FOR EACH ROW EXECUTE FUNCTION audit_append_only();

-- Default privileges gave dougal_app every DML right on the new table: it keeps INSERT and SELECT only.
REVOKE UPDATE, DELETE, TRUNCATE ON audit FROM dougal_app;
