"""The ASAQC transfer queue through the API: adding (all or none), listing (filter, order, pages),
cancelling (each case of the contract), who may do what."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import db
from tests.integration.factories import as_role, make_project

QUEUE_PATH = "/queue/outgoing/asaqc"


def api(client, method, path, body=None, role="user", projects=None, raw=None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
    headers = {**as_role(role, projects), "Content-Type": "application/json"}
    response = client.request(method, path, body=data, headers=headers)
    parsed = json.loads(response.body) if response.body else None
    return response.status_code, parsed, response.headers


def stored() -> list[dict]:
    return db.connection().execute("SELECT * FROM queue_item ORDER BY item_id").fetchall()


def wakeups(aws) -> list[dict]:
    url = aws.queue_url("dougal-dev-asaqc")
    found = []
    while True:
        messages = aws.sqs().receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return found
        found += [json.loads(m["Body"]) for m in messages]
        aws.sqs().delete_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        )


def make_item(
    pid: str = "alpha",
    sequence: int = 1,
    status: str = "queued",
    parent_id: int | None = None,
    created_on: datetime | None = None,
    updated_on: datetime | None = None,
    not_before: datetime | None = None,
) -> int:
    """An item as the sender leaves it (the sender's own tests drive real transfers)."""
    now = datetime(2021, 10, 8, 12, 0, tzinfo=UTC)
    payload = {"project": pid, "sequence": sequence, "mimetype": "application/vnd.seis+json"}
    row = (
        db.connection()
        .execute(
            "INSERT INTO queue_item (queue_id, status, payload, pid, sequence, parent_id, created_on, updated_on,"
            " not_before) VALUES (1, %s, %s::jsonb, %s, %s, %s, %s, %s, %s) RETURNING item_id",
            (
                status,
                json.dumps(payload),
                pid,
                sequence,
                parent_id,
                created_on or now,
                updated_on or now,
                not_before or datetime(1970, 1, 1, tzinfo=UTC),
            ),
        )
        .fetchone()
    )
    return int(row["item_id"])


@pytest.fixture
def projects():
    make_project("alpha")
    make_project("beta")


# ---------------------------------------------------------------- adding


def test_items_are_queued_with_one_wakeup_each(client, aws, projects):
    status, body, _ = api(
        client, "POST", QUEUE_PATH, [{"project": "alpha", "sequence": 55}, {"project": "beta", "sequence": 7}]
    )
    assert status == 202, body
    assert [(i["status"], i["payload"]["project"], i["payload"]["sequence"]) for i in body] == [
        ("queued", "alpha", 55),
        ("queued", "beta", 7),
    ]
    rows = stored()
    assert [r["item_id"] for r in rows] == [i["item_id"] for i in body]
    assert all(r["parent_id"] is None and r["results"] == [] and r["attempt"] == 1 for r in rows)
    assert all(r["not_before"] <= datetime.now(UTC) for r in rows)
    assert sorted(m["item_id"] for m in wakeups(aws)) == [r["item_id"] for r in rows]


def test_the_mimetype_may_be_given_and_is_always_stored(client, aws, projects):
    status, body, _ = api(
        client, "POST", QUEUE_PATH, [{"project": "alpha", "sequence": 1, "mimetype": "application/vnd.seis+json"}]
    )
    assert status == 202, body
    assert body[0]["payload"] == {"project": "alpha", "sequence": 1, "mimetype": "application/vnd.seis+json"}


BAD_BODIES = [
    (b'{"project": "alpha", "sequence": 1}', "array"),
    (b"[]", "non-empty array"),
    (b"[1]", "items[0]"),
    (b'[{"project": "alpha", "sequence": 1}, {"sequence": 2}]', "items[1].project"),
    (b'[{"project": "alpha"}]', "items[0].sequence"),
    (b'[{"project": "alpha", "sequence": "5"}]', "items[0].sequence"),
    (b'[{"project": "alpha", "sequence": true}]', "items[0].sequence"),
    (b'[{"project": "alpha", "sequence": -1}]', "items[0].sequence"),
    (b'[{"project": "alpha", "sequence": 2147483648}]', "items[0].sequence"),
    (b'[{"project": "alpha", "sequence": 1.5}]', "items[0].sequence"),
    (b'[{"project": "alpha", "sequence": 1}, {"project": "nowhere", "sequence": 1}]', "items[1].project"),
    (b'[{"project": "../x", "sequence": 1}]', "items[0].project"),
    (b'[{"project": "alpha", "sequence": 1, "priority": 9}]', "items[0].priority"),
    (b'[{"project": "alpha", "sequence": 1, "mimetype": "application/pdf"}]', "items[0].mimetype"),
    (b"[{", "not valid JSON"),
    (json.dumps([{"project": "alpha", "sequence": i} for i in range(1001)]).encode(), "At most 1000"),
]


@pytest.mark.parametrize(("raw", "named"), BAD_BODIES, ids=[b[1] + str(i) for i, b in enumerate(BAD_BODIES)])
def test_a_bad_item_refuses_the_whole_request(client, aws, projects, raw, named):
    status, body, _ = api(client, "POST", QUEUE_PATH, raw=raw)
    assert status == 400
    assert named in body["message"]
    assert stored() == []
    assert wakeups(aws) == []


def test_a_project_outside_the_account_is_refused_by_name(client, aws, projects):
    items = [{"project": "alpha", "sequence": 1}, {"project": "beta", "sequence": 1}]
    status, body, _ = api(client, "POST", QUEUE_PATH, items, projects=["alpha"])
    assert status == 400
    assert body["message"] == "items[1].project: project beta not found"
    assert stored() == []


# ---------------------------------------------------------------- listing


def listing(client, query="", role="guest", projects=None):
    status, body, headers = api(client, "GET", QUEUE_PATH + query, role=role, projects=projects)
    assert status == 200, body
    return body, int(headers["X-Total-Count"])


@pytest.fixture
def varied(projects):
    """Items whose every orderable property differs, none in the order of another."""
    base = datetime(2021, 10, 8, 12, 0, tzinfo=UTC)
    specs = [
        # pid, sequence, status, created, updated, not_before (minutes from base)
        ("beta", 30, "sent", 5, 1, 3),
        ("alpha", 10, "failed", 1, 4, 0),
        ("alpha", 50, "queued", 3, 5, 9),
        ("beta", 20, "cancelled", 4, 2, 6),
        ("alpha", 40, "queued", 2, 3, 12),
    ]
    ids = []
    for pid, sequence, status, created, updated, not_before in specs:
        ids.append(
            make_item(
                pid,
                sequence,
                status,
                created_on=base + timedelta(minutes=created),
                updated_on=base + timedelta(minutes=updated),
                not_before=base + timedelta(minutes=not_before),
            )
        )
    # Two retries: parent ids differ and are null for the rest.
    db.connection().execute("UPDATE queue_item SET parent_id = %s WHERE item_id = %s", (ids[1], ids[2]))
    db.connection().execute("UPDATE queue_item SET parent_id = %s WHERE item_id = %s", (ids[0], ids[4]))
    return stored()


ORDER_KEYS = {
    "created_on": lambda r: r["created_on"],
    "updated_on": lambda r: r["updated_on"],
    "not_before": lambda r: r["not_before"],
    "item_id": lambda r: r["item_id"],
    "status": lambda r: r["status"],
    "project": lambda r: r["pid"],
    "sequence": lambda r: r["sequence"],
}


@pytest.mark.parametrize("order", sorted(ORDER_KEYS))
@pytest.mark.parametrize("direction", ["-", "+", "asc"])
def test_items_are_ordered_by_each_property(client, varied, order, direction):
    body, total = listing(client, f"?order={order}&dir={direction}")
    descending = direction == "-"
    expected = sorted(varied, key=lambda r: (ORDER_KEYS[order](r), r["item_id"]), reverse=descending)
    assert [i["item_id"] for i in body] == [r["item_id"] for r in expected]
    assert total == len(varied)


def test_ordered_by_parent_nulls_come_last_ascending_and_first_descending(client, varied):
    ascending, _ = listing(client, "?order=parent_id&dir=%2B")
    parents = [i["parent_id"] for i in ascending]
    assert parents[:2] == sorted(p for p in parents if p is not None) and parents[2:] == [None] * 3
    descending, _ = listing(client, "?order=parent_id&dir=-")
    assert [i["parent_id"] for i in descending][:3] == [None] * 3


def test_the_default_order_is_latest_update_first(client, varied):
    body, _ = listing(client)
    assert [i["item_id"] for i in body] == [
        r["item_id"] for r in sorted(varied, key=lambda r: r["updated_on"], reverse=True)
    ]


def test_status_filter_and_pages(client, varied):
    queued, total = listing(client, "?status=queued&order=item_id&dir=%2B")
    assert [i["item_id"] for i in queued] == [r["item_id"] for r in varied if r["status"] == "queued"]
    assert total == 2
    pages = [listing(client, f"?order=item_id&dir=%2B&limit=2&offset={o}") for o in (0, 2, 4, 6)]
    assert [[i["item_id"] for i in page] for page, _ in pages] == [
        [r["item_id"] for r in varied[0:2]],
        [r["item_id"] for r in varied[2:4]],
        [r["item_id"] for r in varied[4:5]],
        [],
    ]
    assert {total for _, total in pages} == {5}


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("?status=done", "status"),
        ("?order=payload", "order"),
        ("?order=", "order"),
        ("?limit=0", "limit"),
        ("?limit=1001", "limit"),
        ("?limit=x", "limit"),
        ("?offset=-1", "offset"),
    ],
)
def test_bad_list_parameters_are_named(client, projects, query, named):
    status, body, _ = api(client, "GET", QUEUE_PATH + query, role="guest")
    assert status == 400
    assert named in body["message"]


