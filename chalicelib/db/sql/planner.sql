-- name: lock_plan
-- Serialises the writes of one project's plan (sequence numbers are checked, then taken).
SELECT pid, configuration FROM project WHERE pid = %(pid)s FOR NO KEY UPDATE;

-- name: list_planned
-- The whole plan as one JSON array: one parse for all the rows' meta and geometry.
SELECT coalesce(json_agg(p ORDER BY p.sequence), '[]') AS plan
FROM (SELECT sequence, line, fsp, lsp, ts0, ts1, name, remarks, meta, num_points, length, azimuth, geometry
      FROM planned_sequence
      WHERE pid = %(pid)s) p;

-- name: list_planned_text
-- The plan by sequence: what the ETA chain and the name need, and the stored rest of each
-- PlannedSequence as JSON text (sent as it is).
SELECT sequence, line, fsp, lsp, ts0, ts1, name, num_points,
       json_build_object('line', line, 'fsp', fsp, 'lsp', lsp, 'remarks', remarks, 'meta', meta,
                         'num_points', num_points, 'length', length, 'azimuth', azimuth, 'class', 'V',
                         'geometry', geometry)::text AS body
FROM planned_sequence
WHERE pid = %(pid)s
ORDER BY sequence;

-- name: get_planned
SELECT sequence, line, fsp, lsp, ts0, ts1, name, remarks, meta, num_points, length, azimuth, geometry
FROM planned_sequence
WHERE pid = %(pid)s AND sequence = %(sequence)s;

-- name: insert_planned
INSERT INTO planned_sequence
    (pid, sequence, line, fsp, lsp, ts0, ts1, name, remarks, meta, num_points, length, azimuth, geometry)
VALUES (%(pid)s, %(sequence)s, %(line)s, %(fsp)s, %(lsp)s, %(ts0)s, %(ts1)s, %(name)s, %(remarks)s, %(meta)s,
        %(num_points)s, %(length)s, %(azimuth)s, %(geometry)s);

-- name: update_planned
UPDATE planned_sequence
SET sequence = %(sequence)s, fsp = %(fsp)s, lsp = %(lsp)s, ts0 = %(ts0)s, ts1 = %(ts1)s, name = %(name)s,
    remarks = %(remarks)s, meta = %(meta)s, num_points = %(num_points)s, length = %(length)s,
    azimuth = %(azimuth)s, geometry = %(geometry)s, updated_on = now()
WHERE pid = %(pid)s AND sequence = %(old_sequence)s;

-- name: delete_planned
DELETE FROM planned_sequence WHERE pid = %(pid)s AND sequence = %(sequence)s;

-- name: sequence_taken
-- Whether a sequence number is already planned, acquired or online in the navigation feed (being shot, its
-- raw file not imported yet: that import would remove a planned sequence of the same number).
SELECT EXISTS (SELECT 1 FROM planned_sequence WHERE pid = %(pid)s AND sequence = %(sequence)s)
    OR EXISTS (SELECT 1 FROM sequence WHERE pid = %(pid)s AND sequence = %(sequence)s)
    OR EXISTS (SELECT 1 FROM navdata_sequence WHERE pid = %(pid)s AND sequence = %(sequence)s) AS taken;

-- name: highest_sequence
-- The highest sequence number planned, acquired or online in the navigation feed.
SELECT greatest((SELECT max(sequence) FROM planned_sequence WHERE pid = %(pid)s),
                (SELECT max(sequence) FROM sequence WHERE pid = %(pid)s),
                (SELECT max(sequence) FROM navdata_sequence WHERE pid = %(pid)s)) AS highest;

-- name: line_exists
SELECT EXISTS (SELECT 1 FROM preplot_line WHERE pid = %(pid)s AND line = %(line)s) AS found;

-- name: line_points_between
SELECT point, easting, northing, lon, lat
FROM preplot_point
WHERE pid = %(pid)s AND line = %(line)s AND point BETWEEN %(low)s AND %(high)s AND NOT alternative
ORDER BY point;

