"""Spec tag "log": history, changes since, labels, system events, representations, CSV."""

from __future__ import annotations

import csv
import io
import itertools
import json
import threading
from datetime import UTC, datetime, timedelta

import jsonschema
import pytest
import yaml

from dougal_sim import simulator as sim
from tests.contract.test_contract import SPEC_PATH, _jsonschema
from tests.integration.factories import as_role, make_project
from tests.integration.ingest_support import CONFIGURATION, survey, upload

START = datetime(2021, 10, 8, 23, 40, tzinfo=UTC)
T0 = "2021-10-08T10:00:00+00:00"


@pytest.fixture
def project(aws):
    configuration = {
        **CONFIGURATION,
        "labels": {
            "Swell": {"view": {"colour": "#123456"}},
            "Nav": {"view": {"description": "Navigation and positioning"}},
        },
    }
    make_project("alpha", configuration=configuration)
    return "alpha"


def call(client, method, path, body=None, role="user", content_type="application/json", **headers):
    raw = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else b"")
    response = client.request(
        method, path, body=raw, headers={**as_role(role), "Content-Type": content_type, **headers}
    )
    text = response.body.decode() if response.body else ""
    try:
        data = json.loads(text) if text else None
    except ValueError:
        data = text
    return response.status_code, data, response.headers


def create(client, **fields):
    status, body, _ = call(client, "POST", "/project/alpha/event", {"remarks": "", **fields})
    assert status == 201, body
    return body


def current(client, **query):
    q = "&".join(f"{k}={v}" for k, v in query.items())
    return call(client, "GET", f"/project/alpha/event?{q}", role="guest")[1]


# ------------------------------------------------------------------ history


def test_edit_history_delete_and_undelete(client, project):
    event = create(client, tstamp=T0, remarks="Gun 3 dropout", labels=["Gun"])
    assert event["id"] == event["uid"] and event["has_edits"] is False
    eid = event["id"]
    status, patched, _ = call(client, "PATCH", f"/project/alpha/event/{eid}", {"remarks": "Gun 3 dropout, fixed"})
    assert status == 201 and patched["labels"] == ["Gun"] and patched["has_edits"] is True
    assert patched["uid"] != eid and patched["id"] == eid
    status, put, _ = call(client, "PUT", f"/project/alpha/event/{eid}", {"tstamp": T0, "remarks": "replaced"})
    assert status == 201 and put["labels"] == [] and put["remarks"] == "replaced"
    history = call(client, "GET", f"/project/alpha/event/{eid}", role="guest")[1]
    assert [h["remarks"] for h in history] == ["Gun 3 dropout", "Gun 3 dropout, fixed", "replaced"]
    for older, newer in itertools.pairwise(history):
        assert older["validity"][2] == newer["validity"][1]
    assert (
        history[-1]["validity"][0] == "[" and history[-1]["validity"][2] is None and history[-1]["validity"][3] == ")"
    )
    assert [e["id"] for e in current(client)] == [eid]

    assert call(client, "DELETE", f"/project/alpha/event/{eid}")[0] == 204
    assert call(client, "DELETE", f"/project/alpha/event/{eid}")[0] == 204  # idempotent
    assert current(client) == []
    history = call(client, "GET", f"/project/alpha/event/{eid}", role="guest")[1]
    assert len(history) == 3 and history[-1]["validity"][2] is not None
    assert call(client, "PATCH", f"/project/alpha/event/{eid}", {"remarks": "x"})[0] == 404

    # Undelete: PUT an old instance back.
    first = history[0]
    body = {k: first[k] for k in ("tstamp", "sequence", "point", "remarks", "labels", "meta")}
    assert call(client, "PUT", f"/project/alpha/event/{eid}", body)[0] == 201
    [back] = current(client)
    assert back["remarks"] == "Gun 3 dropout" and back["labels"] == ["Gun"] and back["has_edits"] is True
    assert len(call(client, "GET", f"/project/alpha/event/{eid}", role="guest")[1]) == 4
    assert call(client, "DELETE", "/project/alpha/event/424242")[0] == 404
    assert call(client, "GET", "/project/alpha/event/424242", role="guest")[0] == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"remarks": "no anchor"}, "tstamp"),
        ({"sequence": 55, "remarks": "no point"}, "tstamp"),
        ({"tstamp": "yesterday"}, "tstamp"),
        ({"tstamp": "2021-10-08T10:00:00"}, "time zone"),
        ({"sequence": 55.5, "point": 1000}, "sequence"),
        ({"tstamp": T0, "labels": ["Nonsense"]}, "Nonsense"),
        ({"tstamp": T0, "labels": ["QC"]}, "system"),
        ({"tstamp": T0, "labels": ["FSP"]}, "system"),
        ({"tstamp": T0, "colour": "red"}, "colour"),
    ],
)
def test_bad_events_are_400_and_write_nothing(client, project, body, field):
    status, answer, _ = call(client, "POST", "/project/alpha/event", body)
    assert status == 400 and field in answer["message"]
    assert current(client) == []


