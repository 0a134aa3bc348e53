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
