-- name: sequences
-- The sequences to export (all of the project's when sequences is null), in number order.
SELECT * FROM sequence
WHERE pid = %(pid)s AND (%(sequences)s::integer[] IS NULL OR sequence = ANY (%(sequences)s::integer[]))
ORDER BY sequence;

-- name: anchored_events
-- Current events of these sequences that sit on a shot (time and point), in shot order.
SELECT * FROM event
WHERE pid = %(pid)s AND upper_inf(validity) AND sequence = ANY (%(sequences)s::integer[])
  AND tstamp IS NOT NULL AND point IS NOT NULL
ORDER BY sequence, tstamp, point, id;
