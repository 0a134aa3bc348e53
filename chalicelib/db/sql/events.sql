-- name: tick
INSERT INTO event_clock (pid, at) VALUES (%(pid)s, clock_timestamp())
ON CONFLICT (pid) DO UPDATE SET at = greatest(clock_timestamp(), event_clock.at + interval '1 microsecond')
RETURNING at;

-- name: insert_event
WITH n AS (SELECT nextval(pg_get_serial_sequence('event', 'uid')) AS v)
INSERT INTO event (uid, id, pid, tstamp, sequence, point, remarks, labels, meta, validity, edited, author)
SELECT n.v, coalesce(%(id)s, n.v), %(pid)s, %(tstamp)s, %(sequence)s, %(point)s, %(remarks)s, %(labels)s,
       %(meta)s, tstzrange(%(at)s, NULL, '[)'), %(edited)s, %(author)s
FROM n
RETURNING uid, id;

-- name: insert_events
-- New events in one statement (a CSV import); uids, and so ids, are drawn in row order.
WITH r AS (
    SELECT *
    FROM unnest(%(tstamps)s::timestamptz[], %(sequences)s::integer[], %(points)s::integer[],
                %(remarks)s::text[], %(labels)s::jsonb[], %(metas)s::jsonb[])
         WITH ORDINALITY AS u(tstamp, sequence, point, remarks, labels, meta, ord)
    ORDER BY ord
), n AS (
    SELECT nextval(pg_get_serial_sequence('event', 'uid')) AS v, r.* FROM r
)
INSERT INTO event (uid, id, pid, tstamp, sequence, point, remarks, labels, meta, validity, edited, author)
SELECT n.v, n.v, %(pid)s, n.tstamp, n.sequence, n.point, n.remarks,
       ARRAY(SELECT jsonb_array_elements_text(n.labels)), n.meta, tstzrange(%(at)s, NULL, '[)'), false, %(author)s
FROM n
ORDER BY n.ord
RETURNING uid, id;

-- name: current_instance
SELECT * FROM event WHERE pid = %(pid)s AND id = %(id)s AND upper_inf(validity) FOR UPDATE;

-- name: latest_instance
SELECT * FROM event WHERE pid = %(pid)s AND id = %(id)s ORDER BY lower(validity) DESC LIMIT 1 FOR UPDATE;

-- name: close_instance
UPDATE event SET validity = tstzrange(lower(validity), %(at)s, '[)'), deleted = %(deleted)s WHERE uid = %(uid)s;

-- name: event_history
SELECT * FROM event WHERE pid = %(pid)s AND id = %(id)s ORDER BY lower(validity), uid;

-- name: list_events
SELECT e.*
FROM event e
WHERE e.pid = %(pid)s AND upper_inf(e.validity)
  AND (%(sequences)s::integer[] IS NULL OR e.sequence = ANY (%(sequences)s::integer[]))
  AND (%(date0)s::date IS NULL OR e.tstamp >= %(date0)s::date::timestamp AT TIME ZONE 'UTC')
  AND (%(date1)s::date IS NULL OR e.tstamp < (%(date1)s::date + 1)::timestamp AT TIME ZONE 'UTC')
  AND (%(label)s::text IS NULL OR %(label)s::text = ANY (e.labels))
ORDER BY e.tstamp NULLS LAST, e.sequence NULLS LAST, e.point NULLS LAST, e.id
LIMIT %(limit)s OFFSET %(offset)s;

-- name: count_events
SELECT count(*) AS n
FROM event e
WHERE e.pid = %(pid)s AND upper_inf(e.validity)
  AND (%(sequences)s::integer[] IS NULL OR e.sequence = ANY (%(sequences)s::integer[]))
  AND (%(date0)s::date IS NULL OR e.tstamp >= %(date0)s::date::timestamp AT TIME ZONE 'UTC')
  AND (%(date1)s::date IS NULL OR e.tstamp < (%(date1)s::date + 1)::timestamp AT TIME ZONE 'UTC')
  AND (%(label)s::text IS NULL OR %(label)s::text = ANY (e.labels));

-- name: count_current_events
-- The count of an unfiltered list: kept by the event_total triggers (migration 0019).
SELECT coalesce((SELECT current FROM event_total WHERE pid = %(pid)s), 0) AS n;

-- name: changes_since
-- Instances created after "since", and instances closed after "since" by a deletion.
SELECT 'modified' AS change, e.*, lower(e.validity) AS changed_on
FROM event e
WHERE e.pid = %(pid)s AND lower(e.validity) > %(since)s
UNION ALL
SELECT 'deleted' AS change, e.*, upper(e.validity) AS changed_on
FROM event e
WHERE e.pid = %(pid)s AND e.deleted AND upper(e.validity) > %(since)s
ORDER BY changed_on, uid
LIMIT %(limit)s;

-- name: changes_at
-- Every change of one change time (one transaction): a page never splits them.
SELECT 'modified' AS change, e.*, lower(e.validity) AS changed_on
FROM event e
WHERE e.pid = %(pid)s AND lower(e.validity) = %(at)s
UNION ALL
SELECT 'deleted' AS change, e.*, upper(e.validity) AS changed_on
FROM event e
WHERE e.pid = %(pid)s AND e.deleted AND upper(e.validity) = %(at)s
ORDER BY changed_on, uid;

