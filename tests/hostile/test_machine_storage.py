"""The machine's own storage under a long bootloop and a hostile machine directory.

Crash dumps are a bounded set (the newest KEEP_DUMPS on the virtual disk and in the
host's dumps/ folder), so a bootloop of any length ends with its exit code and its
JSON, and the disk still takes a content update afterwards. A machine directory with
something in the way is a one-line error that changes nothing.
"""
from __future__ import annotations

import json

import pytest

from simpleos.home import create_disk, disk_image_path, machine_dir
from simpleos.kernel.crashdump import KEEP_DUMPS
from simpleos.kernel.install import install_defaults
from cliutil import run_cli
from paths import BAD, GOOD


def test_a_long_bootloop_on_a_small_disk_keeps_a_bounded_set_of_dumps(tmp_path, capsys):
    home = machine_dir(str(tmp_path / "small"))
    with create_disk(home, block_count=64) as fs:       # 256 KiB: 40 dumps would not fit
        install_defaults(fs)
    code, out, err = run_cli(capsys, "boot", "--machine", str(home), "--channel", BAD, "--max-boots", "40", "--json")
    assert (code, err) == (3, "")
    record = json.loads(out)
    assert record["verdict"] == "bootloop" and len(record["boots"]) == 40
    assert all(boot["dump"] for boot in record["boots"]), "every bugcheck wrote its dump"
    host_dumps = sorted(path.name for path in (home / "dumps").iterdir())
    assert len(host_dumps) == KEEP_DUMPS and host_dumps[-1] == "CRASH-0040.dmp"
    code, out, _ = run_cli(capsys, "disk", "ls", "/dumps", "--machine", str(home))
    assert code == 0 and len(out.splitlines()) == KEEP_DUMPS and "CRASH-0040.dmp" in out
    code, out, err = run_cli(capsys, "push", GOOD, "--machine", str(home))
    assert (code, err) == (0, ""), "the disk still takes a content update"


@pytest.mark.parametrize("in_the_way, should_be", [
    ("disk.img.new", "a regular file"),
    ("disk.img", "a regular file"),
    ("dumps", "a directory"),
])
def test_something_in_the_way_in_the_machine_directory_is_a_one_line_error(tmp_path, capsys, in_the_way,
                                                                            should_be):
    home = tmp_path / "machine"
    code, _, _ = run_cli(capsys, "boot", "--machine", str(home), "--fresh", "--json")
    assert code == 0
    before = disk_image_path(home).read_bytes()
    blocker = home / in_the_way
    if blocker.exists():
        blocker.rename(home / "saved")
    if should_be == "a directory":
        blocker.write_text("not a folder")
    else:
        blocker.mkdir()
    for argv in (["boot", "--machine", str(home), "--fresh"], ["boot", "--machine", str(home), "--channel", BAD],
                 ["push", GOOD, "--machine", str(home)]):
        code, out, err = run_cli(capsys, *argv)
        assert code == 1 and out == "" and err.count("\n") == 1
        assert f"{blocker} is in the way: it should be {should_be}" in err
    assert blocker.exists(), "what was in the way is left alone"
    saved = home / "saved"
    image = saved if in_the_way == "disk.img" else disk_image_path(home)
    assert image.read_bytes() == before, "the machine's disk is unchanged"


def test_an_empty_machine_name_is_a_usage_error(capsys):
    for argv in (["boot", "--machine", ""], ["push", GOOD, "--machine", ""], ["disk", "ls", "--machine", ""]):
        code, out, err = run_cli(capsys, *argv)
        assert code == 2 and err.count("\n") == 1 and "--machine" in err


def test_a_file_given_as_the_machine_directory_is_a_one_line_error(tmp_path, capsys):
    not_a_folder = tmp_path / "machine"
    not_a_folder.write_text("x")
    code, out, err = run_cli(capsys, "boot", "--machine", str(not_a_folder))
    assert code == 1 and err == f"simpleos: cannot use machine directory {not_a_folder}: it is not a directory\n"
