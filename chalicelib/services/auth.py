"""Passwords, tokens and logging in.

Tokens are HS256 JWTs carrying the caller's name, role and project list; the
server keeps no session state. The signing key comes from Secrets Manager in AWS
(``DOUGAL_JWT_SECRET_ID``) or from ``DOUGAL_JWT_SECRET`` locally.
"""

from __future__ import annotations

import functools
import ipaddress
import time
from typing import Any

from chalicelib import errors
from chalicelib.models.auth import ROLE_RANK, Identity
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
    if role not in ROLE_RANK or not isinstance(sub, str) or not sub:
        raise errors.UnauthorizedError("Invalid or expired token")
    if uid is not None and (not isinstance(uid, int) or isinstance(uid, bool)):
        raise errors.UnauthorizedError("Invalid or expired token")
    if projects is not None and not (isinstance(projects, list) and all(isinstance(p, str) for p in projects)):
        raise errors.UnauthorizedError("Invalid or expired token")
    identity = Identity(
        name=sub,
        role=role,
        account_id=uid,
        projects=tuple(projects) if projects is not None else None,
        implicit=bool(claims.get("implicit", False)),
    )
    return identity, claims


def needs_refresh(claims: dict[str, Any], now: float | None = None) -> bool:
    """True once a token is past half its life."""
    now = now if now is not None else time.time()
    return bool(now >= (claims["iat"] + claims["exp"]) / 2)


def refreshed_identity(identity: Identity) -> Identity | None:
    """The identity for a fresh token, read again from the account.

    An account that was removed, or whose role changed, gets no fresh token;
    implicit guests always do (their network still decides).
    """
    if identity.account_id is None:
        return identity
    from chalicelib.db import accounts

    row = accounts.get_account(identity.account_id)
    if row is None or row["role"] != identity.role:
        return None
    projects = tuple(row["projects"]) if row["projects"] is not None else None
    return Identity(name=row["name"], role=row["role"], account_id=row["id"], projects=projects)


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


def login(name: str, password: str, source_ip: str | None) -> Identity:
    """Check the credentials; the identity of the matching account.

    One name may have several passwords, each with its own role: the first
    account whose password matches wins. Too many recent failures for the name
    or the source address refuse the attempt before any hash is computed.
    """
    from chalicelib.db import accounts

    settings = get_settings()
    window = settings.login_window_seconds
    by_name, by_ip = accounts.count_recent_failures(name, source_ip, window)
    if by_name >= settings.login_max_failures or by_ip >= settings.login_max_failures_per_ip:
        raise errors.TooManyRequestsError("Too many failed logins; try again later")
    rows = accounts.find_accounts(name)
    if not rows:
        verify_password(_dummy_hash(), password)  # same cost as a real check: no name probing
    for row in rows:
        if verify_password(row["password_hash"], password):
            accounts.clear_failures(name)
            projects = tuple(row["projects"]) if row["projects"] is not None else None
            return Identity(name=row["name"], role=row["role"], account_id=row["id"], projects=projects)
    accounts.record_failure(name, source_ip, window)
    raise errors.UnauthorizedError("Wrong user name or password")
