-- name: list_sequences
-- The project's sequences, and those seen online in the navigation feed with no file imported yet
-- (``online``: true), their figures from the feed.
SELECT * FROM (
    SELECT s.*, false AS online FROM sequence s WHERE s.pid = %(pid)s
    UNION ALL
    SELECT (jsonb_populate_record(NULL::sequence, jsonb_build_object(
               'pid', o.pid, 'sequence', o.sequence, 'line', o.line, 'attempt', o.attempt,
               'line_name', o.line_name, 'ntbp', false, 'remarks', '', 'remarks_final', '',
               'meta', '{}'::jsonb, 'meta_final', '{}'::jsonb, 'fsp', o.fsp, 'lsp', o.lsp, 'ts0', o.ts0,
               'ts1', o.ts1, 'num_points_raw', o.num_points, 'updated_on', o.ts1))).*,
           true AS online
    FROM navdata_sequence o
    WHERE o.pid = %(pid)s
      AND NOT EXISTS (SELECT 1 FROM sequence s WHERE s.pid = o.pid AND s.sequence = o.sequence)
) listed
ORDER BY sequence LIMIT %(limit)s OFFSET %(offset)s;

-- name: count_sequences
SELECT (SELECT count(*) FROM sequence WHERE pid = %(pid)s)
     + (SELECT count(*) FROM navdata_sequence o
        WHERE o.pid = %(pid)s
          AND NOT EXISTS (SELECT 1 FROM sequence s WHERE s.pid = o.pid AND s.sequence = o.sequence)) AS n;

-- name: get_sequence
SELECT * FROM sequence WHERE pid = %(pid)s AND sequence = %(sequence)s;

-- name: get_online_sequence
-- A sequence seen online in the navigation feed with no file imported yet, as ``list_sequences`` lists it.
SELECT (jsonb_populate_record(NULL::sequence, jsonb_build_object(
           'pid', o.pid, 'sequence', o.sequence, 'line', o.line, 'attempt', o.attempt,
           'line_name', o.line_name, 'ntbp', false, 'remarks', '', 'remarks_final', '',
           'meta', '{}'::jsonb, 'meta_final', '{}'::jsonb, 'fsp', o.fsp, 'lsp', o.lsp, 'ts0', o.ts0,
           'ts1', o.ts1, 'num_points_raw', o.num_points, 'updated_on', o.ts1))).*,
       true AS online
FROM navdata_sequence o
WHERE o.pid = %(pid)s AND o.sequence = %(sequence)s
  AND NOT EXISTS (SELECT 1 FROM sequence s WHERE s.pid = o.pid AND s.sequence = o.sequence);

-- name: lock_sequence
SELECT sequence, raw_upload_id, final_upload_id,
       (SELECT created_on FROM upload WHERE id = raw_upload_id) AS raw_created_on,
       (SELECT created_on FROM upload WHERE id = final_upload_id) AS final_created_on
FROM sequence
WHERE pid = %(pid)s AND sequence = %(sequence)s
FOR UPDATE;

-- name: upsert_sequence
-- The sequence's line before this statement (NULL for a new sequence): figures kept for the other kind of
-- shots count missing points on the sequence's line.
WITH before AS (SELECT line FROM sequence WHERE pid = %(pid)s AND sequence = %(sequence)s)
INSERT INTO sequence (pid, sequence, line, attempt, line_name)
VALUES (%(pid)s, %(sequence)s, %(line)s, %(attempt)s, %(line_name)s)
ON CONFLICT (pid, sequence) DO UPDATE
SET line = excluded.line, attempt = excluded.attempt, line_name = excluded.line_name, updated_on = now()
RETURNING (SELECT line FROM before) AS line_before;

-- name: set_raw_upload
UPDATE sequence SET raw_upload_id = %(upload_id)s, updated_on = now()
WHERE pid = %(pid)s AND sequence = %(sequence)s;

-- name: set_final_upload
UPDATE sequence SET final_upload_id = %(upload_id)s, updated_on = now()
WHERE pid = %(pid)s AND sequence = %(sequence)s;

-- name: delete_shots
DELETE FROM shot WHERE pid = %(pid)s AND sequence = %(sequence)s AND kind = %(kind)s;

-- name: shot_lines
SELECT DISTINCT line FROM shot WHERE pid = %(pid)s AND sequence = %(sequence)s AND kind = 'final';

