"""Fewer fsyncs per boot, same atomicity: commits whose durability flush waits for the next one.

The boot-status flag is written twice per boot (kernel/bootstatus.py) with durable=False: each
commit keeps its ordering flush (data and metadata on the platter before the superblock that
points to them) but leaves the flush after the superblock to the next commit or to close().
Until then the generation before it is what a power cut leaves, so its blocks must stay
untouched: a power cut at any step of two such commits in a row leaves one of the three
states, never a torn one.
"""
from __future__ import annotations

import os
import shutil

import pytest

from simpleos.kernel.fs import FileSystem, format_disk
from simpleos.machine.blockdev import BlockDevice, PowerCut

SMALL_DISK = 64


def snapshot(fs: FileSystem, path: str = "/") -> dict:
    """Every directory (None) and file (its bytes) below `path`: reading checks every CRC."""
    result = {}
    for entry in fs.listdir(path):
        child = path.rstrip("/") + "/" + entry.name
        result[child] = None if entry.is_dir else fs.read_file(child)
        if entry.is_dir:
            result.update(snapshot(fs, child))
    return result


def two_quick_commits(fs: FileSystem) -> None:
    """Two updates in a row with their durability flush deferred (as a boot does)."""
    fs.write_file("/boot/status", b"1 boot(s) started without completing\n", parents=True, durable=False)
    fs.write_file("/boot/status", b"0 boot(s) started without completing\n" + b"x" * 5000, durable=False)


@pytest.fixture
def base(tmp_path):
    image = tmp_path / "base.img"
    with BlockDevice.create(image, SMALL_DISK) as device:
        fs = format_disk(device)
        fs.write_file("/boot/status", b"0 boot(s) started without completing\n", parents=True)
        fs.write_file("/data.bin", b"d" * 20000)
    return image


@pytest.mark.parametrize("torn", [False, True], ids=["clean-cut", "torn-write"])
@pytest.mark.parametrize("lose_unflushed", [False, True], ids=["cache-kept", "cache-lost"])
def test_a_power_cut_at_any_step_of_two_deferred_commits_leaves_a_whole_state(tmp_path, base, torn,
                                                                               lose_unflushed):
    trial = tmp_path / "trial.img"
    shutil.copy(base, trial)
    states = []
    with FileSystem(BlockDevice.open(trial)) as fs:
        states.append(snapshot(fs))
        start = fs.device.operations
        fs.write_file("/boot/status", b"1 boot(s) started without completing\n", parents=True, durable=False)
        states.append(snapshot(fs))
        fs.write_file("/boot/status", b"0 boot(s) started without completing\n" + b"x" * 5000, durable=False)
        states.append(snapshot(fs))
        steps = fs.device.operations - start
    seen = set()
    for cut in range(steps + 2):                     # the last one never strikes
        shutil.copy(base, trial)
        fs = FileSystem(BlockDevice.open(trial))
        fs.device.power_cut_after(cut, torn=torn, lose_unflushed=lose_unflushed)
        try:
            two_quick_commits(fs)
            fs.close()                               # the last flush, where the cut may strike too
        except PowerCut:
            fs.close()
        with FileSystem(BlockDevice.open(trial)) as rebooted:
            state = snapshot(rebooted)
            assert state in states, f"a torn state after a power cut at step {cut}"
            seen.add(states.index(state))
    assert seen >= {0, 2}


def test_a_deferred_commit_is_durable_once_the_disk_is_closed(tmp_path, base):
    with FileSystem(BlockDevice.open(base)) as fs:
        two_quick_commits(fs)
        expected = snapshot(fs)
    with FileSystem(BlockDevice.open(base)) as fs:
        assert snapshot(fs) == expected


def test_a_boot_costs_three_fsyncs(tmp_path, monkeypatch):
    """The boot-status flag set and cleared, the disk closed: three flushes reach the host."""
    from simpleos import system
    system.boot(tmp_path / "machine").close()         # the disk exists
    synced = []
    original = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), original(fd)))
    system.boot(tmp_path / "machine").close()
    assert len(synced) == 3
