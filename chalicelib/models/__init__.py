"""Pydantic models, one module per API tag, shared by every layer.

Every model derives from ``Model``: its validators are built when the model is first used, not when its
module is imported. A cold Lambda imports every model of every route but serves one request, so it pays
only for the models that request uses (building them all at import cost about a third of the start-up).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    model_config = ConfigDict(defer_build=True)
