"""Structured JSON logs for the service "dougal" (powertools Logger).

One logger for the whole application; every request and every message gets a
correlation id. Secrets and tokens are never logged.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger


@functools.cache
def logger() -> Logger:
    from aws_lambda_powertools import Logger

    from chalicelib.settings import get_settings

    return Logger(service="dougal", level=get_settings().log_level)
