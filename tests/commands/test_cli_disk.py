"""`simpleos push` and `simpleos disk ls|cat|rm`: persistence across invocations, one-line errors, exit codes."""
import pytest

from simpleos.cli import main
from simpleos.home import create_disk, disk_image_path, machine_dir, open_disk
from simpleos.machine.blockdev import BLOCK_SIZE, DEFAULT_BLOCK_COUNT, BlockDevice
from cliutil import run_cli as run

GOOD = "C-00000291-00000000-00000032.sys"


@pytest.fixture
def channel_file(tmp_path):
    """A host channel file to push."""
    path = tmp_path / "host" / GOOD
    path.parent.mkdir()
    path.write_bytes(b"\xaa\xaa\xaa\xaa" + bytes(range(256)))
    return path


def assert_one_line_error(code, out, err, reason):
    """Exit 1, nothing on stdout, `simpleos: <reason>` as the only line on stderr."""
    assert code == 1
    assert out == ""
    assert err.startswith("simpleos: ") and err.count("\n") == 1
    assert reason in err


def test_push_then_ls_and_cat_in_later_invocations(capsys, machine, channel_file):
    code, out, err = run(capsys, "push", str(channel_file), "--machine", machine)
    assert (code, err) == (0, "")
    assert out == f"pushed {GOOD} (260 bytes) to /drivers/sensor/\n"

    # a push is a content update: the file, plus a line in the update log under /var
    assert run(capsys, "disk", "ls", "--machine", machine) == (0, "drivers/\nvar/\n", "")
    assert run(capsys, "disk", "ls", "/drivers/sensor", "--machine", machine) == (0, f"{GOOD}  260\n", "")
    assert run(capsys, "disk", "ls", f"/drivers/sensor/{GOOD}", "--machine", machine) == (0, f"{GOOD}  260\n", "")


def test_cat_writes_the_raw_bytes(capsysbinary, machine, channel_file):
    main(["push", str(channel_file), "--machine", machine])
    capsysbinary.readouterr()
    assert run(capsysbinary, "disk", "cat", f"/drivers/sensor/{GOOD}", "--machine", machine) == (
        0, channel_file.read_bytes(), b"")


def test_ls_is_sorted_with_directories_marked(capsys, machine):
    with open_disk(machine_dir(machine)) as fs:
        fs.write_file("/zeta", b"12345")
        fs.mkdir("/alpha")
        fs.write_file("/Beta", b"")
    assert run(capsys, "disk", "ls", "/", "--machine", machine) == (0, "Beta  0\nalpha/\nzeta  5\n", "")


def test_push_replaces_an_earlier_version(capsysbinary, machine, channel_file):
    main(["push", str(channel_file), "--machine", machine])
    channel_file.write_bytes(b"version two")
    main(["push", str(channel_file), "--machine", machine])
    capsysbinary.readouterr()
    assert run(capsysbinary, "disk", "cat", f"/drivers/sensor/{GOOD}", "--machine", machine)[1] == b"version two"


def test_rm_deletes_files_then_empty_directories(capsys, machine, channel_file):
    main(["push", str(channel_file), "--machine", machine])
    capsys.readouterr()
    assert run(capsys, "disk", "rm", f"/drivers/sensor/{GOOD}", "--machine", machine)[0] == 0
    assert run(capsys, "disk", "ls", "/drivers/sensor", "--machine", machine) == (0, "", "")
    assert run(capsys, "disk", "rm", "/drivers/sensor", "--machine", machine)[0] == 0
    assert run(capsys, "disk", "rm", "/drivers", "--machine", machine)[0] == 0
    assert run(capsys, "disk", "ls", "--machine", machine) == (0, "var/\n", "")  # the update log stays


@pytest.mark.parametrize("argv, reason", [
    (["disk", "rm", "/drivers"], "directory not empty: /drivers"),
    (["disk", "rm", "/"], "cannot remove the root directory"),
    (["disk", "rm", "/nope"], "no such file or directory: /nope"),
    (["disk", "cat", "/drivers/sensor"], "is a directory: /drivers/sensor"),
    (["disk", "cat", "/nope"], "no such file or directory: /nope"),
    (["disk", "ls", "/nope/deeper"], "no such directory: /nope"),
    (["disk", "ls", "relative"], "not an absolute path"),
    (["disk", "cat", "/a/../b"], "not allowed in paths"),
    (["push", "/no/such/C-00000291-x.sys"], "no such file: /no/such/C-00000291-x.sys"),
    (["push", "/etc/hostname"], "not a channel file name: 'hostname'"),
    (["push", "/tmp/C-291-short.sys"], "no such file: /tmp/C-291-short.sys"),   # missing: that first
])
def test_bad_input_is_one_line_and_exit_1(capsys, machine, channel_file, argv, reason):
    main(["push", str(channel_file), "--machine", machine])
    capsys.readouterr()
    assert_one_line_error(*run(capsys, *argv, "--machine", machine), reason)


