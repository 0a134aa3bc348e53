"""The application packaged as a deploy packages it, once per test run (`infra/deploy_check.py`)."""

from __future__ import annotations

import pytest

from infra import deploy_check


@pytest.fixture(scope="session")
def deploy_report(tmp_path_factory: pytest.TempPathFactory) -> deploy_check.Report:
    """A real `chalice package` (wheels downloaded once, then cached under .local/), merged, transformed, linted."""
    return deploy_check.run("prod", out=tmp_path_factory.mktemp("deploy-check"))
