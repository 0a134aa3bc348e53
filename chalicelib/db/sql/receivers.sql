-- name: copy_receivers
COPY receiver (pid, upload_id, n, kind, sequence, line, point, node, objref, tstamp, depth,
               easting, northing, lon, lat) FROM STDIN;

-- name: delete_upload_receivers
DELETE FROM receiver WHERE pid = %(pid)s AND upload_id = %(upload_id)s;

-- name: delete_redefined_receivers
-- Receivers of earlier files without a sequence, of the same kind, on the receiver lines this upload gives.
DELETE FROM receiver r
WHERE r.pid = %(pid)s AND r.kind = %(kind)s AND r.sequence IS NULL AND r.upload_id <> %(upload_id)s
  AND EXISTS (SELECT 1 FROM receiver n
              WHERE n.pid = r.pid AND n.upload_id = %(upload_id)s AND n.line IS NOT DISTINCT FROM r.line);

-- name: list_receivers
SELECT r.line, r.point, r.node, r.objref, r.tstamp, r.depth, r.easting, r.northing, r.lon, r.lat,
       r.kind, r.sequence, u.key AS file
FROM receiver r
JOIN upload u ON u.id = r.upload_id
WHERE r.pid = %(pid)s AND (%(line)s::integer IS NULL OR r.line = %(line)s::integer)
ORDER BY r.line NULLS LAST, r.point NULLS LAST, r.tstamp NULLS FIRST, r.upload_id, r.n
LIMIT %(limit)s OFFSET %(offset)s;

-- name: count_receivers
SELECT count(*) AS n FROM receiver
WHERE pid = %(pid)s AND (%(line)s::integer IS NULL OR line = %(line)s::integer);
