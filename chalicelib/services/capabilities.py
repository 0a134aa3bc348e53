"""What this Dougal can do, read from the code itself: formats, QC tests, limits (``GET /capabilities``)."""

from __future__ import annotations

from chalicelib import API_VERSION, __version__
from chalicelib.clients import asaqc as asaqc_client
from chalicelib.models import limits
from chalicelib.models.audit import MAX_AUDIT_PAGE
from chalicelib.models.capabilities import (
    AsaqcIntegration,
    Capabilities,
    Dialect,
    FileFormat,
    Integrations,
    QcTest,
    RetryDefaults,
)
from chalicelib.models.events import MAX_CSV_ROWS
from chalicelib.models.events import MAX_PAGE as MAX_EVENT_PAGE
from chalicelib.models.paging import MAX_LIST_PAGE
from chalicelib.models.queue import RetryPolicy
from chalicelib.parsers import DIALECTS
from chalicelib.services.qc.catalogue import CATALOGUE
from chalicelib.settings import get_settings

# The readers of chalicelib/parsers, by the format name detection gives (parsers.FORMATS).
FORMATS: dict[str, FileFormat] = {
    "p111": FileFormat(
        format="p111",
        name="IOGP P1/11",
        uploads=["preplot", "raw", "final"],
        dialects=[],
        reads=[
            "shots of every source (P1)",
            "preplot lines and dog-leg segments (N1)",
            "receivers (R1)",
            "CRS, datum transformation and units from the HC records",
        ],
    ),
    "p190": FileFormat(
        format="p190",
        name="UKOOA P1/90",
        uploads=["preplot", "raw", "final"],
        dialects=[],
        reads=["shots (S, V)", "preplot line ends, filled point by point", "receivers (R)", "datum from H1400/H1500"],
    ),
    "sps21": FileFormat(
        format="sps21",
        name="SEG SPS rev 2.1",
        uploads=["preplot"],
        dialects=[],
        reads=["source points (S) with their index", "receivers (R)", "relations (X, counted)"],
    ),
    "sps1": FileFormat(
        format="sps1",
        name="SEG SPS rev 1",
        uploads=["preplot"],
        dialects=[],
        reads=["source points (S)", "receivers (R)"],
    ),
}


def _formats() -> list[FileFormat]:
    """Each format with the dialects its reader takes."""
    return [
        f.model_copy(update={"dialects": [Dialect(name=n, reads=r) for n, r in DIALECTS.get(key, {}).items()]})
        for key, f in FORMATS.items()
    ]


def asaqc_integration() -> AsaqcIntegration:
    """The ASAQC client's paths, the sender's defaults and this installation's settings."""
    settings = get_settings()
    policy = RetryPolicy()
    return AsaqcIntegration(
        configured=bool(settings.asaqc_secret_id or settings.asaqc_api_url),
        upload_path=asaqc_client.UPLOAD_PATH,
        receipts_path=asaqc_client.RECEIPTS_PATH,
        receipt_lookup=settings.asaqc_receipt_lookup,
        timeout_seconds=settings.asaqc_timeout_seconds,
        batch=settings.asaqc_batch,
        retry=RetryDefaults(base_seconds=policy.base, factor=policy.factor, max_attempts=policy.max_attempts),
        retried_statuses=sorted(asaqc_client.RETRYABLE_4XX),
    )


def capabilities(media_types: dict[str, list[str]]) -> Capabilities:
    """The answer of ``/capabilities``; ``media_types`` comes from the API's route table."""
    return Capabilities(
        version=__version__,
        api=API_VERSION,
        formats=_formats(),
        media_types=media_types,
        qc={test: QcTest(**spec) for test, spec in CATALOGUE.items()},
        integrations=Integrations(asaqc=asaqc_integration()),
        limits={
            "upload_bytes_max": get_settings().max_upload_bytes,
            "list_page_max": MAX_LIST_PAGE,
            "event_page_max": MAX_EVENT_PAGE,
            "audit_page_max": MAX_AUDIT_PAGE,
            "csv_import_rows_max": MAX_CSV_ROWS,
            "meta_bytes_max": limits.MAX_META_BYTES,
            "info_bytes_max": limits.MAX_INFO_BYTES,
            "configuration_bytes_max": limits.MAX_CONFIGURATION_BYTES,
            "text_chars_max": limits.MAX_TEXT_CHARS,
            "labels_max": limits.MAX_LABELS,
            "json_depth_max": limits.MAX_JSON_DEPTH,
        },
    )