def test_a_limited_account_lists_only_its_projects(client, varied):
    body, total = listing(client, "?order=item_id&dir=%2B", projects=["alpha"])
    assert [i["item_id"] for i in body] == [r["item_id"] for r in varied if r["pid"] == "alpha"]
    assert total == 3


def test_items_answer_as_the_contract_shows_them(client, varied):
    body, _ = listing(client, "?order=item_id&dir=%2B")
    first = body[0]
    assert set(first) == {
        "item_id",
        "queue_id",
        "status",
        "payload",
        "results",
        "created_on",
        "updated_on",
        "not_before",
        "parent_id",
    }
    assert first["queue_id"] == 1 and first["results"] == []
    assert datetime.fromisoformat(first["created_on"]) == varied[0]["created_on"]


# ---------------------------------------------------------------- cancelling


def status_of(item_id: int) -> str:
    return str(
        db.connection().execute("SELECT status FROM queue_item WHERE item_id = %s", (item_id,)).fetchone()["status"]
    )


def delete(client, item_id, role="user", projects=None):
    status, body, _ = api(client, "DELETE", f"{QUEUE_PATH}/{item_id}", role=role, projects=projects)
    return status, body


def test_a_queued_item_is_cancelled(client, projects):
    item = make_item()
    other = make_item(sequence=2)
    assert delete(client, item) == (204, None)
    assert status_of(item) == "cancelled"
    assert status_of(other) == "queued"
    assert delete(client, item) == (204, None)  # again: nothing more to do
    assert status_of(item) == "cancelled"