-- name: current_in_sequence_with_label
SELECT * FROM event
WHERE pid = %(pid)s AND sequence = %(sequence)s AND upper_inf(validity) AND %(label)s = ANY (labels)
  AND id <> %(id)s
FOR UPDATE;

-- name: strip_single_labels
-- Labels one event of a sequence may hold (multiple: false) after a bulk import: every other current event
-- of the sequence holding one (not %(keep)s) gets a new instance without it, all in one statement.
WITH moves AS (
    SELECT DISTINCT m.sequence, m.label
    FROM unnest(%(sequences)s::integer[], %(labels)s::text[]) AS m(sequence, label)
), hit AS (
    SELECT e.uid, array_agg(m.label) AS gone
    FROM event e
    JOIN moves m ON e.sequence = m.sequence AND m.label = ANY (e.labels)
    WHERE e.pid = %(pid)s AND upper_inf(e.validity) AND NOT (e.id = ANY (%(keep)s::bigint[]))
    GROUP BY e.uid
), closed AS (
    UPDATE event e SET validity = tstzrange(lower(e.validity), %(at)s, '[)'), deleted = false
    FROM hit
    WHERE e.uid = hit.uid
    RETURNING e.id, e.pid, e.tstamp, e.sequence, e.point, e.remarks, e.labels, e.meta, hit.gone
)
INSERT INTO event (uid, id, pid, tstamp, sequence, point, remarks, labels, meta, validity, edited, author)
SELECT nextval(pg_get_serial_sequence('event', 'uid')), c.id, c.pid, c.tstamp, c.sequence, c.point, c.remarks,
       ARRAY(SELECT x.l FROM unnest(c.labels) WITH ORDINALITY AS x(l, o) WHERE x.l <> ALL (c.gone) ORDER BY x.o),
       c.meta, tstzrange(%(at)s, NULL, '[)'), true, %(author)s
FROM closed c
RETURNING id;

-- name: system_events_of_sequence
SELECT * FROM event
WHERE pid = %(pid)s AND sequence = %(sequence)s AND upper_inf(validity) AND meta ? 'system'
FOR UPDATE;

-- name: sequence_anchor_shots
-- First and last shot of each UTC day of the sequence: the sequence's ends and its midnights. Each is one
-- probe of the (pid, sequence, kind, tstamp) index, whatever the sequence's length.
WITH ends AS (
    -- Two probes written as such: min() and max() together scanned every shot while new rows had no statistics.
    SELECT (SELECT tstamp FROM shot WHERE pid = %(pid)s AND sequence = %(sequence)s AND kind = %(kind)s
            ORDER BY tstamp LIMIT 1) AS t0,
           (SELECT tstamp FROM shot WHERE pid = %(pid)s AND sequence = %(sequence)s AND kind = %(kind)s
            ORDER BY tstamp DESC LIMIT 1) AS t1
), days AS (
    -- UTC days as timestamps without a time zone: the session's zone plays no part.
    SELECT d::date AS day, d AT TIME ZONE 'UTC' AS since, (d + interval '1 day') AT TIME ZONE 'UTC' AS till
    FROM ends,
         generate_series(date_trunc('day', t0 AT TIME ZONE 'UTC'), date_trunc('day', t1 AT TIME ZONE 'UTC'),
                         interval '1 day') d
    WHERE t0 IS NOT NULL
)
SELECT d.day, f.point AS first_point, f.tstamp AS first_tstamp, f.lon AS first_lon, f.lat AS first_lat,
       l.point AS last_point, l.tstamp AS last_tstamp, l.lon AS last_lon, l.lat AS last_lat
FROM days d
CROSS JOIN LATERAL (
    SELECT point, tstamp, lon, lat FROM shot
    WHERE pid = %(pid)s AND sequence = %(sequence)s AND kind = %(kind)s AND tstamp >= d.since AND tstamp < d.till
    ORDER BY tstamp, objref LIMIT 1
) f
CROSS JOIN LATERAL (
    SELECT point, tstamp, lon, lat FROM shot
    WHERE pid = %(pid)s AND sequence = %(sequence)s AND kind = %(kind)s AND tstamp >= d.since AND tstamp < d.till
    ORDER BY tstamp DESC, objref DESC LIMIT 1
) l
ORDER BY d.day;

-- name: events_waiting_for_shots
SELECT * FROM event
WHERE pid = %(pid)s AND sequence = %(sequence)s AND upper_inf(validity) AND tstamp IS NULL
FOR UPDATE;

-- name: shot_at
SELECT tstamp, lon, lat FROM shot
WHERE pid = %(pid)s AND sequence = %(sequence)s AND point = %(point)s
ORDER BY (kind = 'final') DESC, tstamp, objref
LIMIT 1;

-- name: sequence_shot_kind
-- The kind of shots a sequence's events are anchored on: final once processed, else raw.
SELECT CASE WHEN final_upload_id IS NOT NULL THEN 'final' ELSE 'raw' END AS kind
FROM sequence WHERE pid = %(pid)s AND sequence = %(sequence)s;
