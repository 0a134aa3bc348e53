"""Bad input is a 4xx naming what is wrong, never a 500: out-of-range integers, odd digits, deep JSON,
huge CSV fields, sizes of user data, the configuration's schema; and the bounded lists."""

from __future__ import annotations

import csv
import json

import pytest

from chalicelib import db, errors
from chalicelib.models.configuration import check_pattern
from tests.integration.factories import as_role, make_project

BIG = "3000000000"  # past a 32-bit integer
DIGITS_20 = "12345678901234567890"  # past a 64-bit integer
EVENT = {"tstamp": "2021-10-08T10:00:00Z", "remarks": "x"}


def call(client, method, path, body=None, role="master", content_type="application/json"):
    raw = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else b"")
    response = client.request(method, path, body=raw, headers={**as_role(role), "Content-Type": content_type})
    text = response.body.decode() if response.body else ""
    try:
        data = json.loads(text) if text else None
    except ValueError:
        data = text
    return response.status_code, data, response.headers


@pytest.fixture
def project():
    make_project("alpha")
    return "alpha"


# (method, path, body, content type, the parameter the 400 names)
OUT_OF_RANGE = [
    ("GET", f"/project/alpha/event?sequence={BIG}", None, None, "sequence"),
    ("GET", f"/project/alpha/event?sequence=1;{BIG}", None, None, "sequence"),
    ("GET", f"/project/alpha/event?offset={DIGITS_20}", None, None, "offset"),
    ("GET", f"/project/alpha/event?limit={DIGITS_20}", None, None, "limit"),
    ("GET", f"/project/alpha/event/{DIGITS_20}", None, None, "id"),
    ("PUT", f"/project/alpha/event/{DIGITS_20}", EVENT, None, "id"),
    ("PATCH", f"/project/alpha/event/{DIGITS_20}", {"remarks": "x"}, None, "id"),
    ("DELETE", f"/project/alpha/event/{DIGITS_20}", None, None, "id"),
    ("POST", "/project/alpha/event", {**EVENT, "sequence": int(BIG), "point": 1}, None, "sequence"),
    ("POST", "/project/alpha/event", {**EVENT, "sequence": 1, "point": -int(BIG)}, None, "point"),
    ("POST", "/project/alpha/event", f"sequence,point,remarks\r\n{BIG},1,x\r\n".encode(), "text/csv", "sequence"),
    ("GET", f"/project/alpha/changes/1970-01-01T00:00:00Z?limit={DIGITS_20}", None, None, "limit"),
    ("GET", f"/project/alpha/sequence/{BIG}", None, None, "sequence"),
    ("GET", f"/project/alpha/sequence?offset={DIGITS_20}", None, None, "offset"),
    ("PATCH", f"/project/alpha/sequence/{BIG}", {"remarks": "x"}, None, "sequence"),
    ("GET", f"/project/alpha/sequence/1/{BIG}", None, None, "shot"),
    ("GET", f"/project/alpha/line?limit={BIG}", None, None, "limit"),
    ("PATCH", f"/project/alpha/line/{BIG}", {"remarks": "x"}, None, "line"),
    ("GET", f"/project/alpha/files?offset={DIGITS_20}", None, None, "offset"),
    ("GET", f"/project/alpha/qc/results?offset={DIGITS_20}", None, None, "offset"),
    ("GET", f"/project/alpha/qc/results/sequence/{BIG}", None, None, "sequence"),
    ("DELETE", f"/project/alpha/qc/results/sequence/{BIG}", None, None, "sequence"),
    ("POST", "/project/alpha/qc/results/accept", [2**63], None, "event ids"),
    ("POST", "/project/alpha/qc/results/unaccept", [2**64 + 1], None, "event ids"),
    ("GET", "/project/alpha/sequence/١٢", None, None, "sequence"),  # Arabic-Indic digits
    ("GET", "/project/alpha/sequence/1_000", None, None, "sequence"),
    ("GET", "/project/alpha/sequence/%C2%B2", None, None, "sequence"),  # ²
]


@pytest.mark.parametrize(("method", "path", "body", "content_type", "name"), OUT_OF_RANGE)
def test_out_of_range_and_odd_integers_are_a_400_naming_the_parameter(
    client, project, method, path, body, content_type, name
):
    status, found, _ = call(client, method, path, body, content_type=content_type or "application/json")
    assert status == 400, found
    assert name in found["message"]


