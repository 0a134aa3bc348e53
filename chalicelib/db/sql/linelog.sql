-- name: sequence_track
-- A sequence's shots of one kind in time order, thinned to about %(points)s positions (first and last
-- always kept): the track drawn in the PDF line log.
WITH s AS (
    SELECT point, easting, northing, lon, lat,
           row_number() OVER (ORDER BY tstamp, objref) AS n, count(*) OVER () AS total
    FROM shot
    WHERE pid = %(pid)s AND sequence = %(sequence)s AND kind = %(kind)s
)
SELECT point, easting, northing, lon, lat FROM s
WHERE (n - 1) %% greatest(1, ceil(total::float / %(points)s)::integer) = 0 OR n = total
ORDER BY n;
