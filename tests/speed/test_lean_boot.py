"""A plain `simpleos boot` imports only what it needs (docs/performance.md, "Boot").

With a warm assembler cache nothing is assembled, so keystone is never imported; the
debugger, `compare` and the channel-file tools (source compiler, validators, display)
are loaded only by the commands that use them (the CLI registers only the command it
runs); capstone only when an instruction must be decoded (a fault); record classes are
made without `dataclasses` (simpleos/record.py); SHA-256 without OpenSSL
(simpleos/digest.py); the driver manifest's TOML is parsed once and remembered.
Checked in a fresh interpreter, as a user's boot runs.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

BOOT_AND_LIST_MODULES = """
import json, sys
from simpleos.cli import main
code = main(["boot", "--machine", sys.argv[1], "--json"])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""
NOT_ON_A_PLAIN_BOOT = ["keystone", "capstone", "dataclasses", "_hashlib", "tomllib", "simpleos.compare", "simpleos.channel.source",
                       "simpleos.channel.show", "simpleos.channel.validate", "simpleos.commands.debug",
                       "simpleos.commands.analyze"]


def booted_modules(tmp_path) -> list[str]:
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"), XDG_STATE_HOME=str(tmp_path / "state"))
    result = None
    for _ in range(2):                      # the first boot makes the disk and fills the assembler cache
        completed = subprocess.run([sys.executable, "-c", BOOT_AND_LIST_MODULES, str(tmp_path / "machine")],
                                   capture_output=True, text=True, env=env, check=True)
        result = json.loads(completed.stdout.splitlines()[-1])
        assert result["code"] == 0
    return result["modules"]


def test_a_warm_boot_imports_no_assembler_no_disassembler_no_debugger(tmp_path):
    modules = booted_modules(tmp_path)
    assert [name for name in NOT_ON_A_PLAIN_BOOT if name in modules] == []
    assert [name for name in modules if name.startswith("simpleos.debug")] == []


def test_importing_the_assembler_starts_no_keystone():
    completed = subprocess.run([sys.executable, "-c", "import sys, simpleos.assembler, simpleos.system; "
                                "print('keystone' in sys.modules)"], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "False"
