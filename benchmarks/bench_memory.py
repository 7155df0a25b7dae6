"""Memory per boot: does a long bootloop (or a grader booting many machines) stay flat?

Each variant runs in a fresh interpreter and reports its resident set size
(VmRSS) and address space (VmSize) after 1 and after N boots:

  simpleos   simpleos.system.boot() of Channel File 291 on the monolithic model
             with --max-boots N: N bugchecks, N crash dumps, N resets
  unicorn    N bare unicorn engines in turn, each with 64 MiB of RAM mapped and a
             few instructions run, each released before the next (the floor)

The figure that matters is the growth per boot; the ratio compares the
resident size after N boots with bare unicorn's after N engines.
Aim: growth under 0.5 MiB per boot.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

from _common import REPO, Ratio, Result, Row, scratch

_SIMPLEOS = """
import json, sys
from simpleos.system import boot
from simpleos.resources import channel_files_dir

def status():
    fields = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmSize"].split()[0]) / 1024

bad = str(channel_files_dir() / "C-00000291-bad.sys")
first = boot(sys.argv[1] + "/one", fresh=True, channels=[bad], max_boots=1)
first.close()
one = status()
many = boot(sys.argv[1] + "/many", fresh=True, channels=[bad], max_boots=int(sys.argv[2]))
boots = len(many.boots)
many.close()
print(json.dumps({"one": one, "many": status(), "boots": boots}))
"""

_UNICORN = """
import json, sys
from unicorn import UC_ARCH_X86, UC_MODE_64, Uc

def status():
    fields = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmSize"].split()[0]) / 1024

def engine():
    uc = Uc(UC_ARCH_X86, UC_MODE_64)
    uc.ctl_set_tcg_buffer_size(16 << 20)
    uc.mem_map(0, 64 << 20)
    uc.mem_write(0x1000, b"\\x90" * 16)
    uc.emu_start(0x1000, 0x1010)
    return uc

engine()
one = status()
for _ in range(int(sys.argv[2])):
    engine()
print(json.dumps({"one": one, "many": status(), "boots": int(sys.argv[2])}))
"""


def _measure(program: str, boots: int) -> dict:
    completed = subprocess.run([sys.executable, "-c", program, str(scratch()), str(boots)], cwd=REPO,
                               capture_output=True, text=True, env=dict(os.environ))
    if completed.returncode != 0:
        raise RuntimeError(f"memory benchmark failed: {completed.stderr[-500:]}")
    return json.loads(completed.stdout)


def run(quick: bool = False) -> Result:
    """RSS and address space after 1 and N boots, for SimpleOS and bare unicorn."""
    boots = 20 if quick else 100
    result = Result("memory", f"memory per boot ({boots} boots in one process)")
    simpleos, unicorn = _measure(_SIMPLEOS, boots), _measure(_UNICORN, boots)
    for label, measured in (("simpleos", simpleos), ("unicorn", unicorn)):
        rss_one, size_one = measured["one"]
        rss_many, size_many = measured["many"]
        result.rows.append(Row(f"{label}: RSS after 1 boot", rss_one, "MiB", [rss_one]))
        result.rows.append(Row(f"{label}: RSS after {measured['boots']} more", rss_many, "MiB", [rss_many]))
        result.rows.append(Row(f"{label}: address space after {measured['boots']} more", size_many, "MiB",
                               [size_many]))
    growth = (simpleos["many"][0] - simpleos["one"][0]) / max(simpleos["boots"], 1)
    result.rows.append(Row("simpleos: RSS growth per boot", growth, "MiB", [growth]))
    result.ratios.append(Ratio("RSS after N boots vs bare unicorn after N engines",
                               simpleos["many"][0] / unicorn["many"][0]))
    result.ratios.append(Ratio("RSS growth per boot (MiB)", growth, aim="<= 0.5"))
    result.notes.append("each boot of the loop bugchecks, writes a crash dump (16 are kept) and resets; "
                        "the previous engine is freed at each reset (CPU.close)")
    return result
