"""Run-time settings, read once from the environment (prefix ``DOUGAL_``).

The same settings object serves the Lambdas in AWS, ``make run`` and the tests;
only the environment differs. Secrets are never given here in AWS: the settings
name the Secrets Manager entries to read (see ``chalicelib.aws``).
"""

from __future__ import annotations

import functools
import ipaddress
import json
import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

PREFIX = "DOUGAL_"
# Settings also read under a name without the prefix (the name libraries and operators already use).
ALIASES = {"database_url": ("DOUGAL_DATABASE_URL", "DATABASE_URL")}


def _split_list(value: object) -> object:
    """Accept a JSON list or a comma-separated string for list settings."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return []
        if text.startswith("["):
            return json.loads(text)
        return [item.strip() for item in text.split(",") if item.strip()]
    return value


class Settings(BaseModel):
    """Every setting, typed; ``Settings.from_environ`` fills it from ``DOUGAL_*`` variables.

    A plain pydantic model and a ten-line reader rather than pydantic-settings: that package costs
    about 50 ms of every Lambda cold start, for a feature (reading the environment) this needs little of.
    """

    model_config = ConfigDict(extra="ignore")

    stage: str = "dev"
    log_level: str = "INFO"

    # Database: a URL locally; in AWS a Secrets Manager entry with the RDS Proxy
    # connection details (host, port, username, password, dbname).
    database_url: SecretStr | None = None
    database_secret_id: str | None = None
    database_connect_timeout: int = 5
    # TLS to the database in AWS: ``verify-full`` checks the server's certificate and name against
    # the bundle packaged with the functions (RDS and Amazon root CAs, fetched by infra/deploy.sh).
    database_sslmode: str | None = None
    database_sslrootcert: str | None = None
    # The functions' login role (a member of the DML-only ``dougal_app``), which ``migrate`` creates or
    # updates from this secret (username, password). Only the ``migrate`` function is given it.
    app_database_secret_id: str | None = None

    # Tokens: HS256 signing key from Secrets Manager in AWS, from the environment locally.
    jwt_secret: SecretStr | None = None
    jwt_secret_id: str | None = None
    jwt_issuer: str = "dougal"
    jwt_audience: str = "dougal-api"
    jwt_ttl_seconds: int = 3600
    cookie_secure: bool = True

    # Networks and hosts whose requests are logged in as guest without credentials.
    implicit_guest_networks: list[str] = []

    # Brute-force protection for POST /login (see services/auth.login).
    login_window_seconds: int = 900
    # Failures per (name, address) and per (account, address) before the delay / the account's lock.
    login_max_failures: int = 10
    # The delay after the limit: this many seconds, doubled by every further failure (at most the window).
    login_delay_seconds: float = 30.0
    login_max_failures_per_ip: int = 30
    # Failures of one name from every address: beyond, each attempt is slowed down, never refused.
    login_name_ceiling: int = 100
    login_slowdown_seconds: float = 1.0
    # How long a container trusts what it read of an account's token version (revocation delay).
    token_cache_seconds: float = Field(default=60.0, ge=0, le=60)

    # Uploads: an object larger than this is rejected before it is read (it is spooled to the worker's
    # /tmp, 512 MB in Lambda unless its ephemeral storage is raised: keep this below that).
    max_upload_bytes: int = Field(default=256 * 1024 * 1024, gt=0)
    # Preplot lines given by their ends (P1/11 N1 segments, P1/90 end points) are filled in point by
    # point: at most this many points per segment and per file, else the file is rejected.
    max_segment_points: int = Field(default=100_000, gt=0)
    max_preplot_points: int = Field(default=5_000_000, gt=0)

    # AWS resources (names, not secrets).
    upload_bucket: str = "dougal-uploads"
    ingest_queue: str = "dougal-dev-ingest"
    qc_queue: str = "dougal-dev-qc"
    asaqc_queue: str = "dougal-dev-asaqc"
    navdata_queue: str = "dougal-dev-navdata"

    # ASAQC transfers (the client's Vessel Track API). The credentials (token_url or tenant_id,
    # client_id, client_secret, scope, api_url, subscription_key) are a JSON secret in Secrets
    # Manager; api_url and token_url set here take precedence (the local stack's fake server).
    asaqc_secret_id: str | None = None
    asaqc_api_url: str | None = None
    asaqc_token_url: str | None = None
    # Seconds one call to the remote may take before it counts as timed out (its outcome unknown).
    asaqc_timeout_seconds: float = Field(default=20.0, gt=0, le=120)
    # Whether the remote answers GET {api_url}/vt/v1/api/receipts?idempotencyKey=… (the fake server
    # does; the real API, as far as its documentation goes, does not): see README "ASAQC transfers".
    asaqc_receipt_lookup: bool = False
    # Items one sender run takes at most (a run also stops early when its Lambda runs short of time).
    asaqc_batch: int = Field(default=50, ge=1, le=1000)

    @field_validator("implicit_guest_networks", mode="before")
    @classmethod
    def _networks(cls, value: object) -> object:
        value = _split_list(value)
        if isinstance(value, list):
            for item in value:
                ipaddress.ip_network(str(item), strict=False)
        return value

    @property
    def queues(self) -> dict[str, str]:
        return {
            "ingest": self.ingest_queue,
            "qc": self.qc_queue,
            "asaqc": self.asaqc_queue,
            "navdata": self.navdata_queue,
        }

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings named in ``environ`` (the process environment by default); the rest keep their defaults.

        ``DOUGAL_<NAME>`` in upper case (``ALIASES`` for the few with other names, first found wins); values
        are text, converted by the field types (``true``/``false``, numbers, lists as JSON or commas).
        """
        env = os.environ if environ is None else environ
        values: dict[str, str] = {}
        for name in cls.model_fields:
            for variable in ALIASES.get(name, (PREFIX + name.upper(),)):
                if variable in env:
                    values[name] = env[variable]
                    break
        return cls.model_validate(values)


@functools.cache
def get_settings() -> Settings:
    return Settings.from_environ()
