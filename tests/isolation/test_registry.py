"""The model registry (simpleos/isolation/__init__.py): one file per model, found by itself.

Discovery is tested in-process by putting a second folder on the package's
__path__ for one test (a file there is found exactly as a file in
simpleos/isolation/ would be); the whole Lab 6 path through the CLI is in
test_adding_a_model.py.
"""
from __future__ import annotations

import re
import sys

import pytest

import simpleos.isolation as isolation
from simpleos.errors import BadInput
from simpleos.isolation import model_named, model_names
from compare_table import golden_lines
from paths import REPO


@pytest.fixture
def model_folder(tmp_path, monkeypatch):
    """A folder that counts as part of simpleos/isolation/ for this test (registry rebuilt)."""
    monkeypatch.setattr(isolation, "__path__", [*isolation.__path__, str(tmp_path)])
    isolation.registry.cache_clear()
    before = set(sys.modules)
    yield tmp_path
    for name in set(sys.modules) - before:
        if name.startswith("simpleos.isolation."):
            del sys.modules[name]
    isolation.registry.cache_clear()


# --- what is registered -----------------------------------------------------------------------------

def test_models_are_listed_by_order_then_name():
    models = isolation.registry()
    assert list(models) == model_names()
    assert model_names() == sorted(model_names(), key=lambda name: (models[name].order, name))
    assert all(models[name].name == name for name in models)


def test_each_model_has_a_file_of_its_own():
    modules = [model.__module__ for model in isolation.registry().values()]
    assert len(set(modules)) == len(modules), modules
    assert all(re.fullmatch(r"simpleos\.isolation\.\w+", module) for module in modules)


def test_models_attribute_is_the_registry():
    assert isolation.MODELS == isolation.registry()


def test_each_request_gets_a_fresh_model():
    """Models keep state (the reincarnation server's backoff): never share one between kernels."""
    assert model_named("microkernel") is not model_named("microkernel")
    assert model_named("microkernel").rs is not model_named("microkernel").rs


def test_a_model_keeps_its_own_fail_policy_unless_told():
    assert model_named("microkernel").fail_open is True
    assert model_named("microkernel", False).fail_open is False


def test_an_unknown_model_is_bad_input_naming_the_models():
    with pytest.raises(BadInput) as error:
        model_named("unikernel")
    assert str(error.value) == f"unknown isolation model 'unikernel' (models: {', '.join(model_names())})"


def test_the_docs_models_table_agrees_with_the_registry():
    """Every model in docs/models.md's table exists, with the file it names; every course model
    (one with a compare golden) is in the table. A student's new model needs neither."""
    text = (REPO / "docs" / "models.md").read_text()
    documented = dict(re.findall(r"^\| `([\w-]+)` \| `(\w+\.py)`", text, re.M))
    assert documented, "no models table found in docs/models.md"
    models = isolation.registry()
    for name, file in documented.items():
        assert name in models, f"docs/models.md lists {name}, which is not a model"
        assert models[name].__module__ == f"simpleos.isolation.{file[:-3]}"
    assert {name for name in models if golden_lines(name) is not None} <= set(documented)


# --- discovery ----------------------------------------------------------------------------------------

def test_a_new_model_file_is_found_with_no_edit_anywhere(model_folder):
    (model_folder / "extra.py").write_text(
        '"""A model nobody listed anywhere."""\nfrom .base import IsolationModel\n\n\nclass Extra(IsolationModel):\n'
        '    name = "extra"\n    sensor_ring = 3\n    fail_open = False\n')
    names = model_names()
    assert "extra" in names and names.index("extra") > names.index("verified")   # order 100: after the course models
    model = model_named("extra")
    assert (type(model).__name__, model.sensor_ring, model.fail_open) == ("Extra", 3, False)


def test_a_file_without_a_model_adds_none(model_folder):
    shipped = model_names()
    (model_folder / "helpers.py").write_text('"""Not a model."""\nfrom .base import IsolationModel\n\nANSWER = 42\n')
    isolation.registry.cache_clear()
    assert model_names() == shipped


def test_two_models_with_one_name_are_bad_input(model_folder):
    (model_folder / "copycat.py").write_text(
        '"""Twice."""\nfrom .base import IsolationModel\n\n\nclass Copycat(IsolationModel):\n    name = "monolithic"\n')
    with pytest.raises(BadInput, match=r"two isolation models are named 'monolithic'"):
        model_names()


def test_a_model_file_that_does_not_load_is_one_line_of_bad_input(model_folder):
    (model_folder / "typo.py").write_text('"""Oops."""\nclass Typo(IsolationModel:\n')
    with pytest.raises(BadInput) as error:
        model_names()
    assert str(error.value).startswith("isolation model file typo.py does not load (line 2): SyntaxError")
    assert "\n" not in str(error.value)
