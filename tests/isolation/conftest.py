"""Fixtures for the model tests: register a test model for one test only.

`register_model(cls)` puts `cls` in the registry's answer (by its `name`), as if
it had a file of its own in simpleos/isolation/, so that booting it by name goes
through the same path as `--model NAME` (boot_with -> model_named -> new_kernel).
"""
from __future__ import annotations

import pytest

import simpleos.isolation as isolation
from simpleos.isolation.base import IsolationModel


@pytest.fixture
def register_model(monkeypatch):
    """register_model(cls): the registry knows `cls` (by its name) for this test."""
    models = dict(isolation.registry())

    def register(model_class: type[IsolationModel]) -> type[IsolationModel]:
        models[model_class.name] = model_class
        return model_class

    monkeypatch.setattr(isolation, "registry", lambda: models)
    return register