def test_a_data_error_at_the_database_edge_is_a_400():
    with pytest.raises(errors.BadRequestError), db.cursor() as conn:
        conn.execute("SELECT %s::integer", (int(BIG),))


def test_a_unicode_digit_as_an_array_index_is_a_400_naming_it(client):
    make_project("alpha", configuration={"list": ["a", "b", "c"]})
    assert call(client, "PUT", "/project/alpha/info/key", {"list": ["a", "b", "c"]})[0] in (200, 201, 204)
    for prefix in ("/project/alpha/configuration/list", "/project/alpha/info/key/list"):
        assert call(client, "GET", f"{prefix}/1", role="guest")[1] == "b"
        for index, shown in (("%C2%B2", "'²'"), ("%D9%A1", "'\u0661'"), ("1_0", "'1_0'"), ("x", "'x'")):
            status, found, _ = call(client, "GET", f"{prefix}/{index}", role="guest")
            assert status == 400, (prefix, index, found)
            assert shown in found["message"] and "ASCII digits" in found["message"], found
    # An index past the end is absent: 404 from the configuration (info answers absence without an error).
    assert call(client, "GET", "/project/alpha/configuration/list/99999999999999999999", role="guest")[0] == 404


def test_the_path_walker_of_element_meta_refuses_a_unicode_index_too():
    from chalicelib.services import jsonpaths

    meta = {"weather": [{"swell": 1}]}
    assert jsonpaths.walk(meta, ["weather", "0", "swell"]) == 1
    with pytest.raises(errors.BadRequestError, match="'²' is not an index of the array at weather"):
        jsonpaths.walk(meta, ["weather", "²", "swell"])
    with pytest.raises(errors.BadRequestError, match="'²'"):
        jsonpaths.put(meta, ["weather", "²"], 2)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/project/alpha/event"),
        ("PUT", "/project/alpha/configuration"),
        ("PUT", "/project/alpha/info/deep"),
        ("POST", "/project"),
        ("POST", "/login"),
        ("POST", "/project/alpha/qc/results/accept"),
    ],
)
def test_deeply_nested_json_bodies_are_a_400(client, project, method, path):
    for depth in (40, 100_000):
        body = ("[" * depth + "]" * depth).encode()
        status, found, _ = call(client, method, path, body)
        assert status == 400, (depth, found)
    status, found, _ = call(client, "PUT", "/project/alpha/info/deep", ('{"a":' * 40 + "1" + "}" * 40).encode())
    assert status == 400 and "32" in found["message"]


def test_a_csv_field_over_the_csv_modules_limit_is_a_400(client, project):
    huge = "x" * (csv.field_size_limit() + 10)
    body = f'tstamp,remarks\r\n2021-10-08T10:00:00Z,"{huge}"\r\n'.encode()
    status, found, _ = call(client, "POST", "/project/alpha/event", body, content_type="text/csv")
    assert status == 400 and "row 2" in found["message"]


# ------------------------------------------------------------ sizes of user data


@pytest.mark.parametrize(
    ("method", "path", "body", "limit"),
    [
        ("POST", "/project/alpha/event", {**EVENT, "meta": {"x": "y" * 70_000}}, "65536"),
        ("POST", "/project/alpha/event", {**EVENT, "remarks": "y" * 10_001}, "10000"),
        ("POST", "/project/alpha/event", {**EVENT, "labels": ["Nav"] + [f"L{i}" for i in range(60)]}, "50"),
        ("PUT", "/project/alpha/info/big", {"x": "y" * 300_000}, "262144"),
        ("PUT", "/project/alpha/configuration", {"notes": "y" * 300_000}, "262144"),
        ("PATCH", "/project/alpha/sequence/1", {"meta": {"x": "y" * 70_000}}, "65536"),
        ("PATCH", "/project/alpha/line/1", {"remarks": "y" * 10_001}, "10000"),
        ("POST", "/project", {"pid": "big", "name": "Big", "meta": {"x": "y" * 70_000}}, "65536"),
    ],
)
def test_user_data_past_its_size_limit_is_a_400_naming_the_limit(client, project, method, path, body, limit):
    status, found, _ = call(client, method, path, body)
    assert status == 400, found
    assert limit in found["message"]


