"""Passwords, tokens and logging in.

Tokens are HS256 JWTs carrying the caller's name, role and project list; the
server keeps no session state. The signing key comes from Secrets Manager in AWS
(``DOUGAL_JWT_SECRET_ID``) or from ``DOUGAL_JWT_SECRET`` locally.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any

from chalicelib import errors
from chalicelib.models.auth import ROLES, Identity
from chalicelib.settings import get_settings

ALGORITHM = "HS256"
# Clock skew tolerated between the machine that signed a token and this one.
LEEWAY_SECONDS = 30
MIN_SECRET_BYTES = 32


# ---------------------------------------------------------------- passwords


@functools.cache
def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()  # argon2id with the library's recommended costs


@functools.cache
def _dummy_hash() -> str:
    return str(_hasher().hash("dougal-dummy-password"))


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise errors.BadRequestError("A password needs at least 8 characters")
    return str(_hasher().hash(password))


def verify_password(password_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return bool(_hasher().verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


# ---------------------------------------------------------------- tokens


def signing_key() -> str:
    settings = get_settings()
    if settings.jwt_secret is not None:
        key = settings.jwt_secret.get_secret_value()
    elif settings.jwt_secret_id:
        from chalicelib import aws

        key = aws.secret_string(settings.jwt_secret_id)
    else:
        raise errors.ServiceUnavailableError("No token signing key configured")
    if len(key.encode()) < MIN_SECRET_BYTES:
        raise errors.ServiceUnavailableError("The token signing key is too short")
    return key


def issue_token(identity: Identity, now: float | None = None) -> str:
    import jwt

    settings = get_settings()
    issued = int(now if now is not None else time.time())
    claims = {
        "sub": identity.name,
        "role": identity.role,
        "uid": identity.account_id,
        "projects": list(identity.projects) if identity.projects is not None else None,
        "implicit": identity.implicit,
        "ver": identity.token_version,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": issued,
        "nbf": issued,
        "exp": issued + settings.jwt_ttl_seconds,
    }
    return str(jwt.encode(claims, signing_key(), algorithm=ALGORITHM))


def decode_token(token: str) -> tuple[Identity, dict[str, Any]]:
    """The identity a token carries, or UnauthorizedError.

    Only HS256 is accepted; ``exp``, ``iat``, ``iss`` and ``aud`` are required
    and checked, and a token issued in the future is refused.
    """
    import jwt

    settings = get_settings()
    try:
        claims = jwt.decode(
            token,
            signing_key(),
            algorithms=[ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "iss", "aud", "sub"], "strict_aud": True},
        )
    except jwt.PyJWTError as exc:
        raise errors.UnauthorizedError("Invalid or expired token") from exc
    now = time.time()
    iat, exp = claims.get("iat"), claims.get("exp")
    if not isinstance(iat, int) or not isinstance(exp, int) or iat > now + LEEWAY_SECONDS or exp <= iat:
        raise errors.UnauthorizedError("Invalid or expired token")
    if exp - iat > settings.jwt_ttl_seconds + LEEWAY_SECONDS:
        raise errors.UnauthorizedError("Invalid or expired token")
    role, sub, uid, projects = claims.get("role"), claims.get("sub"), claims.get("uid"), claims.get("projects")
    version, implicit = claims.get("ver"), claims.get("implicit", False)
    if role not in ROLES or not isinstance(sub, str) or not sub:
        raise errors.UnauthorizedError("Invalid or expired token")
    if uid is not None and (not isinstance(uid, int) or isinstance(uid, bool)):
        raise errors.UnauthorizedError("Invalid or expired token")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        raise errors.UnauthorizedError("Invalid or expired token")
    if not isinstance(implicit, bool) or (implicit and (uid is not None or role != "guest")):
        raise errors.UnauthorizedError("Invalid or expired token")
    if projects is not None and not (isinstance(projects, list) and all(isinstance(p, str) for p in projects)):
        raise errors.UnauthorizedError("Invalid or expired token")
    identity = Identity(
        name=sub,
        role=role,
        account_id=uid,
        projects=tuple(projects) if projects is not None else None,
        implicit=implicit,
        token_version=version,
    )
    return identity, claims


# Account id → (monotonic time read, role, token version), or None when the account is gone.
_token_states: dict[int, tuple[float, str | None, int | None]] = {}
_token_states_lock = threading.Lock()


def forget_token_states() -> None:
    """Drop what this container remembers of accounts (tests; a revocation is otherwise seen within
    ``DOUGAL_TOKEN_CACHE_SECONDS``)."""
    with _token_states_lock:
        _token_states.clear()


def check_not_revoked(identity: Identity) -> None:
    """401 unless the token's account still exists with the token's role and token version.

    Checked on every request, not only at refresh: a password change, a role change, a removal or
    ``user revoke`` ends every token issued before. What was read is kept for at most
    ``token_cache_seconds`` (60 s) per container, so a request costs no query most of the time.
    Implicit guest tokens have no account; their network is checked at refresh.
    """
    if identity.account_id is None:
        return
    ttl = get_settings().token_cache_seconds
    now = time.monotonic()
    with _token_states_lock:
        cached = _token_states.get(identity.account_id)
    if cached is None or now - cached[0] >= ttl:
        from chalicelib.db import accounts

        row = accounts.token_state(identity.account_id)
        cached = (now, row["role"], row["token_version"]) if row else (now, None, None)
        with _token_states_lock:
            _token_states[identity.account_id] = cached
    _, role, version = cached
    if role is None or role != identity.role or version != identity.token_version:
        raise errors.UnauthorizedError("This token was revoked; log in again")


def needs_refresh(claims: dict[str, Any], now: float | None = None) -> bool:
    """True once a token is past half its life."""
    now = now if now is not None else time.time()
    return bool(now >= (claims["iat"] + claims["exp"]) / 2)


def refreshed_identity(identity: Identity, source_ip: str | None) -> Identity | None:
    """The identity for a fresh token, read again from the account.

    An account that was removed, whose role changed or whose tokens were revoked gets no fresh token;
    an implicit guest gets one only while it calls from an allowed network.
    """
    if identity.implicit:
        return identity if implicit_guest_allowed(source_ip) else None
    if identity.account_id is None:
        return identity
    from chalicelib.db import accounts

    row = accounts.get_account(identity.account_id)
    if row is None or row["role"] != identity.role or row["token_version"] != identity.token_version:
        return None
    return _identity(row)


def _identity(row: dict[str, Any]) -> Identity:
    projects = tuple(row["projects"]) if row["projects"] is not None else None
    return Identity(
        name=row["name"],
        role=row["role"],
        account_id=row["id"],
        projects=projects,
        token_version=row["token_version"],
    )


# ---------------------------------------------------------------- logging in


def implicit_guest_allowed(source_ip: str | None) -> bool:
    networks = get_settings().implicit_guest_networks
    if not networks or not source_ip:
        return False
    try:
        address = ipaddress.ip_address(source_ip)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in networks)


def _slow_down(seconds: float) -> None:
    """Wait before checking a password (the per-name ceiling); a function so tests can watch it."""
    time.sleep(seconds)


def login(name: str, password: str, source_ip: str | None) -> Identity:
    """Check the credentials; the identity of the matching account.

    One name may have several passwords, each with its own role: the first account whose password
    matches wins. Failures are counted so that no success with one account helps guessing another:

    - per address: more than ``login_max_failures_per_ip`` refuse every attempt from it (429); a
      success never clears this count;
    - per (name, address): past ``login_max_failures`` each attempt waits a delay that doubles with
      every further failure (429 until then); a success from that address clears it;
    - per (account, address): every failure counts against each account of the name; an account
      past ``login_max_failures`` from an address is not tried from there, and only a success with
      that very account clears its count (the guest password of a name opens nothing else);
    - per name, from every address: past ``login_name_ceiling`` attempts are slowed down, never
      refused, so an attacker cannot lock the owner out from elsewhere.

    A refused attempt computes no hash; unknown names cost the same hash as known ones.
    """
    from chalicelib.db import accounts

    settings = get_settings()
    window = settings.login_window_seconds
    limit = settings.login_max_failures
    counts = accounts.count_recent_failures(name, source_ip, window)
    if int(counts["by_ip"]) >= settings.login_max_failures_per_ip:
        raise errors.TooManyRequestsError("Too many failed logins from this address; try again later")
    by_name_ip = int(counts["by_name_ip"])
    if by_name_ip >= limit and counts["last_failure"] is not None:
        delay = min(settings.login_delay_seconds * 2 ** min(by_name_ip - limit, 30), float(window))
        waited = (counts["now"] - counts["last_failure"]).total_seconds()
        if waited < delay:
            raise errors.TooManyRequestsError(
                f"Too many failed logins for this name; try again in {int(delay - waited) + 1} s"
            )
    if int(counts["by_name"]) >= settings.login_name_ceiling:
        _slow_down(settings.login_slowdown_seconds)
    locked = {account for account, n in accounts.account_failures(name, source_ip, window).items() if n >= limit}
    rows = [row for row in accounts.find_accounts(name) if row["id"] not in locked]
    if locked and not rows:
        raise errors.TooManyRequestsError("Too many failed logins for this name; try again later")
    if not rows:
        verify_password(_dummy_hash(), password)  # same cost as a real check: no name probing
    for row in rows:
        if verify_password(row["password_hash"], password):
            accounts.clear_failures(name, source_ip, row["id"])
            return _identity(row)
    accounts.record_failure(name, source_ip, window)
    raise errors.UnauthorizedError("Wrong user name or password")


# ---------------------------------------------------------------- admission: the check of every protected request

# The cookie of the spec; in Secure stages the token is set as ``__Host-JWT`` (the browser then insists on
# Secure, Path=/ and no Domain, so no sibling host can plant one) and ``JWT`` is still read.
COOKIE_NAME = "JWT"
HOST_COOKIE_NAME = "__Host-JWT"
# The key of the API Gateway authorizer's context that carries an admission to the app.
AUTHORIZER_CONTEXT_KEY = "dougal"


def cookie_values(header: str) -> dict[str, str]:
    """The cookies of a ``Cookie`` header, read leniently: ``name=value`` pairs split at ``;``.

    The standard library's ``SimpleCookie`` stops at the first pair it finds malformed (a sibling
    cookie holding a blank or JSON, ``a={"x": 1}; JWT=…``), which would hide the token. The first
    occurrence of a name wins; surrounding quotes are removed.
    """
    found: dict[str, str] = {}
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name or name in found:
            continue
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        found[name] = value
    return found


def token_from_headers(authorization: str | None, cookie: str | None) -> str | None:
    """The token of a request: ``Authorization: Bearer …``, else the ``__Host-JWT`` or ``JWT`` cookie.

    An ``Authorization`` header that is not a bearer token is a 401 (never silently ignored).
    """
    if authorization:
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise errors.UnauthorizedError("Malformed Authorization header")
        return value.strip()
    if cookie:
        cookies = cookie_values(cookie)
        for name in (HOST_COOKIE_NAME, COOKIE_NAME):
            if cookies.get(name):
                return cookies[name]
    return None


@dataclass(frozen=True, slots=True)
class Admission:
    """Who a request is, as the token check found: the identity, the token's claims (``None`` for a
    guest admitted by its network without a token) and a fresh token to hand back, if one is due."""

    identity: Identity
    claims: dict[str, Any] | None
    new_token: str | None

    def to_context(self) -> dict[str, str]:
        """The admission as an API Gateway authorizer context (flat, string values)."""
        identity = asdict(self.identity)
        identity["projects"] = list(self.identity.projects) if self.identity.projects is not None else None
        claims = {k: self.claims[k] for k in ("iat", "exp")} if self.claims is not None else None
        value = {"identity": identity, "claims": claims, "new_token": self.new_token}
        return {AUTHORIZER_CONTEXT_KEY: json.dumps(value, separators=(",", ":"))}

    @classmethod
    def from_context(cls, context: dict[str, Any]) -> Admission | None:
        """The admission an authorizer context carries, or ``None`` when it carries none."""
        raw = context.get(AUTHORIZER_CONTEXT_KEY)
        if not isinstance(raw, str):
            return None
        value = json.loads(raw)
        identity = dict(value["identity"])
        identity["projects"] = tuple(identity["projects"]) if identity["projects"] is not None else None
        return cls(identity=Identity(**identity), claims=value["claims"], new_token=value["new_token"])


def admit(token: str | None, source_ip: str | None) -> Admission:
    """The token check of every protected request, or UnauthorizedError.

    The one code path of the app's middleware (``make run``, the tests, and Lambda for routes the
    gateway does not guard) and of the API Gateway authorizer in front of the deployed API: a valid
    token whose account still has that role and token version, else (no token, or a bad one) an
    implicit guest when the source address is in ``DOUGAL_IMPLICIT_GUEST_NETWORKS``. A token past half
    its life gets a fresh one, read again from the account. Role and project checks are the app's.
    """
    identity: Identity | None = None
    claims: dict[str, Any] | None = None
    new_token: str | None = None
    if token is not None:
        try:
            identity, claims = decode_token(token)
        except errors.UnauthorizedError:
            if not implicit_guest_allowed(source_ip):
                raise
    if identity is None:
        if not implicit_guest_allowed(source_ip):
            raise errors.UnauthorizedError("Authentication required")
        identity = Identity(name=f"guest@{source_ip}", role="guest", implicit=True)
        return Admission(identity=identity, claims=None, new_token=issue_token(identity))
    check_not_revoked(identity)
    if claims is not None and needs_refresh(claims):
        fresh = refreshed_identity(identity, source_ip)
        if fresh is not None:
            new_token = issue_token(fresh)
    return Admission(identity=identity, claims=claims, new_token=new_token)
