"""`make` is quiet: building the package prints none of setuptools' warnings (the license
table, 'Package would be ignored', ...). Built the way the Makefile's install builds it."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WARNINGS = ("Warning", "deprecated", "would be ignored", "!!")


def test_building_the_package_prints_no_setuptools_warning(tmp_path):
    environment = dict(os.environ, PYTHONWARNINGS="ignore:Editable installation")   # as the Makefile
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                            "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True, env=environment)
    assert built.returncode == 0, built.stderr[-2000:]
    # pip's own notes about this host's package index configuration are not the build's
    lines = [line for line in (built.stdout + built.stderr).splitlines() if "Location 'file://" not in line]
    noisy = [line for line in lines if any(word in line for word in WARNINGS)]
    assert noisy == [], "\n".join(noisy)
