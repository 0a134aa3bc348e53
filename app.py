"""Dougal's Chalice application: wires middleware and blueprints, nothing else.

Routes live in ``chalicelib/api/<tag>.py``, event handlers in
``chalicelib/handlers/``. See README.md for the architecture.
"""

from chalice import Chalice

from chalicelib.api import (
    asaqc,
    audit,
    auth,
    capabilities,
    events,
    files,
    gis,
    health,
    metadata,
    navdata,
    openapi,
    planner,
    preplots,
    projects,
    qc,
    receivers,
    sequences,
    status,
)
from chalicelib.api.middleware import authenticate
from chalicelib.handlers import authorizer, ingest, migrate
from chalicelib.handlers import navdata as navdata_handlers
from chalicelib.handlers import qc as qc_handlers
from chalicelib.handlers import queue as queue_handlers

# Logs go through the powertools logger (chalicelib.observability), not Chalice's own handler.
app = Chalice(app_name="dougal", configure_logs=False)
app.register_middleware(authenticate, "http")

for blueprint in (
    health.bp,
    capabilities.bp,
    status.bp,
    openapi.bp,
    auth.bp,
    projects.bp,
    metadata.bp,
    files.bp,
    preplots.bp,
    sequences.bp,
    planner.bp,
    events.bp,
    qc.bp,
    receivers.bp,
    navdata.bp,
    audit.bp,
    gis.bp,
):
    app.register_blueprint(blueprint)
for blueprint in (ingest.bp, qc_handlers.bp, migrate.bp, authorizer.bp):
    app.register_blueprint(blueprint)
# The outgoing transfer queue (spec tag "asaqc"): its routes; PDF line logs are binary answers.
app.register_blueprint(asaqc.bp)
app.register_blueprint(queue_handlers.bp)
# The navigation feed's queue and its expiry.
app.register_blueprint(navdata_handlers.bp)
app.api.binary_types.append("application/pdf")