-- name: sequences_on_lines
-- The sequences whose figures depend on these preplot lines: planned on one, or with a shot on one.
SELECT sequence FROM sequence WHERE pid = %(pid)s AND line = ANY (%(lines)s::integer[])
UNION
SELECT DISTINCT s.sequence FROM shot s
WHERE s.pid = %(pid)s AND s.kind IN ('raw', 'final') AND s.line = ANY (%(lines)s::integer[]);

-- name: update_sequence
UPDATE sequence
SET remarks = coalesce(%(remarks)s, remarks),
    meta = coalesce(%(meta)s, meta),
    remarks_final = CASE WHEN final_upload_id IS NULL THEN remarks_final ELSE coalesce(%(remarks_final)s, remarks_final) END,
    meta_final = CASE WHEN final_upload_id IS NULL THEN meta_final ELSE coalesce(%(meta_final)s, meta_final) END,
    ntbp = coalesce(%(ntbp)s, ntbp),
    updated_on = now()
WHERE pid = %(pid)s AND sequence = %(sequence)s
RETURNING sequence, line;

-- name: refresh_sequence_stats
-- Figures per sequence and kind of shots. Missing shots = preplot points of the sequence's line between
-- fsp and lsp, minus those of them that were shot: two counts, no probe per preplot point. length in metres
-- (grid distance times the project's metres per grid unit), azimuth the grid azimuth, heading the true
-- (geodetic, WGS 84 ellipsoid) azimuth at the first shot towards the last.
WITH s AS (
    SELECT sequence, kind, line, point, objref, tstamp, easting, northing, geom
    FROM shot
    WHERE pid = %(pid)s AND (%(sequences)s::integer[] IS NULL OR sequence = ANY (%(sequences)s::integer[]))
), kinds AS (
    SELECT q.sequence, k.kind
    FROM sequence q CROSS JOIN (VALUES ('raw'), ('final')) k (kind)
    WHERE q.pid = %(pid)s AND (%(sequences)s::integer[] IS NULL OR q.sequence = ANY (%(sequences)s::integer[]))
), firsts AS (
    -- The first and last shot of each sequence and kind: a probe of the (pid, sequence, kind, tstamp) index each.
    SELECT k.sequence, k.kind, f.point AS fsp, f.tstamp AS ts0, f.easting AS e0, f.northing AS n0, f.geom AS g0
    FROM kinds k
    CROSS JOIN LATERAL (
        SELECT point, tstamp, easting, northing, geom FROM shot
        WHERE pid = %(pid)s AND sequence = k.sequence AND kind = k.kind
        ORDER BY tstamp, objref LIMIT 1
    ) f
), lasts AS (
    SELECT k.sequence, k.kind, l.point AS lsp, l.tstamp AS ts1, l.easting AS e1, l.northing AS n1, l.geom AS g1
    FROM kinds k
    CROSS JOIN LATERAL (
        SELECT point, tstamp, easting, northing, geom FROM shot
        WHERE pid = %(pid)s AND sequence = k.sequence AND kind = k.kind
        ORDER BY tstamp DESC, objref DESC LIMIT 1
    ) l
), bounds AS (
    SELECT f.sequence, f.kind, q.line, least(f.fsp, l.lsp) AS low, greatest(f.fsp, l.lsp) AS high
    FROM firsts f
    JOIN lasts l ON l.sequence = f.sequence AND l.kind = f.kind
    JOIN sequence q ON q.pid = %(pid)s AND q.sequence = f.sequence
), counts AS (
    SELECT s.sequence, s.kind, count(DISTINCT s.point) AS num_points,
           count(DISTINCT s.point) FILTER (WHERE p.point IS NOT NULL) AS num_preplots,
           count(DISTINCT s.point) FILTER (
               WHERE p.point IS NOT NULL AND s.line = b.line AND s.point BETWEEN b.low AND b.high) AS shot_in_range
    FROM s
    JOIN bounds b ON b.sequence = s.sequence AND b.kind = s.kind
    LEFT JOIN preplot_point p ON p.pid = %(pid)s AND p.line = s.line AND p.point = s.point AND NOT p.alternative
    GROUP BY s.sequence, s.kind
), in_range AS (
    SELECT b.sequence, b.kind,
           (SELECT count(*) FROM preplot_point p
            WHERE p.pid = %(pid)s AND p.line = b.line AND p.point BETWEEN b.low AND b.high
              AND NOT p.alternative) AS preplot_points
    FROM bounds b
), stats AS (
    SELECT f.sequence, f.kind, f.fsp, l.lsp, f.ts0, l.ts1, c.num_points, c.num_preplots,
           r.preplot_points - c.shot_in_range AS missing,
           sqrt((l.e1 - f.e0) ^ 2 + (l.n1 - f.n0) ^ 2)
               * (SELECT grid_unit_metres FROM project WHERE pid = %(pid)s) AS length,
           CASE WHEN l.e1 = f.e0 AND l.n1 = f.n0 THEN NULL
                ELSE mod((degrees(atan2(l.e1 - f.e0, l.n1 - f.n0)) + 360.0)::numeric, 360)::float8 END AS azimuth,
           mod((degrees(ST_Azimuth(f.g0::geography, l.g1::geography)) + 360.0)::numeric, 360)::float8 AS heading
    FROM firsts f
    JOIN lasts l ON l.sequence = f.sequence AND l.kind = f.kind
    JOIN counts c ON c.sequence = f.sequence AND c.kind = f.kind
    JOIN in_range r ON r.sequence = f.sequence AND r.kind = f.kind
)
UPDATE sequence q
SET fsp = r.fsp, lsp = r.lsp, ts0 = r.ts0, ts1 = r.ts1,
    num_points_raw = r.num_points, num_preplots_raw = r.num_preplots, missing_raw = r.missing,
    length_raw = r.length, azimuth_raw = r.azimuth, heading_raw = r.heading,
    fsp_final = f.fsp, lsp_final = f.lsp, ts0_final = f.ts0, ts1_final = f.ts1,
    num_points_final = f.num_points, num_preplots_final = f.num_preplots, missing_final = f.missing,
    length_final = f.length, azimuth_final = f.azimuth, heading_final = f.heading
FROM sequence q2
LEFT JOIN stats r ON r.sequence = q2.sequence AND r.kind = 'raw'
LEFT JOIN stats f ON f.sequence = q2.sequence AND f.kind = 'final'
WHERE q.pid = q2.pid AND q.sequence = q2.sequence AND q2.pid = %(pid)s
  AND (%(sequences)s::integer[] IS NULL OR q2.sequence = ANY (%(sequences)s::integer[]));

-- name: get_shot
SELECT s.sequence, s.line, s.point, s.objref, s.tstamp, u.sha256 AS hash, s.lon, s.lat, s.meta
FROM shot s
JOIN upload u ON u.id = s.upload_id
WHERE s.pid = %(pid)s AND s.sequence = %(sequence)s AND s.kind = %(kind)s AND s.point = %(point)s
ORDER BY s.tstamp, s.objref
LIMIT 1;

-- name: first_final_shot
SELECT s.sequence, s.line, s.point, s.objref, s.tstamp, u.sha256 AS hash, s.lon, s.lat, s.meta
FROM (SELECT sequence FROM sequence WHERE pid = %(pid)s AND ts0_final IS NOT NULL
      ORDER BY ts0_final, sequence LIMIT 1) q
JOIN shot s ON s.pid = %(pid)s AND s.sequence = q.sequence AND s.kind = 'final'
JOIN upload u ON u.id = s.upload_id
ORDER BY s.tstamp, s.objref
LIMIT 1;

-- name: last_final_shot
SELECT s.sequence, s.line, s.point, s.objref, s.tstamp, u.sha256 AS hash, s.lon, s.lat, s.meta
FROM (SELECT sequence FROM sequence WHERE pid = %(pid)s AND ts1_final IS NOT NULL
      ORDER BY ts1_final DESC, sequence DESC LIMIT 1) q
JOIN shot s ON s.pid = %(pid)s AND s.sequence = q.sequence AND s.kind = 'final'
JOIN upload u ON u.id = s.upload_id
ORDER BY s.tstamp DESC, s.objref DESC
LIMIT 1;

-- name: project_sequence_statistics
SELECT count(*) FILTER (WHERE raw_upload_id IS NOT NULL) AS seq_raw,
       count(*) FILTER (WHERE final_upload_id IS NOT NULL) AS seq_final,
       sum(extract(epoch FROM ts1_final - ts0_final)) FILTER (WHERE final_upload_id IS NOT NULL) AS prod_seconds,
       coalesce(sum(length_final) FILTER (WHERE final_upload_id IS NOT NULL), 0) AS prod_distance,
       sum(num_points_final - 1) FILTER (WHERE final_upload_id IS NOT NULL) AS intervals
FROM sequence
WHERE pid = %(pid)s;

-- name: copy_shots
COPY shot (pid, sequence, kind, line, point, objref, tstamp, easting, northing, lon, lat, upload_id, meta)
FROM STDIN (FORMAT BINARY);

-- name: preplot_points_near
-- The preplot points (not alternatives) of these lines between two point numbers, as two arrays: what an
-- import needs to count a sequence's preplot and missing points from the shots it has in hand.
SELECT coalesce(array_agg(line), '{}') AS lines, coalesce(array_agg(point), '{}') AS points
FROM preplot_point
WHERE pid = %(pid)s AND line = ANY (%(lines)s::integer[]) AND point BETWEEN %(low)s AND %(high)s AND NOT alternative;

-- name: set_raw_figures
-- One kind's figures as refresh_sequence_stats computes them, from the shots an import has in hand: the
-- counts given, length, azimuth and heading computed here from the first and last shot as there.
UPDATE sequence
SET fsp = %(fsp)s, lsp = %(lsp)s, ts0 = %(ts0)s, ts1 = %(ts1)s,
    num_points_raw = %(num_points)s, num_preplots_raw = %(num_preplots)s, missing_raw = %(missing)s,
    length_raw = sqrt((%(e1)s - %(e0)s) ^ 2 + (%(n1)s - %(n0)s) ^ 2)
        * (SELECT grid_unit_metres FROM project WHERE pid = %(pid)s),
    azimuth_raw = CASE WHEN %(e1)s = %(e0)s AND %(n1)s = %(n0)s THEN NULL
        ELSE mod((degrees(atan2(%(e1)s - %(e0)s, %(n1)s - %(n0)s)) + 360.0)::numeric, 360)::float8 END,
    heading_raw = mod((degrees(ST_Azimuth(
        ST_SetSRID(ST_MakePoint(%(lon0)s, %(lat0)s), 4326)::geography,
        ST_SetSRID(ST_MakePoint(%(lon1)s, %(lat1)s), 4326)::geography)) + 360.0)::numeric, 360)::float8
WHERE pid = %(pid)s AND sequence = %(sequence)s;

-- name: set_final_figures
UPDATE sequence
SET fsp_final = %(fsp)s, lsp_final = %(lsp)s, ts0_final = %(ts0)s, ts1_final = %(ts1)s,
    num_points_final = %(num_points)s, num_preplots_final = %(num_preplots)s, missing_final = %(missing)s,
    length_final = sqrt((%(e1)s - %(e0)s) ^ 2 + (%(n1)s - %(n0)s) ^ 2)
        * (SELECT grid_unit_metres FROM project WHERE pid = %(pid)s),
    azimuth_final = CASE WHEN %(e1)s = %(e0)s AND %(n1)s = %(n0)s THEN NULL
        ELSE mod((degrees(atan2(%(e1)s - %(e0)s, %(n1)s - %(n0)s)) + 360.0)::numeric, 360)::float8 END,
    heading_final = mod((degrees(ST_Azimuth(
        ST_SetSRID(ST_MakePoint(%(lon0)s, %(lat0)s), 4326)::geography,
        ST_SetSRID(ST_MakePoint(%(lon1)s, %(lat1)s), 4326)::geography)) + 360.0)::numeric, 360)::float8
WHERE pid = %(pid)s AND sequence = %(sequence)s;

-- name: sequence_track
-- A sequence's shot line: its final shots once processed, else its raw ones; one position per shot point
-- (the mean of its sources, so flip-flop shooting draws no zig-zag), in the order they were shot. A single
-- shot point is a Point; a sequence without positioned shots has no geometry (NULL).
WITH sp AS (
    SELECT s.point, min(s.tstamp) AS tstamp, avg(s.lon) AS lon, avg(s.lat) AS lat
    FROM shot s
    WHERE s.pid = %(pid)s AND s.sequence = %(sequence)s AND s.lon IS NOT NULL AND s.lat IS NOT NULL
      AND s.kind = (SELECT CASE WHEN q.final_upload_id IS NOT NULL THEN 'final' ELSE 'raw' END
                    FROM sequence q WHERE q.pid = %(pid)s AND q.sequence = %(sequence)s)
    GROUP BY s.point
)
SELECT ST_AsGeoJSON(CASE WHEN count(*) > 1
                         THEN ST_MakeLine(ST_SetSRID(ST_MakePoint(lon, lat), 4326) ORDER BY tstamp, point)
                         WHEN count(*) = 1 THEN ST_SetSRID(ST_MakePoint(min(lon), min(lat)), 4326) END,
                    9)::jsonb AS geometry
FROM sp;
