-- Metadata of a project's elements: a sequence (raw and final), the shots at one point of a sequence,
-- a preplot line, a preplot point. Reads take the element's meta; writes lock it first (read, change, write).

-- name: sequence_meta
SELECT meta, meta_final, final_upload_id IS NOT NULL AS has_final
FROM sequence WHERE pid = %(pid)s AND sequence = %(sequence)s;

-- name: lock_sequence_meta
SELECT meta, meta_final, final_upload_id IS NOT NULL AS has_final
FROM sequence WHERE pid = %(pid)s AND sequence = %(sequence)s FOR UPDATE;

-- name: set_sequence_meta
UPDATE sequence SET meta = %(meta)s, updated_on = now() WHERE pid = %(pid)s AND sequence = %(sequence)s;

-- name: set_sequence_meta_final
UPDATE sequence SET meta_final = %(meta)s, updated_on = now() WHERE pid = %(pid)s AND sequence = %(sequence)s;

-- name: shot_meta
-- Every source's record of a shot point carries the same meta (a write sets them all): the first one speaks.
SELECT coalesce(meta, '{}'::jsonb) AS meta
FROM shot WHERE pid = %(pid)s AND sequence = %(sequence)s AND kind = %(kind)s AND point = %(point)s
ORDER BY objref, tstamp LIMIT 1;

-- name: lock_shot_meta
SELECT coalesce(meta, '{}'::jsonb) AS meta
FROM shot WHERE pid = %(pid)s AND sequence = %(sequence)s AND kind = %(kind)s AND point = %(point)s
ORDER BY objref, tstamp FOR UPDATE;

-- name: set_shot_meta
UPDATE shot SET meta = %(meta)s
WHERE pid = %(pid)s AND sequence = %(sequence)s AND kind = %(kind)s AND point = %(point)s;

-- name: line_meta
SELECT meta FROM preplot_line WHERE pid = %(pid)s AND line = %(line)s;

-- name: lock_line_meta
SELECT meta FROM preplot_line WHERE pid = %(pid)s AND line = %(line)s FOR UPDATE;

-- name: set_line_meta
UPDATE preplot_line SET meta = %(meta)s WHERE pid = %(pid)s AND line = %(line)s;

-- name: lock_point_meta
-- The primary point of that line and point number (alternatives by SPS point index are not addressed here).
SELECT meta FROM preplot_point
WHERE pid = %(pid)s AND line = %(line)s AND point = %(point)s AND NOT alternative FOR UPDATE;

-- name: set_point_meta
UPDATE preplot_point SET meta = %(meta)s
WHERE pid = %(pid)s AND line = %(line)s AND point = %(point)s AND NOT alternative;
