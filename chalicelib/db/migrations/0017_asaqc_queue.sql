-- Outgoing transfer queues (ASAQC line logs to the client's Vessel Track API).
--
-- queue_item is the truth: SQS messages only wake a sender up. A sender claims one due item at a
-- time with FOR NO KEY UPDATE SKIP LOCKED and holds that lock until the item is sent or failed, so
-- two senders never take the same item and a sender that dies gives its item back.
CREATE TABLE queue_item (
    item_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Which queue: 1 is ASAQC (models/queue.py QUEUE_IDS), the only one so far.
    queue_id   integer NOT NULL CHECK (queue_id IN (1)),
    status     text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'cancelled', 'failed', 'sent')),
    payload    jsonb NOT NULL,
    -- The payload's project and sequence, as columns: listing order, visibility, the file names.
    pid        text NOT NULL REFERENCES project (pid) ON DELETE CASCADE,
    sequence   integer NOT NULL,
    results    jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(results) = 'array'),
    created_on timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_on timestamptz NOT NULL DEFAULT clock_timestamp(),
    not_before timestamptz NOT NULL DEFAULT 'epoch',
    parent_id  bigint REFERENCES queue_item (item_id),
    -- 1 for a request, the parent's + 1 for each retry.
    attempt    integer NOT NULL DEFAULT 1 CHECK (attempt >= 1)
);
CREATE INDEX queue_item_due ON queue_item (queue_id, not_before, item_id) WHERE status = 'queued';
CREATE INDEX queue_item_updated ON queue_item (queue_id, updated_on DESC, item_id DESC);
CREATE INDEX queue_item_parent ON queue_item (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX queue_item_sequence ON queue_item (pid, sequence, item_id);

-- Every call made to the remote to deliver one file, recorded (and committed) before the call and
-- completed after it. A call whose row has no outcome was cut short (the sender died, or its
-- message came back): before sending that file again, the sender asks the remote whether the
-- idempotency key (item id + digest) was received.
CREATE TABLE queue_transfer (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id         bigint NOT NULL REFERENCES queue_item (item_id) ON DELETE CASCADE,
    idempotency_key text NOT NULL,
    file_name       text NOT NULL,
    sha256          text NOT NULL,
    size            integer NOT NULL,
    started_on      timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_on     timestamptz,
    -- null while the call is in flight (or was cut short); then:
    --   accepted      the remote answered 2xx with a receipt
    --   failed        an answer or an error that says the file was not taken (4xx, 5xx, refused)
    --   unknown       the call may have reached the remote (timeout, 2xx without a readable receipt)
    --   received      a cut-short or unknown call the remote's receipt log shows as received
    --   not_received  a cut-short or unknown call the receipt log does not know
    outcome         text CHECK (outcome IN ('accepted', 'failed', 'unknown', 'received', 'not_received')),
    response        jsonb
);
CREATE INDEX queue_transfer_item ON queue_transfer (item_id, id);
CREATE INDEX queue_transfer_key ON queue_transfer (idempotency_key);