def test_readonly_meta_cannot_be_forged(client, project):
    event = create(client, tstamp=T0, meta={"readonly": True, "qc": {"test": "x"}, "note": "kept"})
    assert event["meta"] == {"note": "kept"}
    assert call(client, "DELETE", f"/project/alpha/event/{event['id']}")[0] == 204


# ------------------------------------------------------------------ changes since


def test_changes_since_with_and_without_unique(client, project):
    start = call(client, "GET", "/project/alpha/changes/1970-01-01T00:00:00Z", role="guest")
    assert start[0] == 200 and start[1] == []
    a = create(client, tstamp=T0, remarks="a")
    b = create(client, tstamp=T0, remarks="b")
    call(client, "PATCH", f"/project/alpha/event/{a['id']}", {"remarks": "a2"})
    call(client, "DELETE", f"/project/alpha/event/{b['id']}")
    _status, everything, headers = call(client, "GET", "/project/alpha/changes/1970-01-01T00:00:00Z", role="guest")
    kinds = [(c["id"], c.get("remarks"), c["is_deleted"]) for c in everything]
    assert kinds == [(a["id"], "a", False), (b["id"], "b", False), (a["id"], "a2", False), (b["id"], None, True)]
    assert everything[-1] == {
        "id": b["id"],
        "uid": b["uid"],
        "is_deleted": True,
        "changed_on": everything[-1]["changed_on"],
    }
    assert headers["X-Changes-Until"] == everything[-1]["changed_on"]
    unique = call(client, "GET", "/project/alpha/changes/1970-01-01T00:00:00Z?unique=t", role="guest")[1]
    assert [(c["id"], c.get("remarks"), c["is_deleted"]) for c in unique] == [
        (a["id"], "a2", False),
        (b["id"], None, True),
    ]
    # Boundary: a change at exactly `since` is not included; later ones are.
    third = everything[2]["changed_on"]
    after = call(client, "GET", f"/project/alpha/changes/{third}", role="guest")[1]
    assert [c["is_deleted"] for c in after] == [True]
    assert call(client, "GET", "/project/alpha/changes/not-a-time", role="guest")[0] == 400


def test_polling_with_the_last_change_time_loses_and_repeats_nothing(client, project):
    """Writers in threads (each its own connection, as concurrent Lambdas), a reader polling with
    X-Changes-Until: every instance is seen exactly once."""
    from chalicelib import db
    from chalicelib.models.events import EventNew
    from chalicelib.services import events

    stop = threading.Event()
    errors = []

    def writer(n):
        try:
            for i in range(15):
                event = events.create_event("alpha", EventNew(tstamp=T0, remarks=f"{n}-{i}"), "writer")
                events.update_event("alpha", event.id, {"remarks": f"{n}-{i}+"}, "writer")
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    seen: list[int] = []
    since = "1970-01-01T00:00:00+00:00"
    while any(t.is_alive() for t in threads) or not stop.is_set():
        if not any(t.is_alive() for t in threads):
            stop.set()
        status, found, headers = call(
            client, "GET", f"/project/alpha/changes/{since.replace('+', '%2B')}", role="guest"
        )
        assert status == 200
        seen.extend(c["uid"] for c in found)
        since = headers["X-Changes-Until"]
    assert errors == []
    all_uids = [r["uid"] for r in db.connection().execute("SELECT uid FROM event ORDER BY uid")]
    assert sorted(seen) == all_uids and len(all_uids) == 90


