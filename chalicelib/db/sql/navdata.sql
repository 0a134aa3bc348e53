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

-- name: expiry_bound
-- The time before which items may have expired: now less the shortest retention_days of any project (or the
-- default, the retention of items of no project, when shorter). Nothing later can go.
SELECT now() - make_interval(days => least(min(k.days), %(default_days)s::integer)) AS bound
FROM (SELECT CASE WHEN jsonb_typeof(p.configuration -> 'navdata' -> 'retention_days') = 'number'
                  THEN (p.configuration -> 'navdata' ->> 'retention_days')::numeric::integer END AS days
      FROM project p) k;

-- name: expire_navdata
-- Items older than their project's retention_days (items of no project: the default), and the figures of
-- online sequences whose latest header is that old. Only items before ``bound`` (``expiry_bound``, in the
-- same transaction) can go: given as a value, it lets the time index find them and the planner count them,
-- and the projects' limits are joined, not looked up item by item, so an hourly run reads what may be due
-- rather than the whole feed.
WITH kept AS (
    SELECT p.pid,
           CASE WHEN jsonb_typeof(p.configuration -> 'navdata' -> 'retention_days') = 'number'
                THEN (p.configuration -> 'navdata' ->> 'retention_days')::numeric::integer
                ELSE %(default_days)s::integer END AS days
    FROM project p
), gone_of_projects AS (
    DELETE FROM navdata n
    USING kept k
    WHERE n.tstamp < %(bound)s::timestamptz AND n.pid = k.pid AND n.tstamp < now() - make_interval(days => k.days)
    RETURNING 1
), gone_of_none AS (
    DELETE FROM navdata n
    WHERE n.pid IS NULL AND n.tstamp < now() - make_interval(days => %(default_days)s::integer)
    RETURNING 1
), sequences AS (
    DELETE FROM navdata_sequence o
    USING kept k
    WHERE k.pid = o.pid AND o.ts1 < now() - make_interval(days => k.days)
    RETURNING 1
)
SELECT (SELECT count(*) FROM gone_of_projects) + (SELECT count(*) FROM gone_of_none) AS items,
       (SELECT count(*) FROM sequences) AS sequences;

-- name: online_events_due
-- Online sequences (no file imported yet) whose FSP or LSP system event is behind the feed: the FSP as soon
-- as the sequence is seen (again if an earlier header arrives late); the LSP once the sequence has gone
-- offline, that is once the feed holds a later header that is not of it (an offline header, another
-- sequence's), and again if later headers of it arrive after that. The currently online sequence has no
-- later header, so its probe of the time index finds nothing at once.
SELECT o.pid, o.sequence, o.fsp, o.ts0, o.lsp, o.ts1,
       o.fsp_event_ts0 IS DISTINCT FROM o.ts0 AS fsp_due,
       o.lsp_event_ts1 IS DISTINCT FROM o.ts1
           AND EXISTS (SELECT 1 FROM navdata m
                       WHERE m.tstamp > o.ts1 AND NOT (m.online AND m.pid = o.pid AND m.sequence = o.sequence))
           AS lsp_due,
       f.lon AS fsp_lon, f.lat AS fsp_lat, l.lon AS lsp_lon, l.lat AS lsp_lat
FROM navdata_sequence o
LEFT JOIN LATERAL (
    SELECT n.lon, n.lat FROM navdata n
    WHERE n.online AND n.pid = o.pid AND n.sequence = o.sequence AND n.tstamp = o.ts0
    ORDER BY n.lon, n.lat LIMIT 1
) f ON true
LEFT JOIN LATERAL (
    SELECT n.lon, n.lat FROM navdata n
    WHERE n.online AND n.pid = o.pid AND n.sequence = o.sequence AND n.tstamp = o.ts1
    ORDER BY n.lon DESC, n.lat DESC LIMIT 1
) l ON true
WHERE (o.fsp_event_ts0 IS DISTINCT FROM o.ts0 OR o.lsp_event_ts1 IS DISTINCT FROM o.ts1)
  AND NOT EXISTS (SELECT 1 FROM sequence s WHERE s.pid = o.pid AND s.sequence = o.sequence)
ORDER BY o.pid, o.sequence;

-- name: mark_online_events
UPDATE navdata_sequence
SET fsp_event_ts0 = coalesce(%(fsp_ts0)s::timestamptz, fsp_event_ts0),
    lsp_event_ts1 = coalesce(%(lsp_ts1)s::timestamptz, lsp_event_ts1)
WHERE pid = %(pid)s AND sequence = %(sequence)s;

-- name: drop_shot_headers
-- At the import of a raw file: the sequence's online headers at a point the file shot are not needed from
-- the feed any more (the shot is the record). Headers of points the file does not hold stay until retention.
WITH gone AS (
    DELETE FROM navdata n
    WHERE n.online AND n.pid = %(pid)s AND n.sequence = %(sequence)s
      AND EXISTS (SELECT 1 FROM shot s
                  WHERE s.pid = n.pid AND s.sequence = n.sequence AND s.kind = 'raw' AND s.point = n.point)
    RETURNING 1
)
SELECT count(*) AS n FROM gone;

-- name: feed_ages
-- The newest header of the feed (the vessel's: one feed for every project) and each unarchived project's
-- stale_seconds setting (null: the default).
SELECT p.pid,
       CASE WHEN jsonb_typeof(p.configuration -> 'navdata' -> 'stale_seconds') = 'number'
            THEN (p.configuration -> 'navdata' ->> 'stale_seconds')::float8 END AS stale_seconds,
       f.newest, extract(epoch FROM now() - f.newest)::float8 AS age_seconds
FROM (SELECT max(tstamp) AS newest FROM navdata) f
LEFT JOIN project p ON NOT p.archived
ORDER BY p.pid;