-- name: plan_context
-- What the ETA chain and the name template need: the end of the last acquired sequence, the
-- measured shot interval (as the project summary's shooting_rate) and the attempts per line.
SELECT (SELECT max(coalesce(ts1, ts1_final)) FROM sequence WHERE pid = %(pid)s) AS last_acquired,
       (SELECT min(coalesce(ts0, ts0_final)) FROM sequence WHERE pid = %(pid)s AND NOT ntbp) AS first_acquired,
       (SELECT sum(extract(epoch FROM ts1_final - ts0_final)) / nullif(sum(num_points_final - 1), 0)
        FROM sequence WHERE pid = %(pid)s AND final_upload_id IS NOT NULL) AS shooting_rate,
       (SELECT coalesce(jsonb_object_agg(line, n), '{}'::jsonb)
        FROM (SELECT line, count(*) AS n FROM sequence WHERE pid = %(pid)s GROUP BY line) a) AS attempts;

-- name: infill_points
-- Every preplot point with what infill needs: grid position, NTBA, and whether any sequence
-- that is not NTBP shot it (raw or final).
SELECT p.line, p.point, p.easting, p.northing, p.lon, p.lat, (p.ntba OR l.ntba) AS ntba,
       EXISTS (SELECT 1 FROM shot s JOIN sequence q ON q.pid = s.pid AND q.sequence = s.sequence
               WHERE s.pid = p.pid AND s.kind IN ('raw', 'final') AND s.line = p.line AND s.point = p.point
                 AND NOT q.ntbp) AS acquired
FROM preplot_point p
JOIN preplot_line l ON l.pid = p.pid AND l.line = p.line
WHERE p.pid = %(pid)s AND NOT p.alternative  -- alternative positions (SPS point index) are not points to shoot
ORDER BY p.line, p.point;

-- name: qc_rejected_points
-- Points of unaccepted position_error findings that no other sequence (not NTBP) shot.
SELECT DISTINCT q.line, e.point
FROM event e
JOIN sequence q ON q.pid = e.pid AND q.sequence = e.sequence
WHERE e.pid = %(pid)s AND upper_inf(e.validity) AND e.meta ? 'qc' AND e.point IS NOT NULL
  AND e.meta -> 'qc' ->> 'test' = 'position_error'
  AND NOT coalesce((e.meta -> 'qc' ->> 'accepted')::boolean, false)
  AND NOT q.ntbp
  AND NOT EXISTS (SELECT 1 FROM shot s JOIN sequence o ON o.pid = s.pid AND o.sequence = s.sequence
                  WHERE s.pid = e.pid AND s.kind IN ('raw', 'final') AND s.line = q.line AND s.point = e.point
                    AND s.sequence <> e.sequence AND NOT o.ntbp)
ORDER BY q.line, e.point;

-- name: last_position
-- Where the vessel last shot, and in which direction: the last shot of the latest sequence.
SELECT s.line, s.point, s.easting, s.northing, q.fsp, q.lsp
FROM (SELECT sequence, coalesce(fsp, fsp_final) AS fsp, coalesce(lsp, lsp_final) AS lsp
      FROM sequence WHERE pid = %(pid)s AND coalesce(ts1, ts1_final) IS NOT NULL
      ORDER BY coalesce(ts1, ts1_final) DESC, sequence DESC LIMIT 1) q
JOIN shot s ON s.pid = %(pid)s AND s.sequence = q.sequence
WHERE s.easting IS NOT NULL
ORDER BY s.tstamp DESC, s.objref DESC
LIMIT 1;

-- name: production_since
-- Acquired sequences that ended after a time: when they ran and how many preplot points they shot.
SELECT sequence, coalesce(ts0, ts0_final) AS ts0, coalesce(ts1, ts1_final) AS ts1,
       coalesce(num_preplots_raw, num_preplots_final, 0) AS points
FROM sequence
WHERE pid = %(pid)s AND NOT ntbp AND coalesce(ts1, ts1_final) > %(since)s
ORDER BY coalesce(ts0, ts0_final), sequence;

-- name: remaining
-- Points still to acquire (virgin and not NTBA, as the project summary counts them) and their lines.
SELECT coalesce(sum(tba), 0) AS points, count(*) FILTER (WHERE tba > 0) AS lines
FROM preplot_line
WHERE pid = %(pid)s;

-- name: downtime_events
-- Current events labelled Downtime that may overlap [since, until].
SELECT tstamp, meta
FROM event
WHERE pid = %(pid)s AND upper_inf(validity) AND 'Downtime' = ANY (labels) AND tstamp IS NOT NULL
  AND tstamp < %(until)s AND tstamp > %(since)s - interval '30 days'
ORDER BY tstamp;