def test_a_failed_item_has_its_queued_retry_cancelled(client, projects):
    failed = make_item(status="failed")
    retry = make_item(status="queued", parent_id=failed)
    unrelated = make_item(status="queued", sequence=9)
    assert delete(client, failed) == (204, None)
    assert (status_of(failed), status_of(retry), status_of(unrelated)) == ("failed", "cancelled", "queued")


def test_the_queued_end_of_a_chain_of_retries_is_cancelled(client, projects):
    first = make_item(status="failed")
    second = make_item(status="failed", parent_id=first)
    third = make_item(status="queued", parent_id=second)
    assert delete(client, first) == (204, None)
    assert (status_of(first), status_of(second), status_of(third)) == ("failed", "failed", "cancelled")


def test_a_failed_item_without_retries_left_is_204_and_unchanged(client, projects):
    failed = make_item(status="failed")
    assert delete(client, failed) == (204, None)
    assert status_of(failed) == "failed"


@pytest.mark.parametrize("case", ["sent", "retry sent", "unknown", "other project"])
def test_what_cannot_be_cancelled_is_404(client, projects, case):
    if case == "sent":
        item = make_item(status="sent")
    elif case == "retry sent":
        item = make_item(status="failed")
        make_item(status="sent", parent_id=item)
    elif case == "unknown":
        item = 99999
    else:
        item = make_item(pid="beta")
    status, body = delete(client, item, projects=["alpha"])
    assert status == 404
    assert str(item) in body["message"]
    if case != "unknown":
        assert status_of(item) in ("sent", "failed", "queued")
    if case == "other project":
        assert status_of(item) == "queued"


def test_an_item_being_sent_cannot_be_cancelled(client, projects):
    from chalicelib.db import connect

    item = make_item()
    sender = connect()
    try:
        with sender.transaction():
            sender.execute("SELECT 1 FROM queue_item WHERE item_id = %s FOR NO KEY UPDATE", (item,))
            status, body = delete(client, item)
            assert status == 409
            assert "being sent" in body["message"]
    finally:
        sender.close()
    assert status_of(item) == "queued"


@pytest.mark.parametrize("bad", ["x", "0", "1.5", "99999999999999999999"])
def test_a_bad_id_is_named(client, projects, bad):
    status, body = delete(client, bad)
    assert status == 400
    assert "id" in body["message"]
