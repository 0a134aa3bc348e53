-- name: existing_projects
SELECT pid FROM project WHERE pid = ANY (%(pids)s::text[]);

-- name: insert_items
-- Every item of one request, in request order (identity values follow the ORDER BY).
INSERT INTO queue_item (queue_id, payload, pid, sequence)
SELECT %(queue_id)s, jsonb_build_object('project', i.pid, 'sequence', i.sequence, 'mimetype', i.mimetype),
       i.pid, i.sequence
FROM unnest(%(pids)s::text[], %(sequences)s::integer[], %(mimetypes)s::text[]) WITH ORDINALITY
         AS i (pid, sequence, mimetype, n)
ORDER BY i.n
RETURNING *;

-- name: list_items
-- One page of a queue's items; `order` is one of the contract's names (checked before), `descending`
-- the direction; ties broken by item_id in the same direction.
SELECT i.* FROM queue_item i
WHERE i.queue_id = %(queue_id)s
  AND (%(status)s::text IS NULL OR i.status = %(status)s)
  AND (%(projects)s::text[] IS NULL OR i.pid = ANY (%(projects)s::text[]))
ORDER BY
  CASE WHEN %(descending)s THEN CASE %(order)s WHEN 'created_on' THEN i.created_on
       WHEN 'updated_on' THEN i.updated_on WHEN 'not_before' THEN i.not_before END END DESC,
  CASE WHEN %(descending)s THEN CASE %(order)s WHEN 'item_id' THEN i.item_id
       WHEN 'parent_id' THEN i.parent_id WHEN 'sequence' THEN i.sequence END END DESC,
  CASE WHEN %(descending)s THEN CASE %(order)s WHEN 'status' THEN i.status WHEN 'project' THEN i.pid END END DESC,
  CASE WHEN NOT %(descending)s THEN CASE %(order)s WHEN 'created_on' THEN i.created_on
       WHEN 'updated_on' THEN i.updated_on WHEN 'not_before' THEN i.not_before END END ASC,
  CASE WHEN NOT %(descending)s THEN CASE %(order)s WHEN 'item_id' THEN i.item_id
       WHEN 'parent_id' THEN i.parent_id WHEN 'sequence' THEN i.sequence END END ASC,
  CASE WHEN NOT %(descending)s THEN CASE %(order)s WHEN 'status' THEN i.status WHEN 'project' THEN i.pid END END ASC,
  CASE WHEN %(descending)s THEN i.item_id END DESC,
  i.item_id ASC
LIMIT %(limit)s OFFSET %(offset)s;

-- name: count_items
SELECT count(*) AS n FROM queue_item i
WHERE i.queue_id = %(queue_id)s
  AND (%(status)s::text IS NULL OR i.status = %(status)s)
  AND (%(projects)s::text[] IS NULL OR i.pid = ANY (%(projects)s::text[]));

-- name: lock_item
-- The item, locked for a change; fails at once (lock_not_available) while a sender holds it.
SELECT i.* FROM queue_item i
WHERE i.queue_id = %(queue_id)s AND i.item_id = %(item_id)s
FOR NO KEY UPDATE OF i NOWAIT;

-- name: descendants
-- The retries of an item, and theirs, in order.
WITH RECURSIVE chain AS (
    SELECT item_id, status FROM queue_item WHERE parent_id = %(item_id)s
    UNION ALL
    SELECT c.item_id, c.status FROM queue_item c JOIN chain ON c.parent_id = chain.item_id
)
SELECT item_id, status FROM chain ORDER BY item_id;

-- name: lock_items
SELECT item_id FROM queue_item WHERE item_id = ANY (%(ids)s::bigint[]) ORDER BY item_id
FOR NO KEY UPDATE NOWAIT;

-- name: cancel_items
UPDATE queue_item SET status = 'cancelled', updated_on = clock_timestamp()
WHERE item_id = ANY (%(ids)s::bigint[]) AND status = 'queued'
RETURNING item_id;

-- name: claim_due_item
-- The next due item nobody is sending, locked until this transaction ends (the sender's whole work
-- on it): FOR NO KEY UPDATE so that the transfer journal's foreign key (KEY SHARE) does not wait.
SELECT i.*, p.configuration, p.name AS project_name
FROM queue_item i
JOIN project p ON p.pid = i.pid
WHERE i.queue_id = %(queue_id)s AND i.status = 'queued' AND i.not_before <= %(now)s
ORDER BY i.not_before, i.item_id
LIMIT 1
FOR NO KEY UPDATE OF i SKIP LOCKED;

-- name: earlier_attempts
-- Items of the same sequence that got as far as sending before this one: the -N of the file names.
SELECT count(*) AS n FROM queue_item
WHERE pid = %(pid)s AND sequence = %(sequence)s AND item_id < %(item_id)s AND status IN ('failed', 'sent');

-- name: chain_transfers
-- Every recorded call for this item and the items it retries, oldest first.
WITH RECURSIVE chain AS (
    SELECT item_id, parent_id FROM queue_item WHERE item_id = %(item_id)s
    UNION ALL
    SELECT p.item_id, p.parent_id FROM queue_item p JOIN chain c ON p.item_id = c.parent_id
)
SELECT t.* FROM queue_transfer t JOIN chain c ON c.item_id = t.item_id
ORDER BY t.id;

-- name: finish_item
UPDATE queue_item SET status = %(status)s, results = %(results)s, updated_on = clock_timestamp()
WHERE item_id = %(item_id)s AND status = 'queued'
RETURNING *;

-- name: insert_retry
INSERT INTO queue_item (queue_id, payload, pid, sequence, not_before, parent_id, attempt)
SELECT queue_id, payload, pid, sequence, %(not_before)s, item_id, attempt + 1
FROM queue_item WHERE item_id = %(parent_id)s
RETURNING *;

-- name: insert_transfer
INSERT INTO queue_transfer (item_id, idempotency_key, file_name, sha256, size)
VALUES (%(item_id)s, %(key)s, %(file_name)s, %(sha256)s, %(size)s)
RETURNING *;

-- name: finish_transfer
UPDATE queue_transfer SET outcome = %(outcome)s, response = %(response)s, finished_on = clock_timestamp()
WHERE id = %(id)s;
