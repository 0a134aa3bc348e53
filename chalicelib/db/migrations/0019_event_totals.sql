-- How many current events each project has, kept by the database itself: the first page of the line log
-- answers its X-Total-Count from here instead of counting some hundred thousand index entries on every
-- poll. Filtered lists still count what they match. Statement triggers with transition tables: one
-- update of this row per statement, whatever the number of rows it wrote (an import, a QC run).

CREATE TABLE event_total (
    pid     text PRIMARY KEY REFERENCES project (pid) ON DELETE CASCADE,
    current bigint NOT NULL DEFAULT 0 CHECK (current >= 0)
);

INSERT INTO event_total (pid, current)
SELECT pid, count(*) FROM event WHERE upper_inf(validity) GROUP BY pid;

CREATE FUNCTION event_total_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO event_total AS t (pid, current)
    SELECT pid, count(*) FROM new_rows WHERE upper_inf(validity) GROUP BY pid
    ON CONFLICT (pid) DO UPDATE SET current = t.current + excluded.current;
    RETURN NULL;
END $$;

CREATE FUNCTION event_total_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE event_total AS t SET current = t.current + d.delta
    FROM (
        SELECT pid, sum(n) AS delta FROM (
            SELECT pid, 1 AS n FROM new_rows WHERE upper_inf(validity)
            UNION ALL
            SELECT pid, -1 FROM old_rows WHERE upper_inf(validity)
        ) c GROUP BY pid
    ) d
    WHERE t.pid = d.pid AND d.delta <> 0;
    RETURN NULL;
END $$;

CREATE FUNCTION event_total_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- A project being deleted takes its row with it (the cascade): then there is nothing to update.
    UPDATE event_total AS t SET current = t.current - d.n
    FROM (SELECT pid, count(*) AS n FROM old_rows WHERE upper_inf(validity) GROUP BY pid) d
    WHERE t.pid = d.pid;
    RETURN NULL;
END $$;

CREATE FUNCTION event_total_clear() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM event_total;
    RETURN NULL;
END $$;

CREATE TRIGGER event_total_insert AFTER INSERT ON event
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION event_total_add();
CREATE TRIGGER event_total_update AFTER UPDATE ON event
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION event_total_change();
CREATE TRIGGER event_total_delete AFTER DELETE ON event
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION event_total_remove();
CREATE TRIGGER event_total_truncate AFTER TRUNCATE ON event
    FOR EACH STATEMENT EXECUTE FUNCTION event_total_clear();