# ------------------------------------------------------------------ labels


def test_labels_defaults_and_configuration(client, project):
    labels = {x["name"]: x["data"] for x in call(client, "GET", "/project/alpha/label", role="guest")[1]}
    for name in (
        "FSP",
        "LSP",
        "FGSP",
        "FCSP",
        "LCSP",
        "LGSP",
        "LGFFSP",
        "LCFFSP",
        "FNTBP",
        "LNTBP",
        "LDSP",
        "FDSP",
        "Nav",
        "Gun",
        "Streamer",
        "Weather",
        "Downtime",
        "Comment",
        "QC",
        "Swell",
    ):
        assert name in labels, name
    assert labels["QC"]["model"]["user"] is False and labels["FSP"]["model"]["user"] is False
    assert labels["FGSP"]["model"]["multiple"] is False
    assert labels["Nav"]["view"]["description"] == "Navigation and positioning"
    assert labels["Nav"]["view"]["colour"]  # default kept where the configuration says nothing
    assert labels["Swell"]["model"] == {"user": True, "multiple": True}
    create(client, tstamp=T0, labels=["Swell"])


def test_single_label_moves_within_a_sequence(client, project):
    a = create(client, sequence=55, point=1010, remarks="first good?", labels=["FGSP", "Nav"])
    b = create(client, sequence=55, point=1020, remarks="no, here", labels=["FGSP"])
    other = create(client, sequence=56, point=1010, labels=["FGSP"])
    by_id = {e["id"]: e for e in current(client)}
    assert by_id[a["id"]]["labels"] == ["Nav"] and by_id[a["id"]]["has_edits"] is True
    assert by_id[b["id"]]["labels"] == ["FGSP"] and by_id[other["id"]]["labels"] == ["FGSP"]
    call(client, "PATCH", f"/project/alpha/event/{a['id']}", {"labels": ["Nav", "FGSP"]})
    by_id = {e["id"]: e for e in current(client)}
    assert by_id[b["id"]]["labels"] == [] and "FGSP" in by_id[a["id"]]["labels"]


# ------------------------------------------------------------------ system events and late shots


def _system(client):
    return {e["labels"][0]: e for e in current(client) if e["meta"].get("readonly")}


def test_system_events_on_import_and_reimport(client, project):
    from chalicelib import aws, db

    srv = survey()
    truth = srv.sequence(55, 5210, start=START + timedelta(minutes=10))  # 23:50 → across midnight
    upload(aws, "alpha/raw/s055.p111", sim.write_p111(truth, kind="raw"))
    system = _system(client)
    assert sorted(system) == ["FDSP", "FSP", "LDSP", "LSP"]
    shots = sorted(truth.shots, key=lambda s: s.tstamp)
    before_midnight = [s for s in shots if s.tstamp.date() == START.date()]
    assert 0 < len(before_midnight) < len(shots)
    assert system["FSP"]["point"] == shots[0].point and system["LSP"]["point"] == shots[-1].point
    assert system["LDSP"]["point"] == before_midnight[-1].point
    assert system["FDSP"]["point"] == shots[len(before_midnight)].point
    assert datetime.fromisoformat(system["FSP"]["tstamp"]) == shots[0].tstamp
    assert system["FSP"]["meta"]["geometry"]["coordinates"] == [
        pytest.approx(shots[0].lon),
        pytest.approx(shots[0].lat),
    ]
    fsp = system["FSP"]["id"]
    for method, body in (("PUT", {"tstamp": T0}), ("PATCH", {"remarks": "mine"}), ("DELETE", None)):
        status, answer, _ = call(client, method, f"/project/alpha/event/{fsp}", body)
        assert status == 403 and "read-only" in answer["message"]

    # Same data again (final file): nothing changes; other data: new instances, never duplicates.
    upload(aws, "alpha/final/s055.p111", sim.write_p111(truth, kind="final"))
    assert len(call(client, "GET", f"/project/alpha/event/{fsp}", role="guest")[1]) == 1
    shorter = srv.sequence(55, 5210, start=START + timedelta(minutes=25), first_point=1010, last_point=1100)
    upload(aws, "alpha/final/s055-v2.p111", sim.write_p111(shorter))
    system = _system(client)
    assert sorted(system) == ["FSP", "LSP"]  # no longer crosses midnight
    assert system["FSP"]["id"] == fsp and system["FSP"]["point"] == 1010
    assert len(call(client, "GET", f"/project/alpha/event/{fsp}", role="guest")[1]) == 2
    count = db.connection().execute("SELECT count(*) AS n FROM event WHERE upper_inf(validity)").fetchone()["n"]
    assert count == 2


