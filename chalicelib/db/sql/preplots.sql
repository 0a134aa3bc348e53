-- name: list_lines
SELECT line, fsp, lsp, num_points, na, tba, length, azimuth, incr, remarks, ntba, meta
FROM preplot_line
WHERE pid = %(pid)s
ORDER BY line
LIMIT %(limit)s OFFSET %(offset)s;

-- name: count_lines
SELECT count(*) AS n FROM preplot_line WHERE pid = %(pid)s;

-- name: update_line
UPDATE preplot_line
SET remarks = coalesce(%(remarks)s, remarks),
    meta = coalesce(%(meta)s, meta),
    ntba = coalesce(%(ntba)s, ntba),
    incr = coalesce(%(incr)s, incr)
WHERE pid = %(pid)s AND line = %(line)s
RETURNING line;

-- name: set_virgin_points_ntba
UPDATE preplot_point p
SET ntba = true
WHERE p.pid = %(pid)s AND p.line = %(line)s AND NOT p.ntba
  AND NOT EXISTS (
      SELECT 1 FROM shot s JOIN sequence q ON q.pid = s.pid AND q.sequence = s.sequence
      WHERE s.pid = p.pid AND s.kind = 'final' AND s.line = p.line AND s.point = p.point AND NOT q.ntbp);

-- name: clear_points_ntba
UPDATE preplot_point SET ntba = false WHERE pid = %(pid)s AND line = %(line)s AND ntba;

-- name: create_staging
CREATE TEMPORARY TABLE preplot_staging (
    line integer NOT NULL, point integer NOT NULL,
    easting double precision NOT NULL, northing double precision NOT NULL,
    lon double precision NOT NULL, lat double precision NOT NULL,
    point_index smallint NOT NULL DEFAULT 1,
    exact_line double precision, exact_point double precision,
    alternative boolean NOT NULL DEFAULT false
) ON COMMIT DROP;

-- name: staging_duplicates
SELECT line, point, point_index FROM preplot_staging GROUP BY line, point, point_index HAVING count(*) > 1 LIMIT 1;

-- name: mark_alternatives
-- Of the points a file gives one line/point with several indexes, the lowest index is the primary point.
UPDATE preplot_staging s SET alternative = true
FROM (SELECT line, point, min(point_index) AS low
      FROM preplot_staging
      WHERE (line, point) IN (SELECT line, point FROM preplot_staging WHERE point_index <> 1)
      GROUP BY line, point) m
WHERE s.line = m.line AND s.point = m.point AND s.point_index > m.low;

-- name: lock_preplot
SELECT pg_advisory_xact_lock(hashtextextended('preplot:' || %(pid)s, 0));

-- name: line_numbers
SELECT line FROM preplot_line WHERE pid = %(pid)s;

-- name: copy_points
COPY preplot_point (pid, line, point, point_index, easting, northing, lon, lat) FROM STDIN (FORMAT BINARY);

-- name: insert_lines
INSERT INTO preplot_line (pid, line) SELECT %(pid)s, unnest(%(lines)s::integer[]);

-- name: mark_point_alternatives
-- Of the points of these lines with one line/point and several indexes, the lowest index is the primary point.
UPDATE preplot_point p SET alternative = true
FROM (SELECT line, point, min(point_index) AS low
      FROM preplot_point
      WHERE pid = %(pid)s AND (line, point) IN (SELECT line, point FROM preplot_point
                                                WHERE pid = %(pid)s AND line = ANY (%(lines)s::integer[])
                                                  AND point_index <> 1)
      GROUP BY line, point) m
WHERE p.pid = %(pid)s AND p.line = m.line AND p.point = m.point AND p.point_index > m.low;

-- name: set_exact_numbers
UPDATE preplot_point p
SET meta = p.meta || jsonb_strip_nulls(jsonb_build_object('exact_line', e.exact_line, 'exact_point', e.exact_point))
FROM unnest(%(lines)s::integer[], %(points)s::integer[], %(indexes)s::smallint[],
            %(exact_lines)s::float8[], %(exact_points)s::float8[]) AS e (line, point, point_index, exact_line, exact_point)
WHERE p.pid = %(pid)s AND p.line = e.line AND p.point = e.point AND p.point_index = e.point_index;

-- name: remove_points_not_in_staging
DELETE FROM preplot_point p
WHERE p.pid = %(pid)s
  AND p.line IN (SELECT DISTINCT line FROM preplot_staging)
  AND NOT EXISTS (SELECT 1 FROM preplot_staging s
                  WHERE s.line = p.line AND s.point = p.point AND s.point_index = p.point_index);

-- name: upsert_points
-- The exact (fractional) line and point numbers in meta are the file's; the rest of meta is the office's.
-- Staged exact numbers are NaN where the file's number is whole.
INSERT INTO preplot_point (pid, line, point, point_index, alternative, easting, northing, lon, lat, meta)
SELECT %(pid)s, line, point, point_index, alternative, easting, northing, lon, lat,
       CASE WHEN exact_line = 'NaN' AND exact_point = 'NaN' THEN '{}'::jsonb
            ELSE jsonb_strip_nulls(jsonb_build_object('exact_line', nullif(exact_line, 'NaN'),
                                                      'exact_point', nullif(exact_point, 'NaN'))) END
