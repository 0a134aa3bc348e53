"""Account management from the command line, and the migrate function."""

from __future__ import annotations

import io
import json

from chalicelib import cli
from tests.integration.factories import make_project


def run(monkeypatch, capsys, *args, stdin=""):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = cli.main(list(args))
    return code, capsys.readouterr()


def login(client, user, password):
    body = json.dumps({"user": user, "password": password}).encode()
    return client.post("/login", headers={"Content-Type": "application/json"}, body=body).status_code


def test_user_lifecycle(client, monkeypatch, capsys):
    make_project("alpha")
    make_project("beta")
    code, out = run(
        monkeypatch,
        capsys,
        "user",
        "add",
        "navigator",
        "--role",
        "user",
        "--projects",
        "alpha",
        "--password-stdin",
        stdin="first-password\n",
    )
    assert code == 0 and "first-password" not in out.out + out.err
    assert login(client, "navigator", "first-password") == 204
    code, out = run(monkeypatch, capsys, "user", "list")
    assert "navigator\tuser\talpha" in out.out
    code, _ = run(
        monkeypatch,
        capsys,
        "user",
        "passwd",
        "navigator",
        "--role",
        "user",
        "--password-stdin",
        stdin="second-password\n",
    )
    assert code == 0
    assert login(client, "navigator", "first-password") == 401
    assert login(client, "navigator", "second-password") == 204
    code, _ = run(monkeypatch, capsys, "user", "projects", "navigator", "--role", "user", "--projects", "all")
    code, out = run(monkeypatch, capsys, "user", "list")
    assert "navigator\tuser\tall projects" in out.out
    code, _ = run(monkeypatch, capsys, "user", "remove", "navigator")
    assert code == 0
    assert login(client, "navigator", "second-password") == 401


def test_cli_errors_are_messages_not_tracebacks(monkeypatch, capsys):
    code, out = run(
        monkeypatch,
        capsys,
        "user",
        "passwd",
        "ghost",
        "--role",
        "user",
        "--password-stdin",
        stdin="whatever-password\n",
    )
    assert code == 1 and "ghost" in out.err
    code, out = run(monkeypatch, capsys, "user", "add", "shorty", "--role", "user", "--password-stdin", stdin="abc\n")
    assert code == 1 and "8 characters" in out.err


def test_migrate_function_applies_nothing_twice(database_url):
    from chalicelib.handlers.migrate import migrate_database

    assert migrate_database({}, None) == {"applied": [], "login_role": None}


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
