-- name: candidate_projects
-- Projects a header may belong to, the newest first: their configuration holds the line pattern and the
-- header's field names.
SELECT pid, 'survey_' || serial AS schema, configuration
FROM project
WHERE NOT archived
  AND (%(pids)s::text[] IS NULL OR pid = ANY (%(pids)s::text[]))
ORDER BY serial DESC;

-- name: insert_navdata
-- One statement for a whole batch; a header already stored (same time and position) is skipped. The online
-- headers that were new update their sequences' figures: first point and time, latest point and time, count.
WITH stored AS (
    INSERT INTO navdata (tstamp, received, lon, lat, online, pid, sequence, line, point, attempt, line_name, data)
    SELECT t.tstamp, %(received)s::timestamptz, t.lon, t.lat, t.online, t.pid, t.sequence, t.line, t.point,
           t.attempt, t.line_name, t.data
    FROM unnest(%(tstamp)s::timestamptz[], %(lon)s::float8[], %(lat)s::float8[], %(online)s::boolean[],
                %(pid)s::text[], %(sequence)s::integer[], %(line)s::integer[], %(point)s::integer[],
                %(attempt)s::integer[], %(line_name)s::text[], %(data)s::jsonb[])
         AS t (tstamp, lon, lat, online, pid, sequence, line, point, attempt, line_name, data)
    ON CONFLICT ON CONSTRAINT navdata_fix DO NOTHING
    RETURNING online, pid, sequence, line, point, attempt, line_name, tstamp
), seen AS (
    SELECT pid, sequence,
           (array_agg(line ORDER BY tstamp DESC))[1] AS line,
           (array_agg(attempt ORDER BY tstamp DESC))[1] AS attempt,
           (array_agg(line_name ORDER BY tstamp DESC))[1] AS line_name,
           (array_agg(point ORDER BY tstamp))[1] AS fsp, min(tstamp) AS ts0,
           (array_agg(point ORDER BY tstamp DESC))[1] AS lsp, max(tstamp) AS ts1,
           count(*) AS num_points
    FROM stored
    WHERE online
    GROUP BY pid, sequence
), figures AS (
    INSERT INTO navdata_sequence AS o (pid, sequence, line, attempt, line_name, fsp, ts0, lsp, ts1, num_points)
    SELECT pid, sequence, line, coalesce(attempt, 0), line_name, fsp, ts0, lsp, ts1, num_points FROM seen
    ON CONFLICT (pid, sequence) DO UPDATE
    SET fsp = CASE WHEN excluded.ts0 < o.ts0 THEN excluded.fsp ELSE o.fsp END,
        ts0 = least(o.ts0, excluded.ts0),
        lsp = CASE WHEN excluded.ts1 >= o.ts1 THEN excluded.lsp ELSE o.lsp END,
        line = CASE WHEN excluded.ts1 >= o.ts1 THEN excluded.line ELSE o.line END,
        attempt = CASE WHEN excluded.ts1 >= o.ts1 THEN excluded.attempt ELSE o.attempt END,
        line_name = CASE WHEN excluded.ts1 >= o.ts1 THEN excluded.line_name ELSE o.line_name END,
        ts1 = greatest(o.ts1, excluded.ts1),
        num_points = o.num_points + excluded.num_points
    RETURNING 1
)
SELECT (SELECT count(*) FROM stored) AS n, (SELECT count(*) FROM figures) AS sequences;

-- name: list_navdata
-- Newest first; ties broken by the unique key, so the order is the index's and pages never overlap.
SELECT data, lon, lat
FROM navdata
WHERE (%(t0)s::timestamptz IS NULL OR tstamp BETWEEN %(t0)s::timestamptz AND %(t1)s::timestamptz)
  AND (%(lon)s::float8 IS NULL
       OR ST_DWithin(geom::geography,
                     ST_SetSRID(ST_MakePoint(%(lon)s::float8, %(lat)s::float8), 4326)::geography,
                     %(radius)s::float8))
ORDER BY tstamp DESC, lon DESC, lat DESC
LIMIT %(limit)s OFFSET %(offset)s;

-- name: count_navdata
SELECT count(*) AS n
FROM navdata
WHERE (%(t0)s::timestamptz IS NULL OR tstamp BETWEEN %(t0)s::timestamptz AND %(t1)s::timestamptz)
  AND (%(lon)s::float8 IS NULL
       OR ST_DWithin(geom::geography,
                     ST_SetSRID(ST_MakePoint(%(lon)s::float8, %(lat)s::float8), 4326)::geography,
                     %(radius)s::float8));

-- name: latest_navdata
SELECT data, lon, lat FROM navdata ORDER BY tstamp DESC, lon DESC, lat DESC LIMIT 1;

-- name: navdata_line
-- The track through the latest vertices, in time order; no geometry with fewer than two.
SELECT CASE WHEN count(*) >= 2 THEN ST_AsGeoJSON(ST_MakeLine(v.geom ORDER BY v.tstamp, v.lon, v.lat))::jsonb END
           AS geometry,
       count(*) AS vertices, min(v.tstamp) AS ts0, max(v.tstamp) AS ts1
FROM (SELECT geom, tstamp, lon, lat FROM navdata
      ORDER BY tstamp DESC, lon DESC, lat DESC
      LIMIT %(limit)s OFFSET %(offset)s) v;

-- name: expire_navdata
-- Items older than their project's retention_days (items of no project: the default), and the figures of
-- online sequences whose latest header is that old.
WITH kept AS (
    SELECT p.pid,
           CASE WHEN jsonb_typeof(p.configuration -> 'navdata' -> 'retention_days') = 'number'
                THEN (p.configuration -> 'navdata' ->> 'retention_days')::numeric::integer
                ELSE %(default_days)s::integer END AS days
    FROM project p
), gone AS (
    DELETE FROM navdata n
    WHERE n.tstamp < now() - make_interval(days => coalesce((SELECT k.days FROM kept k WHERE k.pid = n.pid),
                                                             %(default_days)s::integer))
    RETURNING 1
), sequences AS (
    DELETE FROM navdata_sequence o
    USING kept k
    WHERE k.pid = o.pid AND o.ts1 < now() - make_interval(days => k.days)
    RETURNING 1
)
SELECT (SELECT count(*) FROM gone) AS items, (SELECT count(*) FROM sequences) AS sequences;