def test_event_waiting_for_its_shot_gets_time_and_position(client, project):
    from chalicelib import aws

    event = create(client, sequence=55, point=1050, remarks="Streamer 4 feather", labels=["Streamer"])
    assert event["tstamp"] is None and "geometry" not in event["meta"]
    truth = survey().sequence(55, 5210, start=START)
    upload(aws, "alpha/raw/s055.p111", sim.write_p111(truth, kind="raw"))
    filled = next(e for e in current(client) if e["id"] == event["id"])
    shot = next(s for s in truth.shots if s.point == 1050)
    assert datetime.fromisoformat(filled["tstamp"]) == shot.tstamp
    assert filled["meta"]["geometry"]["type"] == "Point" and filled["has_edits"] is True
    history = call(client, "GET", f"/project/alpha/event/{event['id']}", role="guest")[1]
    assert [h["tstamp"] is None for h in history] == [True, False]
    # An event for a shot that exists already is filled at once.
    now = create(client, sequence=55, point=1060)
    assert datetime.fromisoformat(now["tstamp"]) == next(s for s in truth.shots if s.point == 1060).tstamp


# ------------------------------------------------------------------ representations


def _seis_validator():
    spec = yaml.safe_load(SPEC_PATH.read_text())
    schemas = spec["components"]["schemas"]
    return jsonschema.Draft7Validator(_jsonschema(schemas["SeisExport"], schemas))


def test_list_filters_order_and_total(client, project):
    create(client, tstamp="2021-10-09T08:00:00Z", remarks="c", labels=["Weather"])
    create(client, tstamp="2021-10-08T08:00:00Z", sequence=56, point=1000, remarks="b", labels=["Nav"])
    create(client, tstamp="2021-10-08T08:00:00Z", sequence=55, point=1000, remarks="a", labels=["Nav"])
    create(client, tstamp="2021-10-10T00:00:00Z", sequence=57, point=3, remarks="d")
    assert [e["remarks"] for e in current(client)] == ["a", "b", "c", "d"]
    assert [e["remarks"] for e in current(client, sequence="55;57")] == ["a", "d"]
    assert [e["remarks"] for e in current(client, date0="2021-10-09", date1="2021-10-09")] == ["c"]
    assert [e["remarks"] for e in current(client, date1="2021-10-09")] == ["a", "b", "c"]
    assert [e["remarks"] for e in current(client, label="Nav")] == ["a", "b"]
    _status, page, headers = call(client, "GET", "/project/alpha/event?limit=2&offset=1", role="guest")
    assert [e["remarks"] for e in page] == ["b", "c"] and headers["X-Total-Count"] == "4"
    assert call(client, "GET", "/project/alpha/event?date0=monday", role="guest")[0] == 400
    assert call(client, "GET", "/project/alpha/event", role="guest", Accept="application/xml")[0] == 406


def test_geojson_has_only_events_with_a_position(client, project):
    create(client, tstamp=T0, remarks="placed", meta={"geometry": {"type": "Point", "coordinates": [2.5, 59.1]}})
    create(client, tstamp=T0, remarks="nowhere")
    status, collection, headers = call(
        client, "GET", "/project/alpha/event", role="guest", Accept="application/geo+json"
    )
    assert status == 200 and headers["Content-Type"] == "application/geo+json"
    assert collection["type"] == "FeatureCollection"
    [feature] = collection["features"]
    assert feature["geometry"] == {"type": "Point", "coordinates": [2.5, 59.1]}
    assert feature["properties"]["remarks"] == "placed"


