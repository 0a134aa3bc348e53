"""Quality control of sequences: configurable tests, findings as read-only events, acceptance.

Every test runs per sequence on its shots (final once processed, else raw),
matched to preplot points by (line, point). A finding is an event labelled
``QC`` on its shot (the first shot of a run), read-only, with
``meta.qc = {test, severity, value, limit, message, accepted}``.

The package, by what a newcomer looks for:

- ``catalogue``: the tests, their defaults, a project's overrides;
- ``shots``: the rows a test reads and the ``Finding`` it returns;
- one module per test (``position_error``, ``missing_shots``, …): a pure ``check(shots, parameters)``;
- ``evaluate``: every enabled test over one sequence (pure, no I/O);
- ``runner``: regeneration in one transaction, the worker's message handling and the sweep;
- ``queue``: requests for regeneration sent to the QC queue;
- ``results``: the API's reads and edits (results tree, acceptance, deletion).
"""

from chalicelib.services.qc.catalogue import CATALOGUE, tests_for
from chalicelib.services.qc.evaluate import evaluate
from chalicelib.services.qc.queue import enqueue
from chalicelib.services.qc.results import delete_results, results, set_accepted
from chalicelib.services.qc.runner import handle_message, run_sequence, sweep
from chalicelib.services.qc.shots import Finding

__all__ = [
    "CATALOGUE",
    "Finding",
    "delete_results",
    "enqueue",
    "evaluate",
    "handle_message",
    "results",
    "run_sequence",
    "set_accepted",
    "sweep",
    "tests_for",
]