# ------------------------------------------------------------ the configuration's schema

GOOD_CONFIGURATION = {
    "grid": {"epsg": 32631},
    "online": {"line": {"pattern": {"regex": r"^(\d{3})(\d{4})(\d)?$", "captures": ["sequence", "line", "attempt"]}}},
    "labels": {"Swell": {"view": {"colour": "#123456"}, "model": {"multiple": False}}},
    "qc": {"speed": {"min_kn": 3, "max_kn": 6.5, "severity": "error"}, "source_sequence": {"sources": [1, 2]}},
    "planner": {"anything": [1, 2]},
    "navdata": {},
    "p190": {"year": 2021},
    "asaqc": {"id": "x"},
    "something else": {"kept": True},
}

BAD_CONFIGURATIONS = [
    ({"labels": ["Swell"]}, "configuration.labels"),
    ({"labels": {"Swell": "red"}}, "configuration.labels.Swell"),
    ({"labels": {"Swell": {"model": {"multiple": "no"}}}}, "configuration.labels.Swell.model.multiple"),
    ({"qc": []}, "configuration.qc"),
    ({"qc": {"speed": {"min_kn": "fast"}}}, "min_kn"),
    ({"qc": {"speed": {"severity": "fatal"}}}, "configuration.qc.speed.severity"),
    ({"qc": {"speed": {"enabled": "yes"}}}, "configuration.qc.speed.enabled"),
    ({"qc": {"source_sequence": {"sources": "3,4"}}}, "configuration.qc.source_sequence.sources"),
    ({"online": {"line": {"pattern": {"regex": "(unclosed"}}}}, "configuration.online.line.pattern.regex"),
    ({"online": {"line": {"pattern": {"regex": r"(?=\d)(\d+)"}}}}, "configuration.online.line.pattern.regex"),
    ({"online": {"line": {"pattern": {"regex": r"(\d)\1"}}}}, "look-around, no back-references"),
    ({"online": {"line": {"pattern": {"regex": "a" * 201}}}}, "200"),
    ({"online": {"line": {"pattern": {"regex": "^(1)", "captures": ["sequence", "line"]}}}}, "captures"),
    ({"online": {"line": "x"}}, "configuration.online.line"),
    ({"grid": {"epsg": "32631"}}, "configuration.grid.epsg"),
    ({"grid": {"epsg": 2**40}}, "configuration.grid.epsg"),
    ({"grid": 32631}, "configuration.grid"),
    ({"planner": []}, "configuration.planner"),
    ({"navdata": "on"}, "configuration.navdata"),
    ({"p190": 2021}, "configuration.p190"),
    ({"p190": {"year": "2021"}}, "configuration.p190.year"),
    ({"p190": {"year": 21}}, "configuration.p190.year"),
    ({"p190": {"year": 2021.0}}, "configuration.p190.year"),
    ({"asaqc": 1}, "configuration.asaqc"),
]


def test_a_configuration_of_the_right_shape_is_accepted(client, project, aws):
    assert call(client, "PUT", "/project/alpha/configuration", GOOD_CONFIGURATION)[0] == 204
    assert call(client, "GET", "/project/alpha/configuration")[1] == GOOD_CONFIGURATION


@pytest.mark.parametrize(("configuration", "path"), BAD_CONFIGURATIONS)
def test_a_configuration_of_the_wrong_shape_is_a_400_naming_the_path(client, project, configuration, path):
    status, found, _ = call(client, "PUT", "/project/alpha/configuration", configuration)
    assert status == 400, found
    assert path in found["message"]
    assert call(client, "GET", "/project/alpha/configuration")[1] == {}  # nothing written
    status, _, _ = call(client, "POST", "/project", {"pid": "beta", "name": "B", "configuration": configuration})
    assert status == 400


