"""Isolation models: where the sensor driver runs, and what a failure in it means.

One model per file in this folder, each a subclass of IsolationModel
(base.py). The registry here finds them by itself: a new file with a model
in it appears in `--model`, in `simpleos compare`, in the JSON and in the
tests, with no edit anywhere else. Models are listed by their `order`, then
by name.
"""
from __future__ import annotations

import importlib
import os
from functools import lru_cache

from ..errors import BadInput
from .base import IsolationModel

NOT_MODELS = {"base"}          # modules of this package that hold no model of their own


@lru_cache(maxsize=1)
def registry() -> dict[str, type[IsolationModel]]:
    """Every model in this package, name -> class, in listing order."""
    found: dict[str, type[IsolationModel]] = {}
    for module_name in _module_names():
        if module_name.startswith("_") or module_name in NOT_MODELS:
            continue
        for model in _models_in(module_name):
            if model.name in found:
                raise BadInput(f"two isolation models are named {model.name!r}: {found[model.name].__module__} "
                               f"and {model.__module__} (give each its own `name`)")
            found[model.name] = model
    return dict(sorted(found.items(), key=lambda item: (item[1].order, item[0])))


def _module_names() -> list[str]:
    """The modules of this package: its .py files, by name (a directory listing: pkgutil's
    iter_modules would cost a boot more to import than the listing itself)."""
    return sorted({entry.name[:-3] for folder in __path__ for entry in os.scandir(folder)
                   if entry.name.endswith(".py") and entry.is_file()})


def _models_in(module_name: str) -> list[type[IsolationModel]]:
    """The IsolationModel subclasses defined in simpleos/isolation/<module_name>.py."""
    try:
        module = importlib.import_module(f"{__name__}.{module_name}")
    except Exception as error:
        where = f" (line {error.lineno})" if isinstance(error, SyntaxError) and error.lineno else ""
        raise BadInput(f"isolation model file {module_name}.py does not load{where}: "
                       f"{type(error).__name__}: {error}") from None
    return [value for value in vars(module).values()
            if isinstance(value, type) and issubclass(value, IsolationModel) and value is not IsolationModel
            and value.__module__ == module.__name__ and value.name not in ("", "base")]


def model_names() -> list[str]:
    """The names of every model, in listing order."""
    return list(registry())


def model_named(name: str, fail_open: bool | None = None) -> IsolationModel:
    """A fresh instance of the model called `name`; `fail_open` overrides its own default."""
    models = registry()
    if name not in models:
        raise BadInput(f"unknown isolation model {name!r} (models: {', '.join(models)})")
    model = models[name]()
    if fail_open is not None:
        model.fail_open = fail_open
    return model


def __getattr__(attribute: str):
    """MODELS (name -> class), computed on first use."""
    if attribute == "MODELS":
        return registry()
    raise AttributeError(attribute)
