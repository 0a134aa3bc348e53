-- name: line_features
-- Each preplot line as one geometry (its points in point order, simplified for drawing) and its figures.
SELECT l.line, l.fsp, l.lsp, l.ntba, l.num_points, l.na, l.tba, l.prime, l.other, l.ntba_points,
       ST_AsGeoJSON(CASE WHEN count(p.point) > 1
                         THEN ST_SimplifyPreserveTopology(ST_MakeLine(p.geom ORDER BY p.point), %(tolerance)s)
                         ELSE ST_GeometryN(ST_Collect(p.geom), 1) END, 7)::jsonb AS geometry
FROM preplot_line l
JOIN preplot_point p ON p.pid = l.pid AND p.line = l.line AND NOT p.alternative
WHERE l.pid = %(pid)s
GROUP BY l.pid, l.line
ORDER BY l.line;

-- name: sequence_tracks
-- Each acquired sequence's track: final shots once processed, else raw; one position per shotpoint
-- (the mean of its sources), in time order, simplified for drawing.
WITH q AS (
    SELECT sequence, line, attempt, ntbp, final_upload_id, fsp, lsp, ts0, ts1,
           CASE WHEN final_upload_id IS NOT NULL THEN 'final' ELSE 'raw' END AS kind
    FROM sequence
    WHERE pid = %(pid)s
), sp AS (
    SELECT s.sequence, s.point, min(s.tstamp) AS tstamp, avg(s.lon) AS lon, avg(s.lat) AS lat
    FROM shot s JOIN q ON q.sequence = s.sequence AND q.kind = s.kind
    WHERE s.pid = %(pid)s AND s.lon IS NOT NULL AND s.lat IS NOT NULL
    GROUP BY s.sequence, s.point
)
SELECT q.sequence, q.line, q.attempt, q.ntbp, q.final_upload_id, q.fsp, q.lsp, q.kind,
       ST_AsGeoJSON(CASE WHEN count(sp.point) > 1
                         THEN ST_SimplifyPreserveTopology(
                                  ST_MakeLine(ST_SetSRID(ST_MakePoint(sp.lon, sp.lat), 4326)
                                              ORDER BY sp.tstamp, sp.point), %(tolerance)s)
                         ELSE ST_SetSRID(ST_MakePoint(min(sp.lon), min(sp.lat)), 4326) END, 7)::jsonb AS geometry
FROM q JOIN sp ON sp.sequence = q.sequence
GROUP BY q.sequence, q.line, q.attempt, q.ntbp, q.final_upload_id, q.fsp, q.lsp, q.kind
ORDER BY q.sequence;

-- name: event_positions
-- Current events at a shotpoint, placed where the shot was fired (final shots first, as the log anchors them).
SELECT e.id, e.tstamp, e.sequence, e.point, e.remarks, e.labels,
       coalesce((e.meta -> 'qc' ->> 'accepted')::boolean, false) AS accepted,
       sh.lon, sh.lat
FROM event e
JOIN LATERAL (
    SELECT s.lon, s.lat FROM shot s
    WHERE s.pid = e.pid AND s.sequence = e.sequence AND s.point = e.point AND s.lon IS NOT NULL AND s.lat IS NOT NULL
    ORDER BY (s.kind = 'final') DESC, s.tstamp, s.objref
    LIMIT 1
) sh ON true
WHERE e.pid = %(pid)s AND upper_inf(e.validity) AND e.sequence IS NOT NULL AND e.point IS NOT NULL
ORDER BY e.id
LIMIT %(limit)s OFFSET %(offset)s;

-- name: count_event_positions
SELECT count(*) AS n
FROM event e
WHERE e.pid = %(pid)s AND upper_inf(e.validity) AND e.sequence IS NOT NULL AND e.point IS NOT NULL
  AND EXISTS (SELECT 1 FROM shot s
              WHERE s.pid = e.pid AND s.sequence = e.sequence AND s.point = e.point
                AND s.lon IS NOT NULL AND s.lat IS NOT NULL);

-- name: sequence_profile
-- One row per shotpoint of a sequence (final shots once processed, else raw; the mean of its sources):
-- when it was shot, the seconds since the shotpoint before, and its distance from its preplot point
-- (grid units), for the sequence page's chart.
WITH q AS (
    SELECT CASE WHEN final_upload_id IS NOT NULL THEN 'final' ELSE 'raw' END AS kind
    FROM sequence WHERE pid = %(pid)s AND sequence = %(sequence)s
), sp AS (
    SELECT s.line, s.point, min(s.tstamp) AS tstamp, avg(s.easting) AS easting, avg(s.northing) AS northing
    FROM shot s JOIN q ON q.kind = s.kind
    WHERE s.pid = %(pid)s AND s.sequence = %(sequence)s
    GROUP BY s.line, s.point
)
SELECT sp.point, sp.tstamp,
       extract(epoch FROM sp.tstamp - lag(sp.tstamp) OVER (ORDER BY sp.tstamp, sp.point))::double precision
           AS interval,
       CASE WHEN p.point IS NULL OR sp.easting IS NULL THEN NULL
            ELSE sqrt((sp.easting - p.easting) ^ 2 + (sp.northing - p.northing) ^ 2) END AS error
FROM sp
LEFT JOIN preplot_point p ON p.pid = %(pid)s AND p.line = sp.line AND p.point = sp.point AND NOT p.alternative
ORDER BY sp.tstamp, sp.point;