# The shapes that make a backtracking engine take exponential or high polynomial time (the first took
# 90 s on 400 characters with Python's re), and the largest programs RE2 compiles within 200 characters:
# all are accepted and run in time linear in the name.
CATASTROPHIC_PATTERNS = [
    r".*.*.*.*x",
    r"(a+)+$",
    r"^(x|xx)*y",
    r"(a|a)*b",
    r"^(\d+\d+)+S(\d+)$",
    r"(.*a){12}",
    r"((?:.*a){999})",
    r"(.{0,1000})",
    r"((.{0,30}){30})",
    r"(\w{0,999})x",
    r"^.*(10|20)([0-9]{4})([0-9])([0-9]{3})S00000$",
]


@pytest.mark.parametrize("regex", CATASTROPHIC_PATTERNS)
def test_any_accepted_pattern_runs_in_bounded_time_on_the_longest_name(regex):
    import time

    from chalicelib.models.configuration import MAX_LINE_NAME_CHARS
    from chalicelib.services import ingest

    compiled = check_pattern(regex)
    spec = {"regex": f"({regex})", "captures": ["sequence"]}  # the whole match as the sequence number
    pattern = ingest.line_pattern({"online": {"line": {"pattern": spec}}})
    n = MAX_LINE_NAME_CHARS
    for text in ("a" * n, "x" * n, "1" * (n - 1) + "!", "é" * n):
        started = time.perf_counter()
        compiled.search(text)
        assert time.perf_counter() - started < 0.1, (regex, text[:3])
        started = time.perf_counter()
        with pytest.raises(ingest.RejectError, match="longer than"):
            ingest.identify_sequence(text * 400, text * 4, pattern)  # longer names are not searched
        assert time.perf_counter() - started < 0.1, (regex, text[:3])


@pytest.mark.parametrize("regex", [r"^.*.*.*.*.*Z(\d+)$", r"^(?=N)(\d+)"])
def test_the_navigation_feed_runs_a_stored_pattern_in_bounded_time_or_not_at_all(client, project, regex):
    import time

    from tests.integration.api.test_navdata import header, post

    stored = {"online": {"line": {"pattern": {"regex": regex, "captures": ["sequence"]}}}}
    db.connection().execute("UPDATE project SET configuration = %s WHERE pid = 'alpha'", (json.dumps(stored),))
    started = time.perf_counter()
    status, body = post(client, [header(n, line="a" * 250) for n in range(5)])  # just under the names' cap
    assert status == 201, body
    assert time.perf_counter() - started < 5
    assert db.connection().execute("SELECT count(*) AS n FROM navdata WHERE online").fetchone()["n"] == 0


def test_patterns_keep_their_meaning_under_the_linear_engine():
    demo = check_pattern(r"^.*(10|20)([0-9]{4})([0-9])([0-9]{3})S00000$", "i")
    assert demo.search("ns21-1052100055s00000").groups() == ("10", "5210", "0", "055")
    assert check_pattern(r"^(\d{3})(\d{4})(\d)?$").search("0551234").groups() == ("055", "1234", None)
    assert check_pattern(r"^B(\d+)$").search("b12") is None  # case matters without the "i" flag
    assert check_pattern(r"(?P<sequence>\d+)").groups == 1


# ------------------------------------------------------------ bounded lists


def test_sequences_lines_and_qc_results_are_paged_with_a_total(client, project):
    conn = db.connection()
    for n in range(1, 6):
        conn.execute("INSERT INTO sequence (pid, sequence, line) VALUES ('alpha', %s, %s)", (n, 1000 + n))
        conn.execute("INSERT INTO preplot_line (pid, line) VALUES ('alpha', %s)", (1000 + n,))
        conn.execute("INSERT INTO qc_run (pid, sequence) VALUES ('alpha', %s)", (n,))
    for path, key in (("/project/alpha/sequence", "sequence"), ("/project/alpha/line", "line")):
        status, everything, headers = call(client, "GET", path, role="guest")
        assert status == 200 and len(everything) == 5 and headers["X-Total-Count"] == "5"  # today's clients
        status, found, headers = call(client, "GET", f"{path}?limit=2&offset=3", role="guest")
        assert [x[key] for x in found] == [x[key] for x in everything][3:5] and headers["X-Total-Count"] == "5"
        assert call(client, "GET", f"{path}?limit=10001", role="guest")[0] == 400
    status, tree, headers = call(client, "GET", "/project/alpha/qc/results", role="guest")
    assert status == 200 and headers["X-Total-Count"] == "0"  # counted in findings: none yet
    assert {s for test in tree.values() for s in test["sequences"]} == {"1", "2", "3", "4", "5"}


