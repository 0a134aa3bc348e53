"""An attacker's view of logging in and of tokens: failure counts that a success with another account
cannot clear, tokens that end when the account changes, implicit guests, and lenient cookie reading."""

from __future__ import annotations

import json
import time

import pytest

from chalicelib import errors
from chalicelib.services import accounts, auth
from tests.integration.conftest import reload_settings
from tests.integration.factories import bearer, cookie_value, make_account, make_project, token_for

ATTACKER, OFFICE, ELSEWHERE = "203.0.113.66", "198.51.100.7", "192.0.2.9"


def http_login(client, user: str, password: str):
    return client.post(
        "/login",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"user": user, "password": password}).encode(),
    )


def attempt(name: str, password: str, ip: str) -> str:
    """What one login attempt gives: the role, "wrong" or "throttled"."""
    try:
        return auth.login(name, password, ip).role
    except errors.TooManyRequestsError:
        return "throttled"
    except errors.UnauthorizedError:
        return "wrong"


def age_failures(seconds: float) -> None:
    """As if the recorded failures had happened ``seconds`` earlier."""
    from chalicelib import db

    db.connection().execute("UPDATE login_failure SET at = at - make_interval(secs => %s)", (seconds,)).close()
    db.connection().execute("UPDATE account_login_failure SET at = at - make_interval(secs => %s)", (seconds,)).close()


# ------------------------------------------------------------ login throttling


def test_the_guest_password_of_a_name_does_not_open_unlimited_guesses_at_its_master_password():
    """9 wrong, 1 right as guest, repeated: the master account stops being tried from that address."""
    make_account("ops", "guest", "guest-password")
    make_account("ops", "master", "master-password")
    script = []
    for _round in range(3):
        script += [attempt("ops", f"guess-{i}-of-round-{_round}", ATTACKER) for i in range(9)]
        script.append(attempt("ops", "guest-password", ATTACKER))
    assert script.count("guest") == 3  # the guest password keeps working for the attacker
    assert attempt("ops", "master-password", ATTACKER) != "master"  # even the right guess is not tried now
    # The owner, from another address, is not locked out by the attack.
    assert attempt("ops", "master-password", OFFICE) == "master"


def test_the_role_bypass_over_http_ends_with_the_master_password_refused(client):
    make_account("ops", "guest", "guest-password")
    make_account("ops", "master", "master-password")
    for _round in range(2):
        for i in range(9):
            assert http_login(client, "ops", f"guess-{_round}-{i}").status_code == 401
        assert http_login(client, "ops", "guest-password").status_code == 204
    assert http_login(client, "ops", "master-password").status_code in (401, 429)


def test_a_success_never_clears_the_address_count(monkeypatch):
    monkeypatch.setenv("DOUGAL_LOGIN_MAX_FAILURES_PER_IP", "5")
    reload_settings()
    make_account("navigator", "user", "correct horse")
    for i in range(4):
        assert attempt("navigator", f"wrong-{i}", ATTACKER) == "wrong"
    assert attempt("navigator", "correct horse", ATTACKER) == "user"
    assert attempt("navigator", "wrong-again", ATTACKER) == "wrong"  # the fifth failure from the address
    assert attempt("navigator", "correct horse", ATTACKER) == "throttled"
    assert attempt("navigator", "correct horse", OFFICE) == "user"


def test_a_locked_name_slows_one_address_with_a_growing_delay_and_locks_out_no_one_else(monkeypatch):
    monkeypatch.setenv("DOUGAL_LOGIN_DELAY_SECONDS", "30")
    reload_settings()
    make_account("navigator", "user", "correct horse")
    for i in range(10):
        assert attempt("navigator", f"wrong-{i}", ATTACKER) == "wrong"
    assert attempt("navigator", "correct horse", ATTACKER) == "throttled"
    assert attempt("navigator", "correct horse", OFFICE) == "user"  # the owner elsewhere logs in
    age_failures(31)  # the first delay (30 s) has passed: one more try
    assert attempt("navigator", "wrong-10", ATTACKER) == "wrong"
    age_failures(31)  # the next delay is 60 s
    assert attempt("navigator", "wrong-11", ATTACKER) == "throttled"
    age_failures(30)
    assert attempt("navigator", "wrong-11", ATTACKER) == "wrong"


def test_the_ceiling_per_name_from_every_address_only_slows_down(monkeypatch):
    monkeypatch.setenv("DOUGAL_LOGIN_NAME_CEILING", "6")
    reload_settings()
    waits: list[float] = []
    monkeypatch.setattr(auth, "_slow_down", waits.append)
    make_account("navigator", "user", "correct horse")
    for i in range(6):
        assert attempt("navigator", "wrong", f"10.0.0.{i + 1}") == "wrong"
    assert waits == []
    assert attempt("navigator", "correct horse", OFFICE) == "user"  # slowed, never refused
    assert waits == [auth.get_settings().login_slowdown_seconds]


# ------------------------------------------------------------ tokens that end


