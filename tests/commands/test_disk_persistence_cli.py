"""The machine's disk persists across CLI invocations (docs/cli.md: "The disk persists across
invocations"): what one `simpleos` command leaves on it, the next one -- and the next boot of
the machine -- still finds. This is what turns one bad content update into a bootloop.

Every step is a separate `simpleos.cli.main([...])` call on the same --machine directory, as
separate shell commands would be; nothing is kept in memory between them.
"""
from __future__ import annotations

import shutil

import pytest

from simpleos.kernel.install import DEFAULT_CHANNEL_FILES, SENSOR_DIR
from simpleos.resources import channel_files_dir
from cliutil import run_cli as cli

# A content update for the sensor: a copy of the shipped (good) channel-292 file under a new name.
PUSHED = "C-00000292-00000002-update.sys"


@pytest.fixture
def update(tmp_path):
    """A host channel file, ready to push."""
    path = tmp_path / "host" / PUSHED
    path.parent.mkdir()
    shutil.copyfile(channel_files_dir() / "C-00000292-process.sys", path)
    return path


def text(value) -> str:
    """Output as text, whichever capture fixture produced it."""
    return value.decode() if isinstance(value, bytes) else value


def sensor_files(capsys, machine) -> dict[str, int]:
    """`simpleos disk ls /drivers/sensor`, as {name: size}."""
    code, out, err = cli(capsys, "disk", "ls", SENSOR_DIR, "--machine", machine)
    assert (code, text(err)) == (0, "")
    files = {}
    for line in text(out).splitlines():
        name, size = line.split()
        files[name] = int(size)
    return files


def boot_log(capsys, machine, *extra) -> str:
    """`simpleos boot`: its console output; the machine must come up."""
    code, out, err = cli(capsys, "boot", "--machine", machine, *extra)
    out = text(out)
    assert (code, text(err)) == (0, ""), out
    assert out.splitlines()[-1] == "verdict: up"
    return out


def content_lines(log: str) -> list[str]:
    """The names of the channel files the sensor loaded at this boot, in order."""
    return [line.split("content: ", 1)[1].split(":", 1)[0] for line in log.splitlines() if "] content: " in line]


def test_the_first_boot_installs_the_defaults_and_the_next_invocations_see_them(capsys, machine):
    boot_log(capsys, machine)
    shipped = {name: (channel_files_dir() / name).stat().st_size for name in DEFAULT_CHANNEL_FILES}
    assert sensor_files(capsys, machine) == shipped
    code, out, err = cli(capsys, "disk", "cat", "/etc/hostname", "--machine", machine)
    assert (code, out, err) == (0, "simpleos\n", "")
    # A second boot does not reinstall or lose anything, and the sensor reads the same files.
    second = boot_log(capsys, machine)
    assert content_lines(second) == sorted(DEFAULT_CHANNEL_FILES)
    assert sensor_files(capsys, machine) == shipped


def test_a_pushed_file_is_on_the_disk_at_the_next_boots(capsysbinary, machine, update):
    boot_log(capsysbinary, machine)
    code, out, err = cli(capsysbinary, "push", str(update), "--machine", machine)
    assert (code, err) == (0, b"")
    assert text(out) == f"pushed {PUSHED} ({update.stat().st_size} bytes) to {SENSOR_DIR}/\n"
    for _ in range(2):  # boot twice: the update is still there, and the machine reads it
        log = boot_log(capsysbinary, machine)
        assert PUSHED in content_lines(log)
        assert set(sensor_files(capsysbinary, machine)) == set(DEFAULT_CHANNEL_FILES) | {PUSHED}
    # Byte for byte what was pushed.
    code, out, err = cli(capsysbinary, "disk", "cat", f"{SENSOR_DIR}/{PUSHED}", "--machine", machine)
    assert (code, out, err) == (0, update.read_bytes(), b"")


def test_a_push_before_the_first_boot_is_kept_and_the_defaults_are_added(capsys, machine, update):
    code, _, err = cli(capsys, "push", str(update), "--machine", machine)
    assert (code, err) == (0, "")
    assert set(sensor_files(capsys, machine)) == {PUSHED}
    log = boot_log(capsys, machine)
    assert PUSHED in content_lines(log)
    assert set(sensor_files(capsys, machine)) == set(DEFAULT_CHANNEL_FILES) | {PUSHED}


def test_a_deleted_file_stays_deleted_until_fresh(capsys, machine, update):
    boot_log(capsys, machine)
    cli(capsys, "push", str(update), "--machine", machine)
    removed = DEFAULT_CHANNEL_FILES[-1]
    code, out, err = cli(capsys, "disk", "rm", f"{SENSOR_DIR}/{removed}", "--machine", machine)
    assert (code, out, err) == (0, f"removed {SENSOR_DIR}/{removed}\n", "")
    log = boot_log(capsys, machine)
    assert removed not in content_lines(log), "boot must not silently reinstall a deleted file"
    assert removed not in sensor_files(capsys, machine)
    # --fresh reinstalls the shipped defaults, and only them.
    log = boot_log(capsys, machine, "--fresh")
    assert content_lines(log) == sorted(DEFAULT_CHANNEL_FILES)
    assert set(sensor_files(capsys, machine)) == set(DEFAULT_CHANNEL_FILES)


def test_run_leaves_the_disk_as_it_was(tmp_path, capsys, machine, update):
    boot_log(capsys, machine)
    cli(capsys, "push", str(update), "--machine", machine)
    before = sensor_files(capsys, machine)
    program = tmp_path / "bye.asm"
    program.write_text("_start:\n    xor rdi, rdi\n    call exit\n.include \"lib.asm\"\n")
    code, out, err = cli(capsys, "run", str(program), "--machine", machine, "--json")
    assert (code, err) == (0, "")
    assert sensor_files(capsys, machine) == before


def test_two_machines_do_not_share_a_disk(tmp_path, capsys, update):
    first, second = str(tmp_path / "first"), str(tmp_path / "second")
    boot_log(capsys, first)
    boot_log(capsys, second)
    cli(capsys, "push", str(update), "--machine", first)
    assert PUSHED in sensor_files(capsys, first)
    assert PUSHED not in sensor_files(capsys, second)


def test_disk_commands_on_a_machine_without_a_disk_are_bad_input(capsys, machine):
    code, out, err = cli(capsys, "disk", "ls", "--machine", machine)
    assert code == 1 and out == ""
    assert err.startswith("simpleos: ") and err.count("\n") == 1
