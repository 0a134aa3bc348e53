"""An account of role ``vessel``: made with the ``user`` command, it signs in and may only post navigation
headers (every other route but the public ones is 403 for it)."""

from __future__ import annotations

import json

from tests.integration.factories import make_project
from tests.integration.test_cli import run


def test_a_vessel_account_signs_in_and_may_only_post_headers(client, monkeypatch, capsys):
    from tests.integration.ingest_support import CONFIGURATION

    make_project("alpha", configuration=CONFIGURATION)
    code, out = run(
        monkeypatch, capsys, "user", "add", "ship", "--role", "vessel", "--password-stdin", stdin="at-sea-all-day\n"
    )
    assert code == 0, out.err
    code, out = run(monkeypatch, capsys, "user", "list")
    assert "ship\tvessel\tall projects" in out.out
    body = json.dumps({"user": "ship", "password": "at-sea-all-day"}).encode()
    signed_in = client.post("/login", headers={"Content-Type": "application/json"}, body=body)
    assert signed_in.status_code == 204
    cookie = {"Cookie": signed_in.headers["Set-Cookie"].split(";", 1)[0], "Content-Type": "application/json"}
    header = {"tstamp": "2021-10-08T10:37:57Z", "lat": 59.18, "lon": 2.48, "lineName": "NS21-1052100055S00000"}
    posted = client.post("/navdata", headers=cookie, body=json.dumps([header]).encode())
    assert posted.status_code == 201, posted.body
    assert json.loads(posted.body)["online"] == 1
    for path in ("/navdata", "/navdata/latest", "/project", "/project/alpha/sequence", "/status"):
        refused = client.get(path, headers=cookie)
        assert refused.status_code == 403, path
        assert "vessel" in json.loads(refused.body)["message"]
    assert client.get("/health").status_code in (200, 503)  # public routes stay public
    code, _ = run(monkeypatch, capsys, "user", "role", "ship", "--role", "vessel", "--to", "guest")
    assert code == 0


def test_an_unknown_role_is_refused():
    from chalicelib import errors
    from chalicelib.services import accounts

    try:
        accounts.add_account("someone", "captain", "long-enough-password")
    except errors.BadRequestError as exc:
        assert "vessel" in exc.message
    else:
        raise AssertionError("an unknown role was accepted")
