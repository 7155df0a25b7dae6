"""Isolation models: where the sensor driver runs, and what a fault in it means.

One model per file, each a subclass of IsolationModel (base.py). The kernel
consults the model at two points only: place() when loading the driver,
and on_fault() / on_sensor_death() when something goes wrong. Add a model by
adding a file and listing it in MODELS.
"""
from __future__ import annotations

from ..errors import BadInput
from .base import IsolationModel
from .hybrid import Hybrid
from .microkernel import Microkernel
from .monolithic import Monolithic
from .verified import Verified

MODELS: dict[str, type[IsolationModel]] = {
    "monolithic": Monolithic,
    "hybrid": Hybrid,
    "microkernel": Microkernel,
    "verified": Verified,
}


def model_named(name: str, fail_open: bool | None = None) -> IsolationModel:
    """A fresh instance of the model called `name`; `fail_open` overrides its own default."""
    try:
        model = MODELS[name]()
    except KeyError:
        raise BadInput(f"unknown isolation model {name!r} (models: {', '.join(MODELS)})") from None
    if fail_open is not None:
        model.fail_open = fail_open
    return model
