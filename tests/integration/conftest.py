"""Integration tests start each test with fresh settings and leave empty tables behind.

The session's database, moto and the Chalice test client are in ``tests/conftest.py``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.database import truncate_all


@pytest.fixture(autouse=True)
def settings_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test sees fresh settings (and no remembered token versions: account ids restart);
    tests change them with monkeypatch.setenv + reload_settings()."""
    from chalicelib.services.auth import forget_token_states
    from chalicelib.settings import get_settings

    monkeypatch.setenv("DOUGAL_DATABASE_URL", database_url)
    get_settings.cache_clear()
    forget_token_states()
    yield
    get_settings.cache_clear()
    forget_token_states()


@pytest.fixture(autouse=True)
def clean_tables(database_url: str) -> Iterator[None]:
    yield
    truncate_all()


def reload_settings() -> None:
    from chalicelib.settings import get_settings

    get_settings.cache_clear()


@pytest.fixture
def project(aws: object) -> str:
    """Project ``alpha`` with the ingest configuration of ``ingest_support`` (its line pattern and grid), with the
    local AWS endpoint up: the project every file-reading test uploads to. A module needing another
    configuration defines its own ``project``."""
    from tests.integration.factories import make_project
    from tests.integration.ingest_support import CONFIGURATION

    make_project("alpha", configuration=CONFIGURATION)
    return "alpha"
