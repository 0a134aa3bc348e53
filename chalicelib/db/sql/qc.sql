-- name: lock_sequence
SELECT s.sequence, s.line, s.raw_upload_id, s.final_upload_id, p.archived, p.configuration, p.grid_unit_metres
FROM sequence s JOIN project p ON p.pid = s.pid
WHERE s.pid = %(pid)s AND s.sequence = %(sequence)s
FOR UPDATE OF s;

-- name: sequence_shots
-- line_azimuth is the grid azimuth of the line where the shot's preplot point is: from the preplot point
-- before it to the one after it (by point number), so a shot on a dog-leg line's second segment is judged
-- along that segment; the whole line's azimuth when the point has no neighbour. The neighbours come from
-- one ordered pass over the lines the sequence shot (the primary key's order: no sort, no probe per shot).
WITH s AS (
    SELECT point, objref, tstamp, easting, northing, lon, lat, line
    FROM shot
    WHERE pid = %(pid)s AND sequence = %(sequence)s AND kind = %(kind)s
), near AS (
    SELECT line, point, easting, northing,
           coalesce(lag(easting) OVER w, easting) AS e0, coalesce(lag(northing) OVER w, northing) AS n0,
           coalesce(lead(easting) OVER w, easting) AS e1, coalesce(lead(northing) OVER w, northing) AS n1
    FROM preplot_point
    WHERE pid = %(pid)s AND NOT alternative AND line IN (SELECT DISTINCT line FROM s)
    WINDOW w AS (PARTITION BY line ORDER BY point)
)
SELECT s.point, s.objref, s.tstamp, s.easting, s.northing, s.lon, s.lat, s.line,
       p.easting AS pre_easting, p.northing AS pre_northing,
       coalesce(CASE WHEN p.e1 = p.e0 AND p.n1 = p.n0 THEN NULL
                     ELSE degrees(atan2(p.e1 - p.e0, p.n1 - p.n0)) END, l.azimuth) AS line_azimuth
FROM s
LEFT JOIN near p ON p.line = s.line AND p.point = s.point
LEFT JOIN preplot_line l ON l.pid = %(pid)s AND l.line = s.line
ORDER BY s.tstamp, s.objref;

-- name: preplot_points_between
SELECT point FROM preplot_point
WHERE pid = %(pid)s AND line = %(line)s AND point BETWEEN %(low)s AND %(high)s AND NOT alternative
ORDER BY point;

-- name: current_findings
SELECT * FROM event
WHERE pid = %(pid)s AND sequence = %(sequence)s AND upper_inf(validity) AND meta ? 'qc'
FOR UPDATE;

-- name: earlier_findings
-- The latest closed instance of each (test, point) finding: a finding that comes back keeps its id.
SELECT DISTINCT ON (meta -> 'qc' ->> 'test', point) id, meta -> 'qc' ->> 'test' AS test, point
FROM event
WHERE pid = %(pid)s AND sequence = %(sequence)s AND meta ? 'qc' AND NOT upper_inf(validity)
  AND NOT EXISTS (SELECT 1 FROM event c WHERE c.id = event.id AND upper_inf(c.validity))
ORDER BY meta -> 'qc' ->> 'test', point, lower(validity) DESC;

-- name: acceptances
SELECT test, point FROM qc_acceptance WHERE pid = %(pid)s AND sequence = %(sequence)s;

-- name: record_run
INSERT INTO qc_run (pid, sequence, raw_upload_id, final_upload_id, configuration, ran_on)
VALUES (%(pid)s, %(sequence)s, %(raw)s, %(final)s, %(configuration)s, now())
ON CONFLICT (pid, sequence) DO UPDATE
SET raw_upload_id = excluded.raw_upload_id, final_upload_id = excluded.final_upload_id,
    configuration = excluded.configuration, ran_on = excluded.ran_on;

-- name: forget_runs
DELETE FROM qc_run WHERE pid = %(pid)s AND (%(sequence)s::integer IS NULL OR sequence = %(sequence)s);

-- name: results
-- Current findings of the enabled tests on checked sequences in (sequence, point, id) order, from a row
-- (the one before the page, when there is one) to one past the page: the page and its neighbours, which
-- bound its sequences.
SELECT e.id, e.sequence, e.point, e.tstamp, e.meta
FROM event e
JOIN qc_run r ON r.pid = e.pid AND r.sequence = e.sequence
WHERE e.pid = %(pid)s AND (%(sequence)s::integer IS NULL OR e.sequence = %(sequence)s)
  AND upper_inf(e.validity) AND e.meta ? 'qc'
  AND e.meta->'qc'->>'test' = ANY (%(tests)s::text[])
ORDER BY e.sequence, e.point, e.id
LIMIT %(limit)s OFFSET %(offset)s;

-- name: count_results
SELECT count(*) AS n
FROM event e
JOIN qc_run r ON r.pid = e.pid AND r.sequence = e.sequence
WHERE e.pid = %(pid)s AND (%(sequence)s::integer IS NULL OR e.sequence = %(sequence)s)
  AND upper_inf(e.validity) AND e.meta ? 'qc'
  AND e.meta->'qc'->>'test' = ANY (%(tests)s::text[]);

-- name: checked_sequences
-- Checked sequences after %(after)s and up to %(upto)s (null: no bound).
SELECT sequence FROM qc_run
WHERE pid = %(pid)s AND (%(sequence)s::integer IS NULL OR sequence = %(sequence)s)
  AND (%(after)s::integer IS NULL OR sequence > %(after)s)
  AND (%(upto)s::integer IS NULL OR sequence <= %(upto)s)
ORDER BY sequence;

-- name: open_tests
-- The tests with an unaccepted current finding, per sequence: a test's status covers all its findings,
-- those on other pages too.
SELECT DISTINCT e.sequence, e.meta->'qc'->>'test' AS test
FROM event e
WHERE e.pid = %(pid)s AND e.sequence = ANY (%(sequences)s::integer[])
  AND upper_inf(e.validity) AND e.meta ? 'qc'
  AND NOT coalesce((e.meta->'qc'->>'accepted')::boolean, false);

-- name: findings_by_id
SELECT * FROM event WHERE pid = %(pid)s AND id = ANY (%(ids)s::bigint[]) AND upper_inf(validity)
FOR UPDATE;

-- name: accept
INSERT INTO qc_acceptance (pid, sequence, test, point, accepted_by)
VALUES (%(pid)s, %(sequence)s, %(test)s, %(point)s, %(by)s)
ON CONFLICT (pid, sequence, test, point) DO NOTHING;

-- name: unaccept
DELETE FROM qc_acceptance WHERE pid = %(pid)s AND sequence = %(sequence)s AND test = %(test)s AND point = %(point)s;

-- name: stale_sequences
-- Sequences whose findings are older than their data or their QC configuration, in projects not archived.
SELECT s.pid, s.sequence
FROM sequence s
JOIN project p ON p.pid = s.pid AND NOT p.archived
LEFT JOIN qc_run r ON r.pid = s.pid AND r.sequence = s.sequence
WHERE (s.raw_upload_id IS NOT NULL OR s.final_upload_id IS NOT NULL)
  AND (r.sequence IS NULL
       OR r.raw_upload_id IS DISTINCT FROM s.raw_upload_id
       OR r.final_upload_id IS DISTINCT FROM s.final_upload_id
       OR r.configuration IS DISTINCT FROM coalesce(p.configuration -> 'qc', '{}'::jsonb))
ORDER BY s.pid, s.sequence
LIMIT %(limit)s;

-- name: project_sequences
SELECT sequence FROM sequence WHERE pid = %(pid)s ORDER BY sequence;

-- name: summary
-- The project info key ``qc``: checked sequences, current findings, those not accepted, the latest run.
SELECT count(DISTINCT r.sequence) AS sequences, count(e.uid) AS findings,
       count(e.uid) FILTER (WHERE NOT coalesce((e.meta -> 'qc' ->> 'accepted')::boolean, false)) AS open,
       max(r.ran_on) AS updated_on
FROM qc_run r
LEFT JOIN event e ON e.pid = r.pid AND e.sequence = r.sequence AND upper_inf(e.validity) AND e.meta ? 'qc'
WHERE r.pid = %(pid)s;

-- name: store_summary
INSERT INTO project_info (pid, key, value) VALUES (%(pid)s, 'qc', %(value)s)
ON CONFLICT (pid, key) DO UPDATE SET value = excluded.value, updated_on = now();

-- name: lock_current_findings
-- Every current finding of the project (or of one sequence), locked: they are about to be closed.
SELECT * FROM event
WHERE pid = %(pid)s AND upper_inf(validity) AND meta ? 'qc'
  AND (%(sequence)s::integer IS NULL OR sequence = %(sequence)s)
FOR UPDATE;