@pytest.fixture
def navigator_cookie(client):
    make_project("alpha")
    make_account("navigator", "user", "correct horse")
    token = cookie_value(http_login(client, "navigator", "correct horse").headers["Set-Cookie"])
    assert client.get("/project", headers=bearer(token)).status_code == 200
    return token


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda: accounts.set_password("navigator", "user", "another horse"), id="passwd"),
        pytest.param(lambda: accounts.remove_account("navigator"), id="remove"),
        pytest.param(lambda: accounts.set_role("navigator", "user", "guest"), id="role change"),
        pytest.param(lambda: accounts.set_projects("navigator", "user", ["beta"]), id="projects"),
        pytest.param(lambda: accounts.revoke_tokens("navigator"), id="revoke"),
    ],
)
def test_a_change_of_the_account_ends_its_tokens_on_the_next_request(client, navigator_cookie, change):
    change()
    response = client.get("/project", headers=bearer(navigator_cookie))
    assert response.status_code == 401
    assert "revoked" in json.loads(response.body)["message"]


def test_user_revoke_on_the_command_line_ends_the_tokens(client, navigator_cookie, capsys):
    from chalicelib import cli

    assert cli.main(["user", "revoke", "navigator"]) == 0
    assert "revoked" in capsys.readouterr().out
    assert client.get("/project", headers=bearer(navigator_cookie)).status_code == 401
    fresh = cookie_value(http_login(client, "navigator", "correct horse").headers["Set-Cookie"])
    assert client.get("/project", headers=bearer(fresh)).status_code == 200


def test_the_token_version_is_cached_for_at_most_a_minute_per_container(client, navigator_cookie):
    """A revocation made by another container is seen once this one's cache entry is older than the TTL."""
    from chalicelib import db

    db.connection().execute("UPDATE account SET token_version = token_version + 1 WHERE name = 'navigator'")
    assert client.get("/project", headers=bearer(navigator_cookie)).status_code == 200  # still cached
    assert auth.get_settings().token_cache_seconds <= 60
    auth._token_states.update(
        {k: (v[0] - auth.get_settings().token_cache_seconds, v[1], v[2]) for k, v in auth._token_states.items()}
    )
    assert client.get("/project", headers=bearer(navigator_cookie)).status_code == 401


def test_a_revoked_token_is_not_renewed_past_half_life(client):
    make_project("alpha")
    account = make_account("navigator", "user", "correct horse")
    old = token_for("user", account_id=account, now=time.time() - 3600 * 0.6)
    accounts.revoke_tokens("navigator")
    response = client.get("/project", headers=bearer(old))
    assert response.status_code == 401 and "Set-Cookie" not in response.headers


def test_an_implicit_guest_token_is_renewed_only_from_an_allowed_network(client, monkeypatch):
    from chalicelib.models.auth import Identity

    make_project("alpha")
    identity = Identity(name="guest@127.0.0.1", role="guest", implicit=True)
    old = auth.issue_token(identity, now=time.time() - 3600 * 0.6)
    monkeypatch.setenv("DOUGAL_IMPLICIT_GUEST_NETWORKS", "192.168.0.0/16")  # not the caller's network
    reload_settings()
    response = client.get("/project", headers=bearer(old))
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    monkeypatch.setenv("DOUGAL_IMPLICIT_GUEST_NETWORKS", "127.0.0.0/8")
    reload_settings()
    response = client.get("/project", headers=bearer(old))
    fresh, _ = auth.decode_token(cookie_value(response.headers["Set-Cookie"]))
    assert fresh.implicit and fresh.role == "guest"


def test_an_implicit_token_naming_an_account_or_a_role_above_guest_is_refused(client):
    make_project("alpha")
    from chalicelib.models.auth import Identity

    for identity in (
        Identity(name="x", role="master", implicit=True),
        Identity(name="x", role="guest", account_id=1, implicit=True),
    ):
        assert client.get("/project", headers=bearer(auth.issue_token(identity))).status_code == 401


# ------------------------------------------------------------ cookies


@pytest.mark.parametrize(
    "header",
    [
        'a={"x": 1}; JWT={token}',
        "theme=dark mode; JWT={token}",
        'JWT="{token}"',
        "other=1;JWT={token};last=x",
        "__Host-JWT={token}",
        "JWT=; __Host-JWT={token}",
    ],
)
def test_the_token_cookie_is_found_beside_malformed_sibling_cookies(client, header):
    make_project("alpha")
    token = token_for("guest")
    response = client.get("/project", headers={"Cookie": header.replace("{token}", token)})
    assert response.status_code == 200


def test_a_secure_stage_sets_the_host_prefixed_cookie(client):
    make_account("navigator", "user", "correct horse")
    cookie = http_login(client, "navigator", "correct horse").headers["Set-Cookie"]
    assert cookie.startswith("__Host-JWT=")
    flags = [part.strip() for part in cookie.split(";")]
    assert "Secure" in flags and "Path=/" in flags and not any(f.lower().startswith("domain") for f in flags)


def test_a_plain_http_stage_keeps_the_cookie_name_of_the_spec(client, monkeypatch):
    monkeypatch.setenv("DOUGAL_COOKIE_SECURE", "false")
    reload_settings()
    make_account("navigator", "user", "correct horse")
    cookie = http_login(client, "navigator", "correct horse").headers["Set-Cookie"]
    assert cookie.startswith("JWT=")
