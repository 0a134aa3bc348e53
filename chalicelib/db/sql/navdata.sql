-- name: candidate_projects
-- Projects a header may belong to, the newest first: their configuration holds the line pattern and the
-- header's field names.
SELECT pid, 'survey_' || serial AS schema, configuration
FROM project
WHERE NOT archived
  AND (%(pids)s::text[] IS NULL OR pid = ANY (%(pids)s::text[]))
ORDER BY serial DESC;

-- name: insert_navdata
-- One statement for a whole batch; a header already stored (same time and position) is skipped.
WITH stored AS (
    INSERT INTO navdata (tstamp, received, lon, lat, online, pid, sequence, line, point, data)
    SELECT t.tstamp, %(received)s::timestamptz, t.lon, t.lat, t.online, t.pid, t.sequence, t.line, t.point, t.data
    FROM unnest(%(tstamp)s::timestamptz[], %(lon)s::float8[], %(lat)s::float8[], %(online)s::boolean[],
                %(pid)s::text[], %(sequence)s::integer[], %(line)s::integer[], %(point)s::integer[],
                %(data)s::jsonb[])
         AS t (tstamp, lon, lat, online, pid, sequence, line, point, data)
    ON CONFLICT ON CONSTRAINT navdata_fix DO NOTHING
    RETURNING 1
)
SELECT count(*) AS n FROM stored;

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