# (sequence, point, test, accepted) of the findings the QC found; sequences 2 and 4 have none, 6 is not checked,
# and "retired" is a test no longer enabled.
FINDINGS = [
    (1, 1001, "speed", False),
    (1, 1001, "retired", False),
    (1, 1002, "speed", False),
    (1, 1003, "shot_interval", False),
    (3, 1001, "speed", True),
    (3, 1002, "shot_interval", False),
    (3, 1005, "speed", False),
    (3, 1009, "speed", True),
    (5, 1004, "outside_preplot", False),
    (6, 1000, "speed", False),
]


def _store_findings() -> dict[tuple[int, int, str], int]:
    conn = db.connection()
    for n in range(1, 7):
        conn.execute("INSERT INTO sequence (pid, sequence, line) VALUES ('alpha', %s, %s)", (n, 1000 + n))
        if n != 6:
            conn.execute("INSERT INTO qc_run (pid, sequence) VALUES ('alpha', %s)", (n,))
    ids = {}
    for i, (sequence, point, test, accepted) in enumerate(FINDINGS, start=1):
        qc = {"test": test, "value": i, "limit": 0, "message": f"finding {i}", "accepted": accepted}
        conn.execute(
            "INSERT INTO event (id, pid, tstamp, sequence, point, labels, meta, validity) "
            "VALUES (%s, 'alpha', now(), %s, %s, '{QC}', %s, tstzrange(now(), NULL))",
            (900 + i, sequence, point, json.dumps({"qc": qc})),
        )
        ids[(sequence, point, test)] = 900 + i
    return ids


def _page(client, query: str) -> tuple[dict, int]:
    status, tree, headers = call(client, "GET", f"/project/alpha/qc/results{query}", role="guest")
    assert status == 200, tree
    return tree, int(headers["X-Total-Count"])


def test_qc_results_are_paged_by_findings_with_their_total(client, project):
    ids = _store_findings()
    checked = [f for f in FINDINGS if f[0] != 6 and f[2] != "retired"]
    in_order = [ids[(s, p, t)] for s, p, t, _ in sorted(checked)]
    # Without paging: every finding and every checked sequence, as today's clients read it.
    tree, total = _page(client, "")
    assert total == len(checked)
    assert sorted(f["id"] for t in tree.values() for q in t["sequences"].values() for f in q["findings"]) == sorted(
        in_order
    )
    assert set(tree["speed"]["sequences"]) == {"1", "2", "3", "4", "5"}
    # Pages of three findings: each answer holds at most three, together each finding once, in order.
    seen, shown = [], []
    for offset in range(0, total + 3, 3):
        tree, page_total = _page(client, f"?limit=3&offset={offset}")
        assert page_total == total
        page = sorted(
            (int(seq), f["point"], f["id"])
            for t in tree.values()
            for seq, q in t["sequences"].items()
            for f in q["findings"]
        )
        assert len(page) <= 3
        seen += [i for _, _, i in page]
        shown.append(set(tree["speed"]["sequences"]))
        for sequence, result in tree["speed"]["sequences"].items():
            # A status covers all the sequence's findings: sequence 3 fails by its finding at 1005 even on a
            # page that holds only its accepted ones.
            assert result["status"] == ("fail" if sequence in ("1", "3") else "pass"), (offset, sequence)
    assert seen == in_order
    # A sequence without findings is shown once; one whose findings span pages is shown on each of them.
    assert shown == [{"1"}, {"2", "3"}, {"3", "4", "5"}, set()]
    assert call(client, "GET", "/project/alpha/qc/results?limit=10001", role="guest")[0] == 400
    # One sequence's results page the same way.
    tree, total = _page(client, "/sequence/3?limit=2&offset=3")
    assert total == 4
    assert [f["point"] for f in tree["speed"]["sequences"]["3"]["findings"]] == [1009]
    assert [f["point"] for f in tree["shot_interval"]["sequences"]["3"]["findings"]] == []
    assert tree["speed"]["sequences"]["3"]["status"] == "fail"  # by 1005, on the page before
    assert tree["shot_interval"]["sequences"]["3"]["status"] == "fail"  # by 1002, on the page before