FROM preplot_staging
ON CONFLICT (pid, line, point, point_index) DO UPDATE
SET easting = excluded.easting, northing = excluded.northing, lon = excluded.lon, lat = excluded.lat,
    alternative = excluded.alternative,
    meta = (preplot_point.meta - 'exact_line' - 'exact_point') || excluded.meta
-- A point moves when it moves by more than half a millimetre (half a 1e-9 degree): the last bits of a
-- transformation or of a rounding are not a new position, and would fill the history with non-moves.
WHERE abs(preplot_point.easting - excluded.easting) >= 0.0005
   OR abs(preplot_point.northing - excluded.northing) >= 0.0005
   OR abs(preplot_point.lon - excluded.lon) >= 5e-10
   OR abs(preplot_point.lat - excluded.lat) >= 5e-10
   OR (preplot_point.alternative, preplot_point.meta -> 'exact_line', preplot_point.meta -> 'exact_point')
      IS DISTINCT FROM (excluded.alternative, excluded.meta -> 'exact_line', excluded.meta -> 'exact_point');

-- name: refresh_line_stats
-- length: the sum of the distances between consecutive points (a dog-leg line is the sum of its segments),
-- in metres (the project's grid unit); azimuth: the grid azimuth from the fsp point to the lsp point.
WITH acq AS (
    SELECT s.line, s.point, count(DISTINCT s.sequence) AS n
    FROM shot s
    JOIN sequence q ON q.pid = s.pid AND q.sequence = s.sequence
    WHERE s.pid = %(pid)s AND s.kind = 'final' AND NOT q.ntbp
      AND (%(lines)s::integer[] IS NULL OR s.line = ANY (%(lines)s::integer[]))
    GROUP BY s.line, s.point
), steps AS (
    -- One pass over the primary points (an alternative position is not on the line) in the primary key's
    -- order, no sort: each point's step from the one before it gives the line's length.
    SELECT p.line, p.point, p.ntba,
           sqrt((p.easting - lag(p.easting) OVER w) ^ 2 + (p.northing - lag(p.northing) OVER w) ^ 2) AS step
    FROM preplot_point p
    WHERE p.pid = %(pid)s AND NOT p.alternative
      AND (%(lines)s::integer[] IS NULL OR p.line = ANY (%(lines)s::integer[]))
    WINDOW w AS (PARTITION BY p.line ORDER BY p.point)
), agg AS (
    SELECT p.line, count(*) AS num_points, min(p.point) AS fsp, max(p.point) AS lsp,
           coalesce(sum(p.step), 0) AS length,
           count(*) FILTER (WHERE a.n IS NULL) AS na,
           count(*) FILTER (WHERE a.n IS NULL AND NOT (p.ntba OR l.ntba)) AS tba,
           count(*) FILTER (WHERE a.n = 1) AS prime,
           count(*) FILTER (WHERE a.n > 1) AS other,
           count(*) FILTER (WHERE p.ntba OR l.ntba) AS ntba_points
    FROM steps p
    JOIN preplot_line l ON l.pid = %(pid)s AND l.line = p.line
    LEFT JOIN acq a ON a.line = p.line AND a.point = p.point
    GROUP BY p.line
), ends AS (
    SELECT a.*, f.easting AS e0, f.northing AS n0, t.easting AS e1, t.northing AS n1
    FROM agg a
    JOIN preplot_point f ON f.pid = %(pid)s AND f.line = a.line AND f.point = a.fsp AND NOT f.alternative
    JOIN preplot_point t ON t.pid = %(pid)s AND t.line = a.line AND t.point = a.lsp AND NOT t.alternative
)
UPDATE preplot_line l
SET num_points = e.num_points, fsp = e.fsp, lsp = e.lsp, na = e.na, tba = e.tba,
    prime = e.prime, other = e.other, ntba_points = e.ntba_points,
    length = e.length * (SELECT grid_unit_metres FROM project WHERE pid = %(pid)s),
    azimuth = CASE WHEN e.e1 = e.e0 AND e.n1 = e.n0 THEN NULL
                   ELSE mod((degrees(atan2(e.e1 - e.e0, e.n1 - e.n0)) + 360.0)::numeric, 360)::float8 END
FROM ends e
WHERE l.pid = %(pid)s AND l.line = e.line;

-- name: project_point_statistics
SELECT count(*) AS lines,
       coalesce(sum(num_points), 0) AS total,
       coalesce(sum(na), 0) AS virgin,
       coalesce(sum(prime), 0) AS prime,
       coalesce(sum(other), 0) AS other,
       coalesce(sum(ntba_points), 0) AS ntba,
       coalesce(sum(tba), 0) AS remaining
FROM preplot_line
WHERE pid = %(pid)s;

-- name: copy_staging
COPY preplot_staging (line, point, point_index, easting, northing, lon, lat, exact_line, exact_point)
FROM STDIN (FORMAT BINARY);

-- name: analyze_staging
ANALYZE preplot_staging;

-- name: analyze_points
ANALYZE preplot_point;
