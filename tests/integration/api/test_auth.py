"""Logging in and out, cookies, token refresh, implicit guests, throttling, forged tokens."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from chalicelib.services import auth
from tests.integration.conftest import reload_settings
from tests.integration.factories import bearer, cookie_value, make_account, make_project, token_for

SECRET = "test-signing-key-that-is-long-enough-0123456789"


def login(client, user: str, password: str, ip: str | None = None):
    return client.post(
        "/login",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"user": user, "password": password}).encode(),
    )


def test_login_sets_a_hardened_cookie_that_opens_the_api(client):
    make_account("navigator", "user", "correct horse")
    response = login(client, "navigator", "correct horse")
    assert response.status_code == 204
    cookie = response.headers["Set-Cookie"]
    flags = [part.strip() for part in cookie.split(";")]
    assert "HttpOnly" in flags and "SameSite=Strict" in flags and "Path=/" in flags and "Secure" in flags
    assert any(f.startswith("Max-Age=") and int(f.split("=")[1]) > 0 for f in flags)
    token = cookie_value(cookie)
    assert client.get("/project", headers={"Cookie": f"JWT={token}"}).status_code == 200
    assert client.get("/project", headers=bearer(token)).status_code == 200


def test_cookie_secure_flag_can_be_turned_off_for_plain_http(client, monkeypatch):
    monkeypatch.setenv("DOUGAL_COOKIE_SECURE", "false")
    reload_settings()
    make_account("navigator", "user", "correct horse")
    cookie = login(client, "navigator", "correct horse").headers["Set-Cookie"]
    assert "Secure" not in [p.strip() for p in cookie.split(";")]


def test_same_name_with_two_passwords_gets_two_roles(client):
    make_account("chief", "user", "everyday-pass")
    make_account("chief", "master", "admin-pass-123")
    for password, role in (("everyday-pass", "user"), ("admin-pass-123", "master")):
        token = cookie_value(login(client, "chief", password).headers["Set-Cookie"])
        identity, _ = auth.decode_token(token)
        assert identity.role == role


@pytest.mark.parametrize(
    "body",
    [
        {"user": "navigator", "password": "wrong password"},
        {"user": "nobody", "password": "correct horse"},
    ],
)
def test_bad_credentials_are_401_with_a_message(client, body):
    make_account("navigator", "user", "correct horse")
    response = client.post("/login", headers={"Content-Type": "application/json"}, body=json.dumps(body).encode())
    assert response.status_code == 401
    assert "message" in json.loads(response.body)
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize(
    ("raw", "field"),
    [(b"", "body"), (b"{not json", "JSON"), (b'{"user": 3, "password": "x"}', "user"), (b'{"user": "a"}', "password")],
)
def test_malformed_login_is_400_naming_the_problem(client, raw, field):
    response = client.post("/login", headers={"Content-Type": "application/json"}, body=raw)
    assert response.status_code == 400
    assert field in json.loads(response.body)["message"]


def test_logout_expires_the_cookie(client):
    for method in ("GET", "POST"):
        response = client.request(method, "/logout")
        assert response.status_code == 204
        cookies = response.headers["Set-Cookie"]
        cookies = cookies if isinstance(cookies, list) else [cookies]
        names = {c.split("=", 1)[0] for c in cookies}
        assert names == {"__Host-JWT", "JWT"}  # the stage's cookie and the spec's name both end
        assert all("Max-Age=0" in c and "HttpOnly" in c for c in cookies)


def test_token_past_half_life_gets_a_fresh_cookie(client):
    make_project("alpha")
    account = make_account("navigator", "user", "correct horse")
    young = token_for("user", account_id=account)
    assert "Set-Cookie" not in client.get("/project", headers=bearer(young)).headers
    old = token_for("user", account_id=account, now=time.time() - 3600 * 0.6)
    response = client.get("/project", headers=bearer(old))
    assert response.status_code == 200
    fresh = cookie_value(response.headers["Set-Cookie"])
    _, claims = auth.decode_token(fresh)
    assert claims["iat"] >= int(time.time()) - 5


def test_removed_account_gets_no_fresh_token(client):
    account = make_account("navigator", "user", "correct horse")
    old = token_for("user", account_id=account, now=time.time() - 3600 * 0.6)
    from chalicelib.services import accounts

    accounts.remove_account("navigator")
    response = client.get("/project", headers=bearer(old))
    assert "Set-Cookie" not in response.headers


def test_implicit_login_for_configured_networks(client, monkeypatch):
    make_project("alpha")
    assert client.get("/project").status_code == 401  # nothing configured: no implicit login
    monkeypatch.setenv("DOUGAL_IMPLICIT_GUEST_NETWORKS", "10.0.0.0/8,127.0.0.0/8")
    reload_settings()
    response = client.get("/project")  # the local gateway's source address is 127.0.0.1
    assert response.status_code == 200
    identity, _ = auth.decode_token(cookie_value(response.headers["Set-Cookie"]))
    assert identity.role == "guest" and identity.implicit
    assert client.put("/project/alpha/info/note", body=b'"x"').status_code == 401  # guest may only read


def test_implicit_login_refused_outside_the_networks(client, monkeypatch):
    monkeypatch.setenv("DOUGAL_IMPLICIT_GUEST_NETWORKS", "192.168.0.0/16")
    reload_settings()
    assert client.get("/project").status_code == 401
    assert auth.implicit_guest_allowed("192.168.4.2") and not auth.implicit_guest_allowed("10.1.1.1")


def test_more_than_ten_failures_are_throttled_without_hashing(client, monkeypatch):
    make_account("navigator", "user", "correct horse")
    for _ in range(10):
        assert login(client, "navigator", "wrong guess").status_code == 401
    calls = []
    original = auth.verify_password
    monkeypatch.setattr(auth, "verify_password", lambda h, p: calls.append(1) or original(h, p))
    response = login(client, "navigator", "correct horse")
    assert response.status_code == 429
    assert "message" in json.loads(response.body)
    assert calls == []


def test_failures_are_also_counted_per_source_address(client, monkeypatch):
    monkeypatch.setenv("DOUGAL_LOGIN_MAX_FAILURES_PER_IP", "3")
    reload_settings()
    make_account("navigator", "user", "correct horse")
    for name in ("a", "b", "c"):
        assert login(client, name, "guess-guess").status_code == 401
    assert login(client, "navigator", "correct horse").status_code == 429


def test_success_clears_the_failure_count(client):
    make_account("navigator", "user", "correct horse")
    for _ in range(9):
        login(client, "navigator", "wrong guess")
    assert login(client, "navigator", "correct horse").status_code == 204
    for _ in range(9):
        login(client, "navigator", "wrong guess")
    assert login(client, "navigator", "correct horse").status_code == 204


# ------------------------------------------------------------ forged and invalid tokens


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(**overrides):
    now = int(time.time())
    claims = {
        "sub": "mallory",
        "role": "master",
        "uid": None,
        "projects": None,
        "iss": "dougal",
        "aud": "dougal-api",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not ...}


def _sign(claims, key=SECRET, algorithm="HS256", headers=None):
    return jwt.encode(claims, key, algorithm=algorithm, headers=headers)


def _valid():
    return _sign(_claims())


FORGED = {
    "alg none": lambda: _b64({"alg": "none", "typ": "JWT"}) + "." + _b64(_claims()) + ".",
    "alg None capitalised": lambda: _b64({"alg": "None", "typ": "JWT"}) + "." + _b64(_claims()) + ".",
    "HS512": lambda: _sign(_claims(), algorithm="HS512"),
    "HS384": lambda: _sign(_claims(), algorithm="HS384"),
    "wrong key": lambda: _sign(_claims(), key="another-key-that-is-also-long-enough-xyz"),
    "tampered payload": lambda: (
        lambda t: t.split(".")[0] + "." + _b64(_claims(role="master", sub="eve")) + "." + t.split(".")[2]
    )(_sign(_claims(role="guest"))),
    "tampered signature": lambda: _valid()[:-4] + ("AAAA" if not _valid().endswith("AAAA") else "BBBB"),
    "expired": lambda: _sign(
        _claims(iat=int(time.time()) - 7200, nbf=int(time.time()) - 7200, exp=int(time.time()) - 3600)
    ),
    "issued in the future": lambda: _sign(_claims(iat=int(time.time()) + 3600, nbf=..., exp=int(time.time()) + 4000)),
    "not yet valid": lambda: _sign(_claims(nbf=int(time.time()) + 3600)),
    "wrong issuer": lambda: _sign(_claims(iss="someone-else")),
    "wrong audience": lambda: _sign(_claims(aud="another-api")),
    "no exp": lambda: _sign(_claims(exp=...)),
    "no iat": lambda: _sign(_claims(iat=...)),
    "no iss": lambda: _sign(_claims(iss=...)),
    "no aud": lambda: _sign(_claims(aud=...)),
    "unknown role": lambda: _sign(_claims(role="admin")),
    "lifetime longer than allowed": lambda: _sign(_claims(exp=int(time.time()) + 86400 * 30)),
    "projects not a list": lambda: _sign(_claims(projects="alpha")),
    "garbage": lambda: "this.is.not-a-token",
    "empty segments": lambda: "..",
}


@pytest.mark.parametrize("name", sorted(FORGED))
def test_forged_or_invalid_tokens_are_rejected(client, name):
    make_project("alpha")
    token = FORGED[name]()
    for headers in (bearer(token), {"Cookie": f"JWT={token}"}):
        response = client.get("/project", headers=headers)
        assert response.status_code == 401, name
        assert "message" in json.loads(response.body)


def test_the_valid_token_of_the_forgery_suite_is_accepted(client):
    """The forged tokens above fail for their defect alone: the same token made right works."""
    make_project("alpha")
    assert client.get("/project", headers=bearer(_valid())).status_code == 200


def test_malformed_authorization_header_is_401(client):
    for header in ("Basic dXNlcjpwYXNz", "Bearer", "Token abc"):
        assert client.get("/project", headers={"Authorization": header}).status_code == 401


def test_session_names_the_caller_and_its_role_and_needs_a_token(client):
    make_project("alpha")
    make_account("chief", "user", "everyday-pass")
    make_account("chief", "guest", "visitor-pass", projects=["alpha"])
    for password, role, projects in (("everyday-pass", "user", None), ("visitor-pass", "guest", ["alpha"])):
        token = cookie_value(login(client, "chief", password).headers["Set-Cookie"])
        response = client.get("/session", headers={"Cookie": f"JWT={token}"})
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
        assert json.loads(response.body) == {"name": "chief", "role": role, "projects": projects, "implicit": False}
    assert client.get("/session").status_code == 401
