"""The real-time navigation feed: headers posted by the vessel, queries by time and position, GIS views.

Expected results are computed here from the headers sent: time windows with datetime arithmetic,
distances on the WGS 84 ellipsoid with pyproj.Geod (PostGIS answers from the table).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from pyproj import Geod

from tests.integration.factories import as_role, make_project
from tests.integration.ingest_support import CONFIGURATION, count

T0 = datetime(2021, 10, 8, 10, 37, 0, tzinfo=UTC)
GEOD = Geod(ellps="WGS84")
# Matches the demo pattern: direction 10, line 5210, attempt 0, sequence 055.
ONLINE_LINE = "NS21-1052100055S00000"
CAPTURES = ["direction", "line", "attempt", "sequence"]


def header(n: int, line: str = ONLINE_LINE, **extra: object) -> dict:
    """The n-th header of a line sailed due north-east from (2.479, 59.18), one per second, 2.5 m apart."""
    lon, lat, _ = GEOD.fwd(2.479, 59.18, 45.0, 2.5 * n)
    return {
        "tstamp": (T0 + timedelta(seconds=n)).isoformat().replace("+00:00", "Z"),
        "lat": lat,
        "lon": lon,
        "lineName": line,
        "point": 1000 + n,
        "speed": 4.6,
        "heading": 45.0,
        **extra,
    }


def post(client, body, role="user", raw=None):
    headers = {**as_role(role), "Content-Type": "application/json"}
    response = client.post("/navdata", headers=headers, body=raw if raw is not None else json.dumps(body).encode())
    return response.status_code, json.loads(response.body) if response.body else None


def get(client, path, role="guest", **headers):
    response = client.get(path, headers={**as_role(role), **headers})
    return response.status_code, json.loads(response.body) if response.body else None, response.headers


def listed(client, query=""):
    status, body, headers = get(client, f"/navdata{query}")
    assert status == 200, body
    return body, int(headers["X-Total-Count"])


@pytest.fixture
def project():
    make_project("alpha", configuration=CONFIGURATION)
    return "alpha"


@pytest.fixture
def track(client, project):
    """Sixty headers, one a second, in batches of ten as the vessel sends them."""
    headers = [header(n) for n in range(60)]
    for start in range(0, 60, 10):
        status, body = post(client, headers[start : start + 10])
        assert status == 201, body
    return headers


def _t(item):
    return datetime.fromisoformat(item["tstamp"])


# ------------------------------------------------------------ ingest


def test_a_header_is_kept_whole_with_what_dougal_adds(client, project):
    sent = [header(0), header(1, line="TRANSIT TO LINE 5212", extra={"nested": [1, 2]})]
    before = datetime.now(UTC)
    status, body = post(client, sent)
    after = datetime.now(UTC)
    assert status == 201, body
    assert body == {"received": 2, "stored": 2, "online": 1}
    items, total = listed(client)
    assert total == 2
    offline, online = items  # newest first
    for item, original in ((online, sent[0]), (offline, sent[1])):
        assert {k: item[k] for k in original} == original
        received = datetime.fromisoformat(item["_received"])
        assert before - timedelta(seconds=1) <= received <= after + timedelta(seconds=1)
        assert item["_latency"] == round((received - _t(original)) / timedelta(milliseconds=1))
    assert online["_online"] is True
    assert (online["_sequence"], online["_line"], online["_point"], online["_schema"]) == (55, 5210, 1000, "survey_1")
    assert offline["_online"] is False
    assert not {"_sequence", "_line", "_point", "_schema"} & set(offline)
    stored = count("SELECT count(*) FROM navdata WHERE online AND pid = 'alpha' AND sequence = 55 AND point = 1000")
    assert stored == 1
    assert count("SELECT count(*) FROM navdata WHERE ST_Equals(geom, ST_SetSRID(ST_MakePoint(lon, lat), 4326))") == 2


def test_a_header_cannot_set_what_dougal_adds(client, project):
    forged = {"_online": True, "_sequence": 999, "_schema": "survey_9", "_latency": -1, "_received": "x"}
    assert post(client, [header(0, line="TRANSIT", **forged)])[0] == 201
    (item,), _ = listed(client)
    assert item["_online"] is False and item["_latency"] > 0
    assert not {"_sequence", "_schema"} & set(item)
    _sequences_now, total = _sequences(client)
    assert total == 0


def test_repeated_batches_and_repeated_headers_are_stored_once(client, project):
    batch = [header(n) for n in range(10)]
    assert post(client, batch) == (201, {"received": 10, "stored": 10, "online": 10})
    # The vessel resends the batch (no acknowledgement reached it), then a batch overlapping it.
    assert post(client, batch) == (200, {"received": 10, "stored": 0, "online": 10})
    overlapping = [header(n) for n in range(5, 15)] + [header(14)]
    assert post(client, overlapping) == (201, {"received": 11, "stored": 5, "online": 11})
    assert count("SELECT count(*) FROM navdata") == 15
    _items, total = listed(client)
    assert total == 15


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ({"lat": None}, ["item 2", "lat", "missing"]),
        ({"lon": "east"}, ["item 2", "lon", "not a number"]),
        ({"lat": 91.0}, ["item 2", "lat", "90"]),
        ({"tstamp": "yesterday"}, ["item 2", "tstamp", "ISO-8601"]),
        ({"tstamp": None}, ["item 2", "tstamp", "missing"]),
        ({"point": "10x"}, ["item 2", "point"]),
        ({"point": 2**40}, ["item 2", "point"]),
    ],
)
def test_a_bad_header_refuses_the_whole_batch_naming_item_and_field(client, project, bad, words):
    batch = [header(0), header(1), {**header(2), **bad}, header(3)]
    batch[2] = {k: v for k, v in batch[2].items() if v is not None}
    status, body = post(client, batch)
    assert status == 400, body
    for word in words:
        assert word in body["message"]
    assert count("SELECT count(*) FROM navdata") == 0


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b'{"tstamp": "2021-10-08T10:00:00Z"}', ["array"]),
        (b"[]", ["no header"]),
        (b'[{"tstamp": "2021-10-08T10:00:00Z", "lat": 1, "lon": 2}, 5]', ["item 1", "object"]),
        (b"[not json", ["JSON"]),
    ],
)
def test_a_body_that_is_not_a_batch_of_headers_is_a_400(client, project, raw, words):
    status, body = post(client, None, raw=raw)
    assert status == 400, body
    for word in words:
        assert word in body["message"]
    assert count("SELECT count(*) FROM navdata") == 0


def test_a_batch_too_large_is_refused(client, project):
    from chalicelib.models.navdata import MAX_NAV_BATCH

    status, body = post(client, [header(n) for n in range(MAX_NAV_BATCH + 1)])
    assert status == 400 and str(MAX_NAV_BATCH) in body["message"]
    assert count("SELECT count(*) FROM navdata") == 0


def test_field_names_come_from_the_project_configuration(client):
    fields = {"tstamp": "time", "lat": "latitude", "lon": "longitude", "line": "line_name", "point": "sp"}
    make_project("alpha", configuration={**CONFIGURATION, "navdata": {"fields": fields}})
    sent = {"time": "2021-10-08T10:37:57Z", "latitude": 59.182838, "longitude": 2.479345, "line_name": ONLINE_LINE}
    status, body = post(client, [{**sent, "sp": 1234}])
    assert status == 201, body
    (item,), _ = listed(client)
    assert (item["_online"], item["_sequence"], item["_point"]) == (True, 55, 1234)
    assert item["_latency"] == round(
        (datetime.fromisoformat(item["_received"]) - datetime(2021, 10, 8, 10, 37, 57, tzinfo=UTC))
        / timedelta(milliseconds=1)
    )
    # The default names mean nothing for this survey: its time key is missing.
    status, body = post(client, [header(0)])
    assert status == 400 and "item 0: time" in body["message"]


def test_only_part_of_the_field_names_may_be_configured(client):
    make_project("alpha", configuration={**CONFIGURATION, "navdata": {"fields": {"line": "LINE"}}})
    status, body = post(client, [{**header(0), "LINE": ONLINE_LINE, "lineName": "not this"}])
    assert status == 201, body
    (item,), _ = listed(client)
    assert (item["_online"], item["_sequence"], item["_point"]) == (True, 55, 1000)


@pytest.mark.parametrize(
    ("navdata", "path"),
    [
        ({"fields": {"lat": 5}}, "configuration.navdata.fields.lat"),
        ({"fields": {"tstamp": ""}}, "configuration.navdata.fields.tstamp"),
        ({"fields": "lat,lon"}, "configuration.navdata.fields"),
        ({"retention_days": 0}, "configuration.navdata.retention_days"),
    ],
)
def test_a_wrong_navdata_configuration_is_refused(client, project, navdata, path):
    headers = {**as_role("master"), "Content-Type": "application/json"}
    body = json.dumps({**CONFIGURATION, "navdata": navdata}).encode()
    response = client.put("/project/alpha/configuration", headers=headers, body=body)
    assert response.status_code == 400, response.body
    assert path in json.loads(response.body)["message"]


def test_headers_of_a_project_the_sender_may_not_see_are_not_online(client, project):
    make_project(
        "beta",
        configuration={
            **CONFIGURATION,
            "online": {"line": {"pattern": {"regex": "^B(\\d+)$", "captures": ["sequence"]}}},
        },
    )
    headers = {**as_role("user", projects=["alpha"]), "Content-Type": "application/json"}
    response = client.post("/navdata", headers=headers, body=json.dumps([header(0, line="B77")]).encode())
    assert response.status_code == 201, response.body
    assert json.loads(response.body)["online"] == 0
    response = client.post(
        "/navdata",
        headers={**as_role("user"), "Content-Type": "application/json"},
        body=json.dumps([header(1, line="B77")]).encode(),
    )
    assert json.loads(response.body)["online"] == 1
    items, _ = listed(client)
    assert [(i["_online"], i.get("_schema")) for i in items] == [(True, "survey_2"), (False, None)]


def test_a_guest_cannot_post_headers(client, project):
    status, body = post(client, [header(0)], role="guest")
    assert status == 401 and "user" in body["message"]
    assert count("SELECT count(*) FROM navdata") == 0


# ------------------------------------------------------------ queries


def _q(**parts):
    from urllib.parse import quote

    return "?q=" + quote(";".join(f"{k}:{v}" for k, v in parts.items()))


def test_the_feed_is_newest_first_and_paged(client, track):
    items, total = listed(client, "?limit=7&offset=3")
    assert total == 60
    expected = sorted(track, key=_t, reverse=True)[3:10]
    assert [i["tstamp"] for i in items] == [h["tstamp"] for h in expected]


@pytest.mark.parametrize(("tolerance", "at"), [(None, 20), (2500, 20), (0, 33), (30_000, 59)])
def test_q_by_time_returns_the_headers_within_the_tolerance(client, track, tolerance, at):
    when = T0 + timedelta(seconds=at)
    parts = {"tstamp": when.isoformat().replace("+00:00", "Z")}
    if tolerance is not None:
        parts["tolerance"] = tolerance
    window = timedelta(milliseconds=1000 if tolerance is None else tolerance)
    expected = sorted((h for h in track if abs(_t(h) - when) <= window), key=_t, reverse=True)
    items, total = listed(client, _q(**parts))
    assert [i["tstamp"] for i in items] == [h["tstamp"] for h in expected]
    assert total == len(expected) > 0


@pytest.mark.parametrize(("radius", "around"), [(None, 12), (6.0, 12), (41.0, 30), (0.5, 7)])
def test_q_by_position_returns_the_headers_within_the_radius(client, track, radius, around):
    # A centre beside the track, not on a fix: 1.2 m off fix `around` to the south-east.
    lon, lat, _ = GEOD.fwd(track[around]["lon"], track[around]["lat"], 135.0, 1.2 if radius != 0.5 else 0.0)
    parts = {"pos": f"{lon!r},{lat!r}"}
    if radius is not None:
        parts["radius"] = radius
    limit = 1.0 if radius is None else radius
    distances = {h["tstamp"]: GEOD.inv(lon, lat, h["lon"], h["lat"])[2] for h in track}
    assert all(abs(d - limit) > 0.05 for d in distances.values())  # no fix on the edge
    expected = sorted((h for h in track if distances[h["tstamp"]] <= limit), key=_t, reverse=True)
    items, total = listed(client, _q(**parts))
    assert [i["tstamp"] for i in items] == [h["tstamp"] for h in expected]
    assert total == len(expected)
    if radius is None:
        assert expected == []  # 1.2 m from the nearest fix: nothing within the default metre
    else:
        assert expected


def test_q_by_time_and_position_together(client, track):
    when = T0 + timedelta(seconds=30)
    lon, lat = track[30]["lon"], track[30]["lat"]
    query = _q(tstamp=when.isoformat(), tolerance=10_000, pos=f"{lon!r},{lat!r}", radius=12)
    expected = sorted(
        (
            h
            for h in track
            if abs(_t(h) - when) <= timedelta(seconds=10) and GEOD.inv(lon, lat, h["lon"], h["lat"])[2] <= 12
        ),
        key=_t,
        reverse=True,
    )
    items, total = listed(client, query)
    assert [i["tstamp"] for i in items] == [h["tstamp"] for h in expected]
    assert 0 < total == len(expected) < 21  # narrower than the time window alone


def test_fields_projects_the_items(client, track):
    items, _ = listed(client, "?limit=2&fields=lat,lon;_online%20_sequence,nothing")
    assert items == [
        {"lat": h["lat"], "lon": h["lon"], "_online": True, "_sequence": 55} for h in (track[59], track[58])
    ]


@pytest.mark.parametrize(
    "fields",
    [
        "lat,lon');DROP TABLE navdata;--",
        "lat,(SELECT password_hash FROM account)",
        "lat,data->>'x'",
        'lat,"lon"',
    ],
)
def test_injection_attempts_in_fields_are_ignored(client, track, fields):
    from urllib.parse import quote

    items, total = listed(client, "?limit=1&fields=" + quote(fields))
    assert total == 60
    assert items == [{"lat": track[59]["lat"]}]
    assert count("SELECT count(*) FROM navdata") == 60


@pytest.mark.parametrize(
    ("q", "part"),
    [
        ("tstamp:yesterday", "tstamp"),
        ("tstamp:2021-10-08T10:37:00Z;tolerance:soon", "tolerance"),
        ("tstamp:2021-10-08T10:37:00Z;tolerance:-5", "tolerance"),
        ("pos:2.47", "pos"),
        ("pos:2.47,95", "pos"),
        ("pos:2.47,59.1;radius:nan", "radius"),
        ("pos:2.47,59.1;radius:1e99", "radius"),
        ("tolerance:5000", "tolerance"),
        ("radius:10", "radius"),
        ("speed:4", "speed"),
        ("tstamp", "tstamp"),
        ("pos:1,2;pos:3,4", "pos"),
        ("tstamp:2021-10-08T10:37:00Z' OR 1=1 --", "tstamp"),
    ],
)
def test_a_bad_q_is_a_400_naming_the_part(client, project, q, part):
    from urllib.parse import quote

    status, body, _ = get(client, "/navdata?q=" + quote(q))
    assert status == 400, body
    assert part in body["message"]


def test_latest_is_the_current_fix(client, project):
    status, body, _ = get(client, "/navdata/latest")
    assert status == 404 and "message" in body
    post(client, [header(3), header(5), header(4)])
    status, body, _ = get(client, "/navdata/latest")
    assert status == 200
    assert {k: body[k] for k in header(5)} == header(5)


# ------------------------------------------------------------ GIS


def test_gis_points_are_the_latest_fixes_as_geojson(client, track):
    status, features, headers = get(client, "/navdata/gis/point?limit=5&offset=1")
    assert status == 200
    assert headers["Content-Type"] == "application/geo+json"
    expected = sorted(track, key=_t, reverse=True)[1:6]
    assert [f["geometry"] for f in features] == [
        {"type": "Point", "coordinates": [pytest.approx(h["lon"], abs=1e-12), pytest.approx(h["lat"], abs=1e-12)]}
        for h in expected
    ]
    assert all(f["type"] == "Feature" and f["properties"]["_online"] is True for f in features)
    status, _, headers = get(client, "/navdata/gis/point", Accept="application/json")
    assert headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("path", ["/navdata/gis/point", "/navdata/gis/line"])
@pytest.mark.parametrize(
    "accept", ["text/csv", "application/xml", "image/*", "application/geo+json;q=0, application/json;q=0, */*;q=0"]
)
def test_gis_views_refuse_a_representation_they_do_not_offer(client, track, path, accept):
    status, body, _ = get(client, path, Accept=accept)
    assert status == 406, body
    offered = body["message"].split("available:", 1)[1]
    assert [m.strip() for m in offered.split(",")] == ["application/geo+json", "application/json"]


@pytest.mark.parametrize("path", ["/navdata/gis/point", "/navdata/gis/line"])
@pytest.mark.parametrize(
    ("accept", "answered"),
    [
        ("application/*", "application/geo+json"),
        ("text/csv, application/json", "application/json"),
        ("application/geo+json;q=0.5, application/json", "application/json"),
        ("*/*", "application/geo+json"),
    ],
)
def test_gis_views_answer_with_the_representation_asked_for(client, track, path, accept, answered):
    status, body, headers = get(client, path, Accept=accept)
    assert status == 200, body
    assert headers["Content-Type"] == answered


def test_gis_line_is_the_track_through_the_latest_vertices_in_time_order(client, track):
    status, feature, headers = get(client, "/navdata/gis/line?limit=4")
    assert status == 200
    assert headers["Content-Type"] == "application/geo+json"
    assert feature["type"] == "Feature"
    assert feature["geometry"]["type"] == "LineString"
    expected = track[56:60]
    assert feature["geometry"]["coordinates"] == [
        [pytest.approx(h["lon"], abs=1e-6), pytest.approx(h["lat"], abs=1e-6)] for h in expected
    ]
    assert feature["properties"]["vertices"] == 4
    assert datetime.fromisoformat(feature["properties"]["ts0"]) == _t(track[56])


@pytest.mark.parametrize("limit", ["1", "0", "x"])
def test_gis_line_needs_two_vertices_at_least(client, track, limit):
    status, body, _ = get(client, f"/navdata/gis/line?limit={limit}")
    assert status == 400 and "limit" in body["message"]


def test_gis_line_of_a_single_fix_has_no_geometry(client, project):
    post(client, [header(0)])
    status, feature, _ = get(client, "/navdata/gis/line")
    assert status == 200
    assert (feature["geometry"], feature["properties"]["vertices"]) == (None, 1)


# ------------------------------------------------------------ online sequences


def _sequences(client):
    status, body, headers = get(client, "/project/alpha/sequence")
    assert status == 200, body
    return {s["sequence"]: s for s in body}, int(headers["X-Total-Count"])


def test_a_sequence_seen_online_is_listed_with_the_feed_figures(client, project):
    sent = [header(n) for n in range(25)]
    # Batches arrive out of order, one twice; a header of another line (offline) in between.
    for batch in (sent[10:20], sent[0:10], sent[10:20], [header(30, line="TRANSIT")], sent[20:25]):
        assert post(client, batch)[0] in (200, 201)
    listed_now, total = _sequences(client)
    assert total == 1
    online = listed_now[55]
    first, latest = sent[0], sent[-1]
    assert online["status"] == "online"
    assert (online["line"], online["attempt"], online["line_name"]) == (5210, 0, ONLINE_LINE)
    assert (online["fsp"], online["lsp"], online["num_points"]) == (first["point"], latest["point"], 25)
    assert (datetime.fromisoformat(online["ts0"]), datetime.fromisoformat(online["ts1"])) == (_t(first), _t(latest))
    assert (online["remarks"], online["remarks_final"], online["fsp_final"]) == ("", "", None)


def test_an_online_sequence_turns_raw_when_its_raw_file_is_imported(client, project, aws):
    from chalicelib import aws as clients
    from dougal_sim import simulator as sim
    from tests.integration.ingest_support import upload

    post(client, [header(n) for n in range(5)])
    post(client, [header(n, line="NS21-1052120056S00000") for n in range(40, 43)])  # sequence 56, line 5212
    listed_now, total = _sequences(client)
    assert total == 2 and {s["status"] for s in listed_now.values()} == {"online"}
    srv = sim.Survey(num_lines=2, points_per_line=60)
    upload(clients, "alpha/preplot/p.sps", sim.write_sps_preplot(srv))
    truth = srv.sequence(55, 5210, start=datetime(2021, 10, 8, 23, 50, tzinfo=UTC))
    upload(clients, "alpha/raw/s55.p111", sim.write_p111(truth, kind="raw"))
    listed_now, total = _sequences(client)
    assert total == 2
    raw = listed_now[55]
    assert raw["status"] == "raw"
    shots = count("SELECT count(*) FROM shot WHERE pid = 'alpha' AND sequence = 55 AND kind = 'raw'")
    assert raw["num_points"] == shots != 5
    assert listed_now[56]["status"] == "online" and listed_now[56]["num_points"] == 3
    # The feed goes on after the import: the sequence stays raw, listed once.
    post(client, [header(n) for n in range(5, 8)])
    listed_now, total = _sequences(client)
    assert total == 2 and listed_now[55]["status"] == "raw"


# ------------------------------------------------------------ the queue and retention


def _send(aws, body: str) -> None:
    from chalicelib.settings import get_settings

    url = aws.sqs().get_queue_url(QueueName=get_settings().navdata_queue)["QueueUrl"]
    aws.sqs().send_message(QueueUrl=url, MessageBody=body)


def test_headers_on_the_queue_are_stored_once_when_redelivered(client, project, aws):
    from tests.integration.ingest_support import deliver_all

    batch = [header(n) for n in range(10)]
    _send(aws, json.dumps(batch))
    _send(aws, json.dumps(batch))  # the same message again
    _send(aws, json.dumps(header(10)))  # one header alone
    assert deliver_all(handler="store_navdata_messages") == 3
    assert count("SELECT count(*) FROM navdata") == 11
    listed_now, _ = _sequences(client)
    assert (listed_now[55]["status"], listed_now[55]["num_points"], listed_now[55]["lsp"]) == ("online", 11, 1010)


def test_a_bad_message_stores_nothing(project):
    from chalicelib import errors
    from chalicelib.services import navdata

    for body in ("not json", json.dumps([header(0), {"lat": 1}]), "5"):
        with pytest.raises(errors.BadRequestError):
            navdata.store_message(body)
    assert count("SELECT count(*) FROM navdata") == 0


def _sqs_record(message_id: str, body: str) -> dict:
    return {
        "messageId": message_id,
        "receiptHandle": message_id,
        "body": body,
        "attributes": {},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:dougal-dev-navdata",
        "awsRegion": "eu-west-1",
    }


def _worker():
    import app
    from scripts.dispatcher import LocalContext, resolve

    source = next(s for s in app.app.event_sources if s.name == "store_navdata_messages")
    handler = resolve(source.handler_string)  # the Lambda's handler, as deployed
    return lambda event: handler(event, LocalContext(source.name))


def test_the_worker_drops_bad_messages_with_a_log_and_returns_transient_failures(client, project, monkeypatch):
    from chalicelib import errors
    from chalicelib.db import navdata as db
    from chalicelib.observability import logger

    stored = db.insert_navdata

    def insert(conn, received, rows):
        if any(row["point"] == 1050 for row in rows):
            raise errors.ServiceUnavailableError("Database unavailable")
        return stored(conn, received, rows)

    monkeypatch.setattr(db, "insert_navdata", insert)
    warned: list[tuple[str, dict]] = []
    monkeypatch.setattr(logger(), "warning", lambda message, extra: warned.append((message, extra)))
    event = {
        "Records": [
            _sqs_record("good", json.dumps([header(n) for n in range(3)])),
            _sqs_record("not-json", "{not json"),
            _sqs_record("not-a-batch", "5"),
            _sqs_record("bad-header", json.dumps([header(10), {**header(11), "lat": 91.0}])),
            _sqs_record("database-away", json.dumps([header(50)])),
            _sqs_record("refused-by-the-database", json.dumps([{**header(30), "remark": "a\u0000b"}])),
            _sqs_record("one-header", json.dumps(header(20))),
        ]
    }
    assert _worker()(event) == {"batchItemFailures": [{"itemIdentifier": "database-away"}]}
    assert sorted(i["point"] for i in listed(client)[0]) == [1000, 1001, 1002, 1020]
    reasons = [extra["reason"] for message, extra in warned if message == "navigation message rejected"]
    assert len(reasons) == 4
    assert reasons[0] == "The message is not JSON"
    assert reasons[1].startswith("The body must be a JSON array")
    assert reasons[2].startswith("item 1: lat: must be within")
    assert reasons[3] == "A value is out of range or malformed"
    assert warned[0][1]["body_start"] == "{not json"


def test_a_bad_message_is_not_retried_a_transient_failure_reaches_the_dlq(project, aws, monkeypatch):
    from chalicelib import errors
    from chalicelib.db import navdata as db
    from chalicelib.settings import get_settings
    from tests.integration.ingest_support import deliver_all

    tries: list[int] = []

    def away(conn, received, rows):
        tries.append(len(rows))
        raise errors.ServiceUnavailableError("Database unavailable")

    sqs = aws.sqs()
    url = aws.queue_url(get_settings().navdata_queue)
    dlq = aws.queue_url(get_settings().navdata_queue + "-dlq")
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "0"})

    def waiting(queue: str) -> int:
        found = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"])
        return int(found["Attributes"]["ApproximateNumberOfMessages"])

    _send(aws, "not json")
    assert deliver_all(handler="store_navdata_messages") == 1  # received once, then deleted
    assert (waiting(url), waiting(dlq)) == (0, 0)

    monkeypatch.setattr(db, "insert_navdata", away)
    _send(aws, json.dumps([header(0)]))
    for _ in range(8):
        assert deliver_all(handler="store_navdata_messages") == 0  # nothing done with it
    assert len(tries) == 5 and (waiting(url), waiting(dlq)) == (0, 1)  # the redrive count, then the DLQ
    assert count("SELECT count(*) FROM navdata") == 0


def test_the_hourly_schedule_expires_each_project_past_its_retention_days(client):
    from scripts.dispatcher import LocalContext, rate_seconds, resolve, schedule_event
    from tests.integration.ingest_support import dispatcher

    make_project("alpha", configuration={**CONFIGURATION, "navdata": {"retention_days": 60}})
    beta_pattern = {"regex": "^BETA-(10|20)([0-9]{4})([0-9])([0-9]{3})$", "captures": CAPTURES}
    make_project(
        "beta", configuration={"online": {"line": {"pattern": beta_pattern}}, "navdata": {"retention_days": 10}}
    )
    now = datetime.now(UTC)

    def at(days: float, n: int, line: str) -> dict:
        return {**header(n, line=line), "tstamp": (now - timedelta(days=days)).isoformat()}

    sent = [
        at(40, 0, ONLINE_LINE),  # alpha: kept (60 days)
        at(61, 1, ONLINE_LINE),  # alpha: gone
        at(9, 2, "BETA-1052100077"),  # beta, sequence 77: kept (10 days)
        at(11, 3, "BETA-1052100077"),  # beta, sequence 77: gone; 77 is kept (its latest header is 9 days old)
        at(11, 4, "BETA-1052120078"),  # beta, sequence 78: gone, and with it the sequence
        at(31, 5, "TRANSIT"),  # no project: gone (30 days)
        at(29, 6, "TRANSIT"),  # no project: kept
    ]
    assert post(client, sent)[0] == 201
    online = {(i["point"], i.get("_schema") is not None) for i in listed(client)[0]}
    assert online == {
        (1000, True),
        (1001, True),
        (1002, True),
        (1003, True),
        (1004, True),
        (1005, False),
        (1006, False),
    }
    assert count("SELECT count(*) FROM navdata_sequence WHERE pid = 'beta'") == 2

    schedule = next(s for s in dispatcher().schedules if s.name == "expire_navdata")
    assert rate_seconds(schedule.schedule_expression) == 3600
    report = resolve(schedule.handler_string)(schedule_event(schedule.name), LocalContext(schedule.name))
    assert report == {"items": 4, "sequences": 1}
    assert sorted(i["point"] for i in listed(client)[0]) == [1000, 1002, 1006]
    status, beta, _ = get(client, "/project/beta/sequence")
    assert status == 200 and [s["sequence"] for s in beta] == [77]
    # Nothing more is past its time: the next run deletes nothing.
    assert resolve(schedule.handler_string)(schedule_event(schedule.name), LocalContext(schedule.name)) == {
        "items": 0,
        "sequences": 0,
    }


def test_the_expiry_reads_only_what_may_be_due_through_the_time_index():
    """30 days of a header a minute for a project keeping 60 days and one keeping 30: the hourly delete finds
    its candidates (older than the shortest retention) through the time index, not by reading the feed."""
    from chalicelib import db
    from chalicelib.db import navdata as navdata_db
    from chalicelib.db.queries import queries

    make_project("alpha", configuration={**CONFIGURATION, "navdata": {"retention_days": 60}})
    make_project("beta", configuration={"navdata": {"retention_days": 30}})
    conn = db.connection()
    conn.execute(
        "INSERT INTO navdata (tstamp, received, lon, lat, online, pid, data) "
        "SELECT now() - make_interval(mins => g), now(), 2.0 + g * 1e-6, 59.0, true, "
        "       (ARRAY['alpha', 'beta'])[1 + g % 2], '{}'::jsonb "
        "FROM generate_series(0, 31 * 1440) g"
    )
    conn.execute("ANALYZE navdata")
    q = queries("navdata")
    params: dict = {"default_days": 30}
    with conn.transaction():
        params["bound"] = conn.execute(q.expiry_bound, params).fetchone()["bound"]
        [[plan]] = conn.execute("EXPLAIN (FORMAT JSON) " + q.expire_navdata, params).fetchall()[0].values()

    def scans(node: dict) -> list[tuple[str, str]]:
        found = [(node["Node Type"], node.get("Relation Name", ""))]
        for child in node.get("Plans", []):
            found += scans(child)
        return found

    of_navdata = [kind for kind, relation in scans(plan["Plan"]) if relation == "navdata"]
    assert of_navdata and "Seq Scan" not in of_navdata, of_navdata
    assert navdata_db.expire_navdata(30) == {"items": 720, "sequences": 0}  # beta's last day of the 31


def test_the_feed_is_kept_for_the_retention_days_of_its_project(client):
    from chalicelib.services import navdata

    make_project("alpha", configuration={**CONFIGURATION, "navdata": {"retention_days": 60}})
    now = datetime.now(UTC)

    def at(days: float, n: int, line: str) -> dict:
        return {**header(n, line=line), "tstamp": (now - timedelta(days=days)).isoformat()}

    old_online = [at(40, 0, ONLINE_LINE), at(61, 1, ONLINE_LINE)]
    old_offline = [at(31, 2, "TRANSIT"), at(29, 3, "TRANSIT")]
    assert post(client, old_online + old_offline)[0] == 201
    assert navdata.expire() == {"items": 2, "sequences": 0}
    kept = {(i["_online"], i["point"]) for i in listed(client)[0]}
    assert kept == {(True, 1000), (False, 1003)}  # 40 days < 60 for the project; 29 < 30 without one
