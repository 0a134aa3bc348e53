"""Every GET route of the role matrix, with random path and query parameters: never a server error.

The values are what a careless client or an attacker sends: any text (odd digits, blanks, quotes,
control characters), integers of any size, and long strings; ``Accept`` varies over every
representation. Bounded: a fixed number of examples, well under a minute.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote, urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.api.test_roles import CASES
from tests.integration.factories import as_role, make_project

GET_ROUTES = sorted({path for method, path, *_ in CASES if method == "GET"})

# The query parameters each route reads (and one it does not).
QUERY_PARAMETERS: dict[str, list[str]] = {
    "/project/{project}/event": [
        "sequence",
        "date0",
        "date1",
        "label",
        "limit",
        "offset",
        "delimiter",
        "fields",
        "header",
        "raw",
    ],
    "/project/{project}/changes/{since}": ["limit", "unique"],
    "/project/{project}/sequence": ["limit", "offset"],
    "/project/{project}/sequence/{sequence}/{shot}": ["kind", "project"],
    "/project/{project}/line": ["limit", "offset"],
    "/project/{project}/files": ["limit", "offset"],
    "/project/{project}/receiver": ["line", "limit", "offset"],
    "/project/{project}/qc/results": ["limit", "offset"],
    "/project/{project}/qc/results/sequence/{sequence}": ["limit", "offset"],
    "/queue/outgoing/asaqc": ["status", "order", "dir", "limit", "offset"],
    "/project/{project}/gis/event": ["limit", "offset"],
    "/navdata": ["q", "fields", "limit", "offset"],
    "/navdata/gis/point": ["limit", "offset"],
    "/navdata/gis/line": ["limit", "offset"],
    "/audit": ["project", "since", "actor", "limit", "offset"],
}
ACCEPT = [
    "application/json",
    "text/csv",
    "application/geo+json",
    "application/vnd.seis+json",
    "application/pdf",
    "*/*",
    "x/y;q=abc",
]

text = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=40)
integers = st.integers(min_value=-(2**70), max_value=2**70).map(str)
values = st.one_of(
    text,
    integers,
    st.sampled_from(["", "0", "-1", "1", "2147483648", "١٢", "²", "1_0", " 7", "1;2,3", "2021-10-08", "tab"]),
    st.just("9" * 5000),
)
# Values shaped like what a parameter expects, so the fuzz gets past its first check.
near_values = st.sampled_from(
    ["2021-10-08T10:37:00Z", "2021-10-08T10:37:00+14:00", "2.48,59.18", "1e308", "nan", "inf", "-0", "0,0,0", "9" * 50]
)
q_parts = st.tuples(st.sampled_from(["tstamp", "tolerance", "pos", "radius", "x", ""]), st.one_of(values, near_values))
PARAMETER_VALUES = {
    "q": st.lists(q_parts, max_size=5).map(lambda parts: ";".join(f"{k}:{v}" for k, v in parts)),
    "fields": st.one_of(values, st.sampled_from(["tstamp,lat,lon", "lat,lat", "_schema,speed", ",", "a" * 300])),
    "since": st.one_of(values, near_values),
}


@st.composite
def requests(draw):
    route = draw(st.sampled_from(GET_ROUTES))
    names = re.findall(r"\{(\w+)\}", route)
    url = route
    for name in names:
        value = "alpha" if name == "project" and draw(st.booleans()) else draw(values)
        url = url.replace("{" + name + "}", quote(value, safe="") or "x", 1)
    known = QUERY_PARAMETERS.get(route, [])
    chosen = draw(st.lists(st.sampled_from([*known, "unknown"]), max_size=4, unique=True))
    query = {name: draw(PARAMETER_VALUES.get(name, values)) for name in chosen}
    if query:
        url += "?" + urlencode(query)
    return route, url, draw(st.sampled_from(ACCEPT))


def test_the_query_string_fuzz_reaches_every_get_route():
    assert "/project/{project}/event" in GET_ROUTES and "/project/{project}/changes/{since}" in GET_ROUTES
    assert len(GET_ROUTES) >= 15


def test_random_path_and_query_parameters_never_cause_a_server_error(client, aws):
    make_project("alpha", configuration={"list": [1, 2, 3], "k1": {"k2": "x"}})
    from chalicelib import db

    conn = db.connection()
    conn.execute("INSERT INTO sequence (pid, sequence, line) VALUES ('alpha', 1, 1001)")
    conn.execute("INSERT INTO preplot_line (pid, line) VALUES ('alpha', 1001)")
    conn.execute(
        "INSERT INTO project_info (pid, key, value) VALUES ('alpha', 'k1', %s::jsonb)", (json.dumps({"k2": [1]}),)
    )
    headers = as_role("master")
    seen_routes: set[str] = set()

    @settings(
        max_examples=800,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(requests())
    def check(request):
        route, url, accept = request
        seen_routes.add(route)
        response = client.get(url, headers={**headers, "Accept": accept})
        assert response.status_code < 500, (url, accept, response.body[:300])

    check()
    assert len(seen_routes) >= len(GET_ROUTES) // 2
