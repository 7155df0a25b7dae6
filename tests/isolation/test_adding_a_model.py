"""Lab 6 on a copy of the checkout: one new file in simpleos/isolation/ is a whole new model.

The package is copied to a temporary directory in the checkout's layout
(pyproject.toml, simpleos/ with its built _icount extension, drivers/,
userland/, channel_files/ -- simpleos/resources.py finds them there), the Lab 6
file simpleos/isolation/sandboxed.py is added to the copy and nothing else is
edited, and the CLI runs on the copy in a subprocess. The new model must reach
`--model`, the boot JSON and `compare`; and the rows of the models already
there must still match their goldens (the compare goldens are per model).
One copy serves the whole module.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from simpleos.isolation import model_names
from compare_table import assert_well_formed_row, golden_lines, parse_table
from paths import REPO

LAB6_MODEL = '''"""Sandboxed (lab 6): the sensor runs at ring 3, and nobody restarts it."""
from __future__ import annotations

from .base import IsolationModel


class Sandboxed(IsolationModel):
    """Sensor in its own process; a crash is final until the next boot."""

    name = "sandboxed"
    sensor_ring = 3
'''
CHECKOUT_FILES = ["pyproject.toml", "setup.py"]
CHECKOUT_FOLDERS = ["simpleos", "drivers", "userland", "channel_files"]
BAD = "channel_files/C-00000291-bad.sys"          # relative to the copy, as a student types it


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    """A copy of the checkout with simpleos/isolation/sandboxed.py added."""
    root = tmp_path_factory.mktemp("checkout")
    for name in CHECKOUT_FILES:
        shutil.copy2(REPO / name, root / name)
    for folder in CHECKOUT_FOLDERS:
        shutil.copytree(REPO / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__"))
    assert list((root / "simpleos" / "machine").glob("_icount*.so")), "the built extension must come along"
    (root / "simpleos" / "isolation" / "sandboxed.py").write_text(LAB6_MODEL)
    return root


def simpleos_on(checkout, *args: str) -> subprocess.CompletedProcess:
    """`python -m simpleos.cli ARGS` with the copy first on the path (and as the working directory)."""
    env = dict(os.environ, PYTHONPATH=str(checkout))
    return subprocess.run([sys.executable, "-m", "simpleos.cli", *args], cwd=checkout, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_new_model_is_a_choice_of_boot_model(checkout):
    result = simpleos_on(checkout, "boot", "--help")
    assert (result.returncode, result.stderr) == (0, "")
    [choices] = {tuple(found.split(",")) for found in re.findall(r"--model \{([^}]*)\}", result.stdout)}
    assert "sandboxed" in choices
    assert [name for name in choices if name != "sandboxed"] == model_names()    # the others, as before


def test_the_new_model_boots_cf291_and_the_sensor_stays_dead(checkout, tmp_path):
    result = simpleos_on(checkout, "boot", "--model", "sandboxed", "--machine", str(tmp_path / "lab6"), "--fresh",
                         "--channel", BAD, "--json")
    assert (result.returncode, result.stderr) == (0, "")
    report = json.loads(result.stdout)
    assert report["model"] == "sandboxed"
    assert report["verdict"] == "up"
    assert report["boots"] == [{"index": 1, "mode": "normal", "outcome": "up", "bugcheck": None, "dump": None}]
    assert (report["sensor"]["crashes"], report["sensor"]["restarts"]) == (1, 0)   # crashed, never restarted
    assert report["sensor"]["quarantined"] == [] and report["sensor"]["rejected"] == []
    assert report["sensor"]["unexamined"] > 0                                       # fail-open while it is down


def test_compare_gains_a_row_and_the_other_rows_keep_their_goldens(checkout):
    result = simpleos_on(checkout, "compare", BAD)
    assert (result.returncode, result.stderr) == (0, "")
    table = parse_table(result.stdout)
    assert set(table.rows) == set(model_names()) | {"sandboxed"}
    assert_well_formed_row(table, "sandboxed")
    for model in model_names():
        assert_well_formed_row(table, model)
        if golden_lines(model) is not None:
            assert table.row_and_notes(model) == golden_lines(model), model


def test_compare_json_has_the_new_models_row(checkout):
    result = simpleos_on(checkout, "compare", BAD, "--json")
    assert (result.returncode, result.stderr) == (0, "")
    rows = {row["model"]: row for row in json.loads(result.stdout)["models"]}
    row = rows["sandboxed"]
    assert row["machine_up"] is True and row["reboots"] == 0 and row["manual_steps"] == 0
    assert (row["sensor_crashes"], row["sensor_restarts"]) == (1, 0)
    assert row["time_to_recover_ms"] is None                     # it never came back
    assert row["downtime_ms"] > 0 and row["unexamined_events"] > 0
