-- name: record
INSERT INTO audit (actor, role, source, route, pid, ids, before, after)
VALUES (%(actor)s, %(role)s, %(source)s, %(route)s, %(pid)s, %(ids)s, %(before)s, %(after)s);

-- name: list_audit
-- Newest first (by time, then by id); a project-limited caller sees only its projects' rows.
SELECT id, tstamp, actor, role, source, route, pid, ids, before, after FROM audit
WHERE (%(pid)s::text IS NULL OR pid = %(pid)s)
  AND (%(since)s::timestamptz IS NULL OR tstamp >= %(since)s)
  AND (%(actor)s::text IS NULL OR actor = %(actor)s)
  AND (%(projects)s::text[] IS NULL OR pid = ANY (%(projects)s::text[]))
ORDER BY tstamp DESC, id DESC
LIMIT %(limit)s OFFSET %(offset)s;

-- name: count_audit
SELECT count(*) AS n FROM audit
WHERE (%(pid)s::text IS NULL OR pid = %(pid)s)
  AND (%(since)s::timestamptz IS NULL OR tstamp >= %(since)s)
  AND (%(actor)s::text IS NULL OR actor = %(actor)s)
  AND (%(projects)s::text[] IS NULL OR pid = ANY (%(projects)s::text[]));

-- name: line_state
-- What the office may change of a preplot line, and the figures its NTBA flags move.
SELECT remarks, meta, ntba, incr, na, tba FROM preplot_line WHERE pid = %(pid)s AND line = %(line)s;

-- name: sequence_state
SELECT remarks, meta, remarks_final, meta_final, ntbp FROM sequence WHERE pid = %(pid)s AND sequence = %(sequence)s;

-- name: account_state
-- An account's name, role, projects and token version: never its password hash.
SELECT id, name, role, projects, token_version FROM account WHERE name = %(name)s ORDER BY id;