def test_seis_json_export(client, project):
    from chalicelib import aws, db

    srv = survey()
    upload(aws, "alpha/preplot/p.sps", sim.write_sps_preplot(srv))
    truth = srv.sequence(55, 5210, attempt=1, start=START + timedelta(minutes=10), missing=[1030])
    upload(aws, "alpha/final/s.p111", sim.write_p111(truth))
    call(client, "PATCH", "/project/alpha/sequence/55", {"meta": {"infill": True}})
    create(client, sequence=55, point=1005, labels=["FGSP"], remarks="good from here")
    create(client, sequence=55, point=1110, labels=["LGSP"])
    create(client, sequence=55, point=1050, labels=["Nav"], remarks="not in Seis+JSON")
    # QC findings (written by the QC worker): open ones are summarised, accepted ones never appear.
    conn = db.connection()
    for point, accepted in ((1040, False), (1041, True)):
        conn.execute(
            "INSERT INTO event (uid, id, pid, tstamp, sequence, point, remarks, labels, meta, validity) "
            "SELECT v, v, 'alpha', %s, 55, %s, 'speed', '{QC}', %s::jsonb, tstzrange(now(), NULL) "
            "FROM (SELECT nextval(pg_get_serial_sequence('event', 'uid')) AS v) n",
            (START, point, json.dumps({"readonly": True, "qc": {"test": "speed", "accepted": accepted}})),
        )
    status, document, headers = call(
        client, "GET", "/project/alpha/event?sequence=55", role="guest", Accept="application/vnd.seis+json"
    )
    assert status == 200 and headers["Content-Type"] == "application/vnd.seis+json"
    _seis_validator().validate(document)
    assert document["DglProjectId"] == "alpha"
    [seq] = document["Sequences"]
    ids = [e["EntryTypeId"] for e in seq["Entries"]]
    assert ids[0] == 3000 and ids[-1] == 3007 and 3001 in ids and 3006 in ids and 3003 in ids
    times = [e["Time"] for e in seq["Entries"]]
    assert times == sorted(times) and all(t.endswith("Z") for t in times)
    fsp, lsp = seq["Entries"][0], seq["Entries"][-1]
    sequence = call(client, "GET", "/project/alpha/sequence/55", role="guest")[1]
    # Heading is the true (geodetic) azimuth from the first to the last shot; the API's azimuth the grid's.
    from pyproj import Geod

    shots = sorted(truth.shots, key=lambda s: (s.tstamp, s.objref))
    first, last = shots[0], shots[-1]
    true = Geod(ellps="WGS84").inv(first.lon, first.lat, last.lon, last.lat)[0] % 360
    assert fsp["Heading"] == pytest.approx(true, abs=1e-6) and fsp["IsReshoot"] is True
    assert abs(fsp["Heading"] - sequence["azimuth"]) > 0.3  # 30 km west of the central meridian at 59 N
    assert fsp["LineNumber"] == "5210" and fsp["LineType"] == "Infill" and fsp["IsUndershoot"] is False
    assert lsp["LineStatus"] == "Incomplete" and lsp["IsNTBP"] is False
    assert "1040" in lsp["Comment"] and "1041" not in lsp["Comment"]
    assert (seq["DglNumPoints"], seq["DglNumMissing"]) == (sequence["num_points"], 1)
    assert seq["DglLength"] == pytest.approx(sequence["length"])
    good = next(e for e in seq["Entries"] if e["EntryTypeId"] == 3001)
    assert good["ShotPointId"] == 1005 and good["Comment"] == "good from here"
    same = call(client, "GET", "/project/alpha/sequence/55", role="guest", Accept="application/vnd.seis+json")
    assert same[1] == document


