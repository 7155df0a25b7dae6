"""The shipped sample files are exactly what their sources build, and mean what the README says."""
from __future__ import annotations

import subprocess
import sys

from simpleos.channel import (IPC, PROCESS, abi_validate, channel_from_name, load_source, parse, serialize,
                              template_validate)
from paths import CHANNEL_FILES, REPO

SOURCES = sorted(source.stem for source in CHANNEL_FILES.glob("C-*.toml"))
MSSE_PREFIX = b"\\\\.\\pipe\\MSSE-"


def test_shipped_files_equal_a_fresh_build():
    for stem in SOURCES:
        assert (CHANNEL_FILES / f"{stem}.sys").read_bytes() == serialize(load_source(CHANNEL_FILES / f"{stem}.toml")), stem
    assert (CHANNEL_FILES / "C-00000291-zeros.sys").read_bytes() == bytes(4096)


def test_build_tool_check_mode_agrees():
    tool = subprocess.run([sys.executable, str(REPO / "tools" / "build_channel_files.py"), "--check"],
                          capture_output=True, text=True)
    assert tool.returncode == 0, tool.stderr


def test_build_tool_output_is_byte_identical_on_rebuild(tmp_path):
    for stem in SOURCES:
        (tmp_path / f"{stem}.toml").write_bytes((CHANNEL_FILES / f"{stem}.toml").read_bytes())
    tool = [sys.executable, str(REPO / "tools" / "build_channel_files.py"), "--dir", str(tmp_path)]
    subprocess.run(tool, check=True, capture_output=True)
    first = {p.name: p.read_bytes() for p in tmp_path.glob("*.sys")}
    subprocess.run(tool, check=True, capture_output=True)
    assert first == {p.name: p.read_bytes() for p in tmp_path.glob("*.sys")}
    assert first == {p.name: p.read_bytes() for p in CHANNEL_FILES.glob("*.sys")}


def test_good_file_story():
    cf = parse((CHANNEL_FILES / "C-00000291-good.sys").read_bytes())
    assert (cf.channel, cf.template_type, cf.content_version, cf.field_count) == (291, IPC.number, 31, 21)
    assert all(instance.criteria[20].is_wildcard for instance in cf.instances)
    beacon = next(i for i in cf.instances if i.instance_id == 291001)
    assert beacon.action_name == "deny"
    assert beacon.criteria[0].kind_name == "prefix" and beacon.criteria[0].value == MSSE_PREFIX


def test_bad_file_is_the_good_one_plus_instance_291003():
    good = parse((CHANNEL_FILES / "C-00000291-good.sys").read_bytes())
    bad = parse((CHANNEL_FILES / "C-00000291-bad.sys").read_bytes())
    assert bad.content_version == 32
    assert set(good.instances) < set(bad.instances)
    new = next(i for i in bad.instances if i.instance_id == 291003)
    assert not new.criteria[20].is_wildcard
    assert all(c.is_wildcard for c in new.criteria[:20]), "it must be tried against every named pipe"
    assert template_validate(bad) == [] and abi_validate(bad)


def test_process_file_reports_the_beacon():
    # notify, not deny: the beacon must start so that channel 291 visibly blocks its pipe
    cf = parse((CHANNEL_FILES / "C-00000292-process.sys").read_bytes())
    assert (cf.channel, cf.template_type, cf.field_count) == (292, PROCESS.number, 8)
    rule = next(i for i in cf.instances if i.instance_id == 292001)
    assert rule.action_name == "notify"
    assert rule.criteria[0].value == b"/bin/beacon" and rule.criteria[0].kind_name == "prefix"


def test_sample_names_follow_the_convention():
    assert channel_from_name("C-00000291-good.sys") == 291
    assert channel_from_name("C:\\Windows\\System32\\drivers\\CrowdStrike\\C-00000291-00000000-00000032.sys") == 291
    assert channel_from_name("/disk/C-00000292-process.sys") == 292
    assert channel_from_name("csagent.sys") is None
