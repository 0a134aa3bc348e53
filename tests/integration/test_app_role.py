"""The functions connect as a DML-only role: they read and write data, never the schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from dougal_sim import simulator as sim
from tests.integration.conftest import reload_settings
from tests.integration.factories import make_project
from tests.integration.ingest_support import CONFIGURATION, files, survey, upload

ROLE = "dougal_fn_test"
START = datetime(2021, 10, 8, 10, 0, tzinfo=UTC)


def _url_as(database_url: str, role: str, password: str) -> str:
    parts = urlsplit(database_url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{role}:{password}@{host}"))


@pytest.fixture
def app_login(aws, monkeypatch, database_url):
    """The migrate function run with the application's secret, as after a deploy: the login role exists."""
    from chalicelib.handlers.migrate import migrate_database

    password = "app-password-0123456789"
    arn = aws.secrets().create_secret(
        Name="dougal/test/database",
        SecretString=json.dumps(
            {"username": ROLE, "password": password, "host": "127.0.0.1", "port": 5432, "dbname": "dougal"}
        ),
    )["ARN"]
    monkeypatch.setenv("DOUGAL_APP_DATABASE_SECRET_ID", arn)
    reload_settings()
    assert migrate_database({}, None) == {"applied": [], "login_role": ROLE}
    return _url_as(database_url, ROLE, password)


def test_the_application_role_cannot_change_the_schema(app_login):
    with psycopg.connect(app_login, autocommit=True) as conn:
        row = conn.execute("SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = current_user")
        assert row.fetchone() == (False, False, False)
        conn.execute("INSERT INTO project (pid, name) VALUES ('gamma', 'G')")  # data: yes
        assert conn.execute("SELECT count(*) FROM project WHERE pid = 'gamma'").fetchone() == (1,)
        conn.execute("DELETE FROM project WHERE pid = 'gamma'")
        for statement in (
            "CREATE TABLE intruder (x int)",
            "DROP TABLE project",
            "ALTER TABLE project ADD COLUMN x int",
            "TRUNCATE upload",
            "CREATE INDEX intruder ON shot (tstamp)",
            "DROP TRIGGER project_configuration_history ON project",
            "CREATE FUNCTION intruder() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)


def test_migrate_updates_the_login_role_and_refuses_the_owner(app_login, aws, monkeypatch, database_url):
    from chalicelib import db
    from chalicelib.db import roles

    roles.ensure_login_role(db.connection(), ROLE, "a-new-password-0123456789")
    with psycopg.connect(_url_as(database_url, ROLE, "a-new-password-0123456789")) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (ROLE,)
    owner = db.connection().execute("SELECT current_user AS name").fetchone()["name"]
    with pytest.raises(roles.RoleError):
        roles.ensure_login_role(db.connection(), owner, "x" * 24)
    with pytest.raises(roles.RoleError):
        roles.ensure_login_role(db.connection(), "dougal_app", "x" * 24)


def test_the_application_works_as_the_dml_only_role(app_login, aws, monkeypatch, client):
    """Uploads (temporary staging tables, history triggers) and API writes run as the application role."""
    from chalicelib import db
    from tests.integration.factories import as_role

    make_project("alpha", configuration=CONFIGURATION)
    db.close()
    monkeypatch.setenv("DOUGAL_DATABASE_URL", app_login)
    reload_settings()
    try:
        assert db.connection().execute("SELECT current_user AS u").fetchone()["u"] == ROLE
        srv = survey()
        upload(aws, "alpha/preplot/p.sps", sim.write_sps_preplot(srv))
        upload(aws, "alpha/preplot/p2.sps", "\n".join(sim.write_sps_preplot(srv).splitlines()[:-5]) + "\n")
        upload(aws, "alpha/raw/s.p111", sim.write_p111(srv.sequence(55, 5210, start=START)))
        assert [r["status"] for r in files()] == ["imported", "imported", "imported"], files()
        headers = {**as_role("master"), "Content-Type": "application/json"}
        response = client.request("PUT", "/project/alpha/configuration", body=b"{}", headers=headers)
        assert response.status_code == 204
        assert db.connection().execute("SELECT count(*) AS n FROM preplot_point_history").fetchone()["n"] == 5
    finally:
        db.close()


def test_the_connection_from_a_secret_verifies_the_server(aws, monkeypatch):
    """In AWS the URL built from the secret asks libpq for verify-full against the packaged bundle."""
    from psycopg.conninfo import conninfo_to_dict

    from chalicelib import db

    arn = aws.secrets().create_secret(
        Name="dougal/test/database-tls",
        SecretString=json.dumps(
            {"username": "dougal_fn", "password": "p@ss/word", "host": "proxy.example", "port": 5432, "dbname": "d"}
        ),
    )["ARN"]
    monkeypatch.delenv("DOUGAL_DATABASE_URL")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("DOUGAL_DATABASE_SECRET_ID", arn)
    monkeypatch.setenv("DOUGAL_DATABASE_SSLMODE", "verify-full")
    monkeypatch.setenv("DOUGAL_DATABASE_SSLROOTCERT", "/var/task/certs/aws-database-ca.pem")
    reload_settings()
    found = conninfo_to_dict(db.database_url())
    assert found["sslmode"] == "verify-full"
    assert found["sslrootcert"] == "/var/task/certs/aws-database-ca.pem"
    assert (found["host"], found["user"], found["password"]) == ("proxy.example", "dougal_fn", "p@ss/word")