def test_push_of_a_directory_is_refused(capsys, tmp_path, machine):
    directory = tmp_path / "C-00000291-dir.sys"
    directory.mkdir()
    assert_one_line_error(*run(capsys, "push", str(directory), "--machine", machine), "not a regular file")


def test_disk_commands_need_an_existing_disk(capsys, machine):
    assert_one_line_error(*run(capsys, "disk", "ls", "--machine", machine), "no disk at")


def test_a_damaged_disk_image_is_reported_not_traced(capsys, machine):
    image = disk_image_path(machine_dir(machine))
    image.write_bytes(bytes(8 * BLOCK_SIZE))
    assert_one_line_error(*run(capsys, "disk", "ls", "--machine", machine), "no valid superblock")
    image.write_bytes(b"not a disk")
    assert_one_line_error(*run(capsys, "disk", "ls", "--machine", machine), "not a disk image")


def test_disk_full_push_is_refused_and_the_disk_is_unchanged(capsys, tmp_path, machine, channel_file):
    create_disk(machine_dir(machine), block_count=64).close()      # a 256 KiB disk
    main(["push", str(channel_file), "--machine", machine])
    big = tmp_path / "C-00000291-big.sys"
    big.write_bytes(bytes(80 * BLOCK_SIZE))                           # fits the 1 MiB cap, not the disk
    capsys.readouterr()
    assert_one_line_error(*run(capsys, "push", str(big), "--machine", machine), "disk full")
    assert run(capsys, "disk", "ls", "/drivers/sensor", "--machine", machine) == (0, f"{GOOD}  260\n", "")


def test_a_file_too_large_for_a_channel_file_is_refused_before_the_disk(capsys, tmp_path, machine, channel_file):
    main(["push", str(channel_file), "--machine", machine])
    huge = tmp_path / "C-00000291-huge.sys"
    huge.write_bytes(bytes(DEFAULT_BLOCK_COUNT * BLOCK_SIZE))
    capsys.readouterr()
    assert_one_line_error(*run(capsys, "push", str(huge), "--machine", machine), "is too large (channel files are at most 1 MiB)")
    assert run(capsys, "disk", "ls", "/drivers/sensor", "--machine", machine) == (0, f"{GOOD}  260\n", "")


def test_a_disk_in_use_by_another_process_is_refused(capsys, machine, channel_file):
    main(["push", str(channel_file), "--machine", machine])
    capsys.readouterr()
    with BlockDevice.open(disk_image_path(machine_dir(machine))):
        assert_one_line_error(*run(capsys, "disk", "ls", "--machine", machine), "in use")


def test_usage_errors_exit_2(capsys, machine):
    for argv in (["disk"], ["disk", "cat"], ["disk", "frobnicate"], ["push"]):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 2
        assert capsys.readouterr().err.count("\n") == 1


def test_machine_directory_from_environment(capsys, tmp_path, monkeypatch, channel_file):
    monkeypatch.setenv("SIMPLEOS_MACHINE", str(tmp_path / "env-machine"))
    assert main(["push", str(channel_file)]) == 0
    assert (tmp_path / "env-machine" / "disk.img").exists()


def test_default_machine_directory_is_per_user_state(tmp_path, monkeypatch):
    monkeypatch.delenv("SIMPLEOS_MACHINE", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert machine_dir(None) == tmp_path / "state" / "simpleos" / "machine"
    assert machine_dir(None).is_dir()
    monkeypatch.setenv("XDG_STATE_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert machine_dir(None) == tmp_path / "home" / ".local" / "state" / "simpleos" / "machine"


def test_explicit_machine_argument_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("SIMPLEOS_MACHINE", str(tmp_path / "env"))
    assert machine_dir(str(tmp_path / "arg")) == tmp_path / "arg"
