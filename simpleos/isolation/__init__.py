"""Isolation models: where the sensor driver runs, and what a fault in it means.

One model per file, each a subclass of IsolationModel (base.py) that sets its
own `name`. The kernel consults the model at two points only: place() when
loading the driver, and on_fault() / on_sensor_death() when something goes
wrong. Add a model by adding a file: the registry below finds every model
defined in this package, so `--model`, `compare` and the tests pick it up
without an edit here. The four shipped models come first, in the order of
the story; any others follow by name.
"""
from __future__ import annotations

import importlib
import pkgutil

from ..errors import BadInput
from .base import IsolationModel

SHIPPED_ORDER = ("monolithic", "hybrid", "microkernel", "verified")


def discover_models() -> dict[str, type[IsolationModel]]:
    """Every IsolationModel subclass that sets its own `name`, in the modules of this package."""
    found: dict[str, type[IsolationModel]] = {}
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, IsolationModel) and value is not IsolationModel
                    and value.__module__ == module.__name__ and "name" in vars(value)):
                found.setdefault(value.name, value)
    shipped = [name for name in SHIPPED_ORDER if name in found]
    return {name: found[name] for name in shipped + sorted(set(found) - set(shipped))}


MODELS: dict[str, type[IsolationModel]] = discover_models()


def model_named(name: str, fail_open: bool | None = None) -> IsolationModel:
    """A fresh instance of the model called `name`; `fail_open` overrides its own default."""
    try:
        model = MODELS[name]()
    except KeyError:
        raise BadInput(f"unknown isolation model {name!r} (models: {', '.join(MODELS)})") from None
    if fail_open is not None:
        model.fail_open = fail_open
    return model
