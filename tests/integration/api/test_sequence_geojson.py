"""``GET …/sequence/{n}`` as ``application/geo+json``: a Feature with the sequence's shot line."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pyproj import Geod

from dougal_sim import simulator as sim
from tests.integration.factories import as_role, make_project
from tests.integration.ingest_support import CONFIGURATION, survey, upload

START = datetime(2021, 10, 8, 10, 0, tzinfo=UTC)
GEOJSON = "application/geo+json"


@pytest.fixture
def truth(client, aws):
    make_project("alpha", configuration=CONFIGURATION)
    upload(aws, "alpha/preplot/p.sps", sim.write_sps_preplot(survey()))
    shot = survey().sequence(55, 5210, start=START)
    upload(aws, f"alpha/raw/{shot.line_name}.p111", sim.write_p111(shot, kind="raw"))
    return shot


def get(client, accept, sequence=55):
    return client.get(f"/project/alpha/sequence/{sequence}", headers={**as_role("guest"), "Accept": accept})


def test_a_feature_with_the_shot_line_and_the_figures(client, truth):
    response = get(client, GEOJSON)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == GEOJSON
    feature = json.loads(response.body)
    assert feature["type"] == "Feature"
    assert feature["properties"] == json.loads(get(client, "application/json").body)
    line = feature["geometry"]
    assert line["type"] == "LineString"
    points = sorted({s.point for s in truth.shots})
    assert len(line["coordinates"]) == len(points)

    # One position per shot point, the mean of its sources, in shooting order: the first and last vertices
    # are where the first and last points were shot, and the line is as long as the shots' track.
    def mean_position(point):
        at = [s for s in truth.shots if s.point == point]
        return sum(s.lon for s in at) / len(at), sum(s.lat for s in at) / len(at)

    first, last = (min(truth.shots, key=lambda s: s.tstamp).point, max(truth.shots, key=lambda s: s.tstamp).point)
    geod = Geod(ellps="WGS84")
    for vertex, point in ((line["coordinates"][0], first), (line["coordinates"][-1], last)):
        lon, lat = mean_position(point)
        assert geod.inv(vertex[0], vertex[1], lon, lat)[2] < 0.01
    lons, lats = zip(*line["coordinates"], strict=True)
    assert geod.line_length(lons, lats) == pytest.approx(feature["properties"]["length"], rel=0.02)


def test_negotiation_offers_geojson_and_unknown_sequences_are_404(client, truth):
    assert get(client, "application/geo+json;q=0.9, application/json;q=0.5").headers["Content-Type"] == GEOJSON
    refused = get(client, "image/png")
    assert refused.status_code == 406 and GEOJSON in json.loads(refused.body)["message"]
    assert get(client, GEOJSON, sequence=99).status_code == 404
