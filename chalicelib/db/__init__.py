"""Connections, transactions and the translation of database errors.

One autocommit connection per thread (a Lambda container has one thread; the
local API server has several), reopened when broken. ``prepare_threshold=None``
keeps RDS Proxy from pinning connections. Work that must be atomic runs inside
``with transaction() as conn:``.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TypeAlias

from chalicelib import errors

if TYPE_CHECKING:
    import psycopg

# The connection every layer passes around (rows as dicts). A string alias, so that naming the type
# costs no psycopg import on the Lambda path and the layers above db/ never import psycopg themselves.
Connection: TypeAlias = "psycopg.Connection[dict[str, Any]]"
Row: TypeAlias = dict[str, Any]

_local = threading.local()


def jsonb(value: Any) -> Any:
    """``value`` bound as ``jsonb``. psycopg is imported here, at the first write, not when db/ is imported:
    the API's cold start never pays for it on the routes that read nothing."""
    from psycopg.types.json import Jsonb

    return Jsonb(value)


def page(
    conn: psycopg.Connection[dict[str, Any]], rows_query: str, count_query: str, params: dict[str, Any]
) -> tuple[list[Row], int]:
    """One page of a list and the size of the whole list (``count_query`` answers a column ``n``),
    for the paged routes' ``X-Total-Count``."""
    rows = conn.execute(rows_query, params).fetchall()
    total = conn.execute(count_query, params).fetchone()
    return rows, int(total["n"]) if total else 0


def database_url() -> str:
    from chalicelib.settings import get_settings

    settings = get_settings()
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    if settings.database_secret_id:
        from urllib.parse import quote

        from chalicelib import aws

        info = json.loads(aws.secret_string(settings.database_secret_id))
        return with_tls(
            f"postgresql://{quote(info['username'], safe='')}:{quote(info['password'], safe='')}"
            f"@{info['host']}:{info.get('port', 5432)}/{info.get('dbname', 'dougal')}"
        )
    raise errors.ServiceUnavailableError("No database configured")


def with_tls(url: str) -> str:
    """``url`` with the configured ``sslmode`` and ``sslrootcert`` (``verify-full`` in AWS)."""
    from urllib.parse import urlencode

    from chalicelib.settings import get_settings

    settings = get_settings()
    options = {"sslmode": settings.database_sslmode, "sslrootcert": settings.database_sslrootcert}
    query = urlencode({k: v for k, v in options.items() if v})
    if not query:
        return url
    return f"{url}{'&' if '?' in url else '?'}{query}"


def connect(url: str | None = None) -> psycopg.Connection[dict[str, Any]]:
    import psycopg
    from psycopg.rows import dict_row

    from chalicelib.settings import get_settings

    try:
        return psycopg.connect(
            url or database_url(),
            autocommit=True,
            prepare_threshold=None,
            row_factory=dict_row,
            connect_timeout=get_settings().database_connect_timeout,
            application_name="dougal",
        )
    except psycopg.OperationalError as exc:
        raise errors.ServiceUnavailableError("Database unavailable") from exc


def connection() -> psycopg.Connection[dict[str, Any]]:
    """This thread's connection, opened on first use and reopened when broken."""
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed or conn.broken:
        conn = connect()
        _local.conn = conn
    return conn


def close() -> None:
    conn = getattr(_local, "conn", None)
    if conn is not None:
        conn.close()
        _local.conn = None


@contextlib.contextmanager
def translated() -> Iterator[None]:
    """Turn psycopg errors into Dougal errors at the database boundary."""
    import psycopg
    from psycopg import errors as pg

    try:
        yield
    except errors.DougalError:
        raise
    except pg.UniqueViolation as exc:
        raise errors.ConflictError("Already exists") from exc
    except (pg.ForeignKeyViolation, pg.CheckViolation, pg.NotNullViolation) as exc:
        raise errors.BadRequestError("Invalid value") from exc
    except psycopg.DataError as exc:
        # A value the column cannot hold (out of range, too deep, malformed): the client's input, not
        # our failure. The edges check ranges first and name the field; this is the net under them.
        raise errors.BadRequestError("A value is out of range or malformed") from exc
    except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
        close()
        raise errors.ServiceUnavailableError("Database unavailable") from exc


@contextlib.contextmanager
def transaction() -> Iterator[psycopg.Connection[dict[str, Any]]]:
    with translated():
        conn = connection()
        with conn.transaction():
            yield conn


@contextlib.contextmanager
def cursor() -> Iterator[psycopg.Connection[dict[str, Any]]]:
    """The connection for single statements (autocommit), errors translated."""
    with translated():
        yield connection()