def test_seis_json_line_status_pending_and_complete(client, project):
    from chalicelib import aws

    srv = survey()
    upload(aws, "alpha/preplot/p.sps", sim.write_sps_preplot(srv))
    raw = srv.sequence(55, 5210, start=START)
    upload(aws, "alpha/raw/s.p111", sim.write_p111(raw, kind="raw"))
    doc = call(client, "GET", "/project/alpha/sequence/55", role="guest", Accept="application/vnd.seis+json")[1]
    assert doc["Sequences"][0]["Entries"][-1]["LineStatus"] == "Pending"
    upload(aws, "alpha/final/s.p111", sim.write_p111(raw))
    doc = call(client, "GET", "/project/alpha/sequence/55", role="guest", Accept="application/vnd.seis+json")[1]
    assert doc["Sequences"][0]["Entries"][-1]["LineStatus"] == "Complete"
    _seis_validator().validate(doc)


# ------------------------------------------------------------------ CSV


def test_csv_export_options(client, project):
    create(
        client,
        tstamp="2021-10-08T08:00:00Z",
        sequence=55,
        point=1000,
        remarks='says "hello", twice\nnext line',
        labels=["Nav", "Gun"],
    )
    status, text, headers = call(client, "GET", "/project/alpha/event", role="guest", Accept="text/csv")
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == ["tstamp", "sequence", "point", "remarks", "labels"]
    assert rows[1] == ["2021-10-08T08:00:00+00:00", "55", "1000", 'says "hello", twice\nnext line', "Nav;Gun"]
    assert text.endswith("\r\n") and '"says ""hello"", twice' in text
    status, text, _ = call(
        client,
        "GET",
        "/project/alpha/event?fields=timestamp,text&delimiter=;&header=no",
        role="guest",
        Accept="text/csv",
    )
    assert list(csv.reader(io.StringIO(text, newline=""), delimiter=";")) == [
        ["2021-10-08T08:00:00+00:00", 'says "hello", twice\nnext line']
    ]
    assert call(client, "GET", "/project/alpha/event?fields=colour", role="guest", Accept="text/csv")[0] == 400


def test_csv_round_trip_into_another_project(client, project):
    make_project("beta", configuration=CONFIGURATION)
    create(client, tstamp="2021-10-08T08:00:00Z", sequence=55, point=1000, remarks="a, with comma", labels=["Nav"])
    create(client, tstamp="2021-10-08T09:00:00Z", remarks='quote "q"', labels=["Weather", "Downtime"])
    text = call(client, "GET", "/project/alpha/event", role="guest", Accept="text/csv")[1]
    status, answer, _ = call(client, "POST", "/project/beta/event", text.encode(), content_type="text/csv")
    assert status == 201 and answer["created"] == 2
    fields = ("tstamp", "sequence", "point", "remarks", "labels")
    alpha = [{k: e[k] for k in fields} for e in current(client)]
    beta = [{k: e[k] for k in fields} for e in call(client, "GET", "/project/beta/event", role="guest")[1]]
    assert alpha == beta


def test_csv_import_is_all_or_nothing(client, project):
    text = (
        "tstamp,sequence,point,remarks,labels\r\n"
        "2021-10-08T08:00:00Z,55,1000,fine,Nav\r\n"
        "2021-10-08T09:00:00Z,55,not-a-point,bad,Nav\r\n"
    )
    status, answer, _ = call(client, "POST", "/project/alpha/event", text.encode(), content_type="text/csv")
    assert status == 400 and "row 3" in answer["message"]
    text = "remarks,labels\r\nno anchor,Nav\r\n"
    status, answer, _ = call(client, "POST", "/project/alpha/event", text.encode(), content_type="text/csv")
    assert status == 400 and "row 2" in answer["message"]
    text = "2021-10-08T08:00:00Z;55;1000;fine;QC\n"
    status, answer, _ = call(
        client, "POST", "/project/alpha/event?delimiter=;&header=false", text.encode(), content_type="text/csv"
    )
    assert status == 400 and "row 1" in answer["message"] and "system" in answer["message"]
    assert current(client) == []
    status, answer, _ = call(client, "POST", "/project/alpha/event", b"<xml/>", content_type="application/xml")
    assert status == 415 and "message" in answer
