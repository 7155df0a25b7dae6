"""The copy-on-write file system: operations, errors, persistence, and atomicity under power cuts."""
import shutil

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from simpleos.kernel.fs import (
    DiskFull, FileSystem, FsCorrupt, FsError, MAX_NAME_LENGTH, format_disk, split_path,
)
from simpleos.machine.blockdev import BLOCK_SIZE, BlockDevice, PowerCut

SMALL_DISK = 64  # blocks: room for a few files, quick to copy


def snapshot(fs: FileSystem, path: str = "/") -> dict:
    """Every directory (as None) and file (as its bytes) below `path`."""
    result = {}
    for entry in fs.listdir(path):
        child = path.rstrip("/") + "/" + entry.name
        if entry.is_dir:
            result[child] = None
            result.update(snapshot(fs, child))
        else:
            result[child] = fs.read_file(child)
    return result


@pytest.fixture
def image(tmp_path):
    """A freshly formatted small disk image (closed)."""
    path = tmp_path / "disk.img"
    with BlockDevice.create(path, SMALL_DISK) as device:
        format_disk(device)
    return path


@pytest.fixture
def fs(image):
    """The small disk, mounted."""
    with FileSystem(BlockDevice.open(image)) as mounted:
        yield mounted


def remount(fs: FileSystem) -> FileSystem:
    """Unmount and mount again from the disk: nothing cached survives."""
    fs.close()
    return FileSystem(BlockDevice.open(fs.device.path))


# --- operations ------------------------------------------------------------


def test_a_new_disk_is_an_empty_root(fs):
    assert fs.listdir("/") == []
    assert fs.stat("/").is_dir
    assert fs.generation == 1


def test_files_and_directories_survive_a_remount(fs):
    fs.mkdir("/drivers/sensor", parents=True)
    fs.write_file("/drivers/sensor/C-00000291-good.sys", b"good" * 3000)
    fs.write_file("/empty", b"")
    fs = remount(fs)
    assert fs.read_file("/drivers/sensor/C-00000291-good.sys") == b"good" * 3000
    assert fs.read_file("/empty") == b""
    assert [(e.name, e.is_dir, e.size) for e in fs.listdir("/")] == [("drivers", True, 0), ("empty", False, 0)]
    assert fs.stat("/drivers/sensor/C-00000291-good.sys").size == 12000
    fs.close()


def test_replace_changes_the_whole_file(fs):
    fs.write_file("/f", b"a" * 10000)
    fs.write_file("/f", b"b")
    assert fs.read_file("/f") == b"b"
    assert remount(fs).read_file("/f") == b"b"


def test_listing_is_sorted_and_exists_tells_kinds(fs):
    for name in ["b", "a", "C", "_z"]:
        fs.write_file("/" + name, name.encode())
    fs.mkdir("/d")
    assert [e.name for e in fs.listdir("/")] == ["C", "_z", "a", "b", "d"]
    assert fs.exists("/a") and fs.is_file("/a") and not fs.is_dir("/a")
    assert fs.exists("/d") and fs.is_dir("/d") and not fs.is_file("/d")
    assert not fs.exists("/nope") and not fs.exists("/a/b")


def test_paths_are_normalized_and_validated():
    assert split_path("/") == ()
    assert split_path("//drivers//sensor/") == ("drivers", "sensor")
    for bad in ["relative", "", "/a/../b", "/./a", "/a b", "/tab\there", "/x" * 40, "/" + "n" * (MAX_NAME_LENGTH + 1)]:
        with pytest.raises(FsError):
            split_path(bad)


@pytest.mark.parametrize("operation, reason", [
    (lambda fs: fs.read_file("/missing"), "no such file or directory: /missing"),
    (lambda fs: fs.read_file("/dir"), "is a directory: /dir"),
    (lambda fs: fs.listdir("/file"), "not a directory: /file"),
    (lambda fs: fs.read_file("/file/x"), "not a directory: /file"),
    (lambda fs: fs.write_file("/nodir/x", b""), "no such directory: /nodir"),
    (lambda fs: fs.write_file("/dir", b""), "is a directory: /dir"),
    (lambda fs: fs.write_file("/", b""), "is a directory: /"),
    (lambda fs: fs.mkdir("/file"), "file exists: /file"),
    (lambda fs: fs.mkdir("/dir"), "file exists: /dir"),
    (lambda fs: fs.mkdir("/a/b"), "no such directory: /a"),
    (lambda fs: fs.remove("/dir"), "directory not empty: /dir"),
    (lambda fs: fs.remove("/"), "cannot remove the root directory"),
    (lambda fs: fs.remove("/missing"), "no such file or directory: /missing"),
    (lambda fs: fs.rename("/dir", "/dir/sub/x"), "cannot move a directory into itself"),
    (lambda fs: fs.rename("/file", "/dir"), "is a directory: /dir"),
    (lambda fs: fs.stat("nope"), "not an absolute path"),
])
def test_bad_operations_give_one_line_reasons_and_change_nothing(fs, operation, reason):
    fs.mkdir("/dir")
    fs.mkdir("/dir/sub")
    fs.write_file("/file", b"data")
    before, generation = snapshot(fs), fs.generation
    with pytest.raises(FsError) as error:
        operation(fs)
    assert reason in str(error.value)
    assert "\n" not in str(error.value)
    assert snapshot(fs) == before and fs.generation == generation


def test_mkdir_parents_and_exist_ok(fs):
    fs.mkdir("/a/b/c", parents=True)
    fs.mkdir("/a/b/c", parents=True)
    fs.mkdir("/a", exist_ok=True)
    assert fs.is_dir("/a/b/c")
    fs.write_file("/x/y/z", b"1", parents=True)
    assert fs.read_file("/x/y/z") == b"1"


def test_remove_files_and_empty_directories(fs):
    fs.write_file("/d/f", b"x", parents=True)
    fs.remove("/d/f")
    fs.remove("/d")
    assert fs.listdir("/") == []


def test_rename_moves_and_replaces(fs):
    fs.write_file("/a", b"new")
    fs.write_file("/q/b", b"old", parents=True)
    fs.rename("/a", "/q/b")
    assert snapshot(fs) == {"/q": None, "/q/b": b"new"}
    fs.rename("/q", "/r")
    assert snapshot(remount(fs)) == {"/r": None, "/r/b": b"new"}


def test_wipe_empties_the_disk_and_frees_all_space(fs):
    empty_free = fs.free_bytes
    fs.write_file("/a/b", b"x" * 20000, parents=True)
    fs.wipe()
    assert fs.listdir("/") == []
    assert fs.free_bytes == empty_free


def test_transaction_commits_all_at_once(fs):
    start = fs.generation
    with fs.transaction():
        fs.write_file("/one", b"1")
        fs.write_file("/dir/two", b"2", parents=True)
        fs.write_file("/one", b"uno")
        assert fs.read_file("/one") == b"uno"  # the transaction sees its own updates
    assert fs.generation == start + 1
    assert snapshot(remount(fs)) == {"/one": b"uno", "/dir": None, "/dir/two": b"2"}


def test_transaction_aborted_by_an_error_leaves_no_trace(fs):
    fs.write_file("/keep", b"k")
    before, free = snapshot(fs), fs.free_bytes
    with pytest.raises(FsError):
        with fs.transaction():
            fs.write_file("/new", b"n" * 9000)
            fs.remove("/no-such-file")
    assert snapshot(fs) == before and fs.free_bytes == free


# --- space ---------------------------------------------------------------------


def test_disk_full_is_clean_and_space_comes_back(fs):
    fs.write_file("/keep", b"k")
    before = snapshot(fs)
    with pytest.raises(DiskFull, match="disk full"):
        fs.write_file("/huge", bytes(SMALL_DISK * BLOCK_SIZE))
    assert snapshot(fs) == before
    # fill the disk with what fits, then free it again
    size = fs.free_bytes - 4 * BLOCK_SIZE
    fs.write_file("/big", bytes(size))
    with pytest.raises(DiskFull):
        fs.write_file("/more", bytes(4 * BLOCK_SIZE))
    fs.remove("/big")
    fs.write_file("/more", bytes(4 * BLOCK_SIZE))
    assert snapshot(remount(fs)) == {**before, "/more": bytes(4 * BLOCK_SIZE)}


def test_replacing_many_times_never_leaks_blocks(fs):
    fs.write_file("/f", b"")
    free = fs.free_bytes
    for round_ in range(3 * SMALL_DISK):
        fs.write_file("/f", bytes([round_ % 256]) * (5 * BLOCK_SIZE))
    fs.write_file("/f", b"")
    assert fs.free_bytes == free
    assert remount(fs).free_bytes == free


def test_replacing_a_file_needs_room_for_both_copies(fs):
    # copy-on-write: the old version stays intact until the commit
    half = (fs.free_bytes // BLOCK_SIZE // 2 + 1) * BLOCK_SIZE
    fs.write_file("/f", bytes(half))
    with pytest.raises(DiskFull):
        fs.write_file("/f", b"\1" * half)
    assert fs.read_file("/f") == bytes(half)


# --- damage ------------------------------------------------------------------------


def test_corrupted_file_data_is_detected(fs):
    fs.write_file("/f", b"precious" * 100)
    number = next(fs._find(("f",)).blocks())
    raw = bytearray(fs.device.read_block(number))
    raw[0] ^= 0xFF
    fs.device.write_block(number, bytes(raw))
    with pytest.raises(FsCorrupt, match="checksum mismatch"):
        fs.read_file("/f")


def test_a_damaged_newest_superblock_falls_back_to_the_previous_generation(fs):
    fs.write_file("/f", b"old")
    fs.write_file("/f", b"new")
    newest = fs._slot
    fs.device.write_block(newest, b"garbage")
    fs = remount(fs)
    assert fs.read_file("/f") == b"old"
    fs.write_file("/g", b"after")  # and it keeps working
    assert snapshot(remount(fs)) == {"/f": b"old", "/g": b"after"}


def test_a_disk_without_file_system_is_refused(tmp_path):
    with BlockDevice.create(tmp_path / "blank.img", SMALL_DISK) as device:
        with pytest.raises(FsError, match="no valid superblock"):
            FileSystem(device)


def test_a_tiny_disk_is_refused(tmp_path):
    with BlockDevice.create(tmp_path / "tiny.img", 4) as device:
        with pytest.raises(FsError, match="too small"):
            format_disk(device)


# --- atomicity: a power cut at EVERY write or flush of an update ------------------------


def setup_state(fs: FileSystem) -> None:
    """The state before each update below."""
    fs.mkdir("/drivers/sensor", parents=True)
    fs.write_file("/drivers/sensor/C-00000291-good.sys", b"good" * 2500)
    fs.write_file("/boot.log", b"booted\n")
    fs.mkdir("/empty")


UPDATES = {
    "replace": lambda fs: fs.write_file("/drivers/sensor/C-00000291-good.sys", b"BAD!" * 3000),
    "create-with-parents": lambda fs: fs.write_file("/crash/dump-1.dmp", b"\0" * 9000, parents=True),
    "remove": lambda fs: fs.remove("/drivers/sensor/C-00000291-good.sys"),
    "rename": lambda fs: fs.rename("/drivers/sensor/C-00000291-good.sys", "/quarantine.sys"),
    "mkdir": lambda fs: fs.mkdir("/a/b", parents=True),
    "rmdir": lambda fs: fs.remove("/empty"),
    "wipe": lambda fs: fs.wipe(),
    "transaction": lambda fs: _two_file_transaction(fs),
}


def _two_file_transaction(fs: FileSystem) -> None:
    """Replace one file and create another in one commit."""
    with fs.transaction():
        fs.write_file("/boot.log", b"booted twice\n")
        fs.write_file("/drivers/sensor/C-00000291-fixed.sys", b"fixed")


@pytest.mark.parametrize("torn", [False, True], ids=["clean-cut", "torn-write"])
@pytest.mark.parametrize("lose_unflushed", [False, True], ids=["cache-kept", "cache-lost"])
@pytest.mark.parametrize("update", sorted(UPDATES))
def test_power_cut_at_every_step_leaves_old_or_new_state(tmp_path, update, torn, lose_unflushed):
    base = tmp_path / "base.img"
    with BlockDevice.create(base, SMALL_DISK) as device:
        setup_state(format_disk(device))
    with FileSystem(BlockDevice.open(base)) as fs:
        old, old_free = snapshot(fs), fs.free_bytes
    trial = tmp_path / "trial.img"
    shutil.copy(base, trial)
    with FileSystem(BlockDevice.open(trial)) as fs:
        steps_before = fs.device.operations
        UPDATES[update](fs)
        steps = fs.device.operations - steps_before
        new = snapshot(fs)
    assert new != old and steps >= 3  # data/metadata, flush, superblock, flush

    outcomes = []
    for cut in range(steps):
        shutil.copy(base, trial)
        fs = FileSystem(BlockDevice.open(trial))
        fs.device.power_cut_after(cut, torn=torn, lose_unflushed=lose_unflushed)
        with pytest.raises(PowerCut):
            UPDATES[update](fs)
        fs.close()
        with FileSystem(BlockDevice.open(trial)) as rebooted:  # mounts: the fs is never corrupt
            state = snapshot(rebooted)  # reads every file: every CRC checks out
            assert state in (old, new), f"torn state after a power cut at step {cut}"
            outcomes.append("new" if state == new else "old")
            if state == old:
                assert rebooted.free_bytes == old_free  # nothing leaked
            rebooted.write_file("/after-reboot", b"ok")  # and it can still be updated
    # The last three steps are flush, superblock write, flush: the superblock
    # write is the commit point. Cut during it, a torn write still lands the
    # superblock's first half, which holds all of it (it is tiny, as a real
    # one fits in one atomically written sector). Cut at the final flush, the
    # superblock is on the platter unless the disk's cache is lost.
    at_superblock_write = "new" if torn else "old"
    at_final_flush = "old" if lose_unflushed else "new"
    assert outcomes == ["old"] * (steps - 2) + [at_superblock_write, at_final_flush]


# --- random operation sequences against a model -----------------------------------------

NAMES = st.sampled_from(["a", "b", "C-00000291-x.sys"])
PATHS = st.lists(NAMES, min_size=1, max_size=2).map(lambda parts: "/" + "/".join(parts))
CONTENTS = st.one_of(st.binary(max_size=64), st.integers(0, 8).map(lambda n: bytes([n]) * (n * BLOCK_SIZE - n)))


class FileSystemMachine(RuleBasedStateMachine):
    """Random updates, remounts and power cuts; the disk must always match a dict model."""

    def __init__(self):
        super().__init__()
        import tempfile
        self.directory = tempfile.TemporaryDirectory()
        self.image = f"{self.directory.name}/disk.img"
        with BlockDevice.create(self.image, 24) as device:
            format_disk(device)
        self.fs = FileSystem(BlockDevice.open(self.image))
        self.model: dict = {}  # path -> bytes for files, None for directories

    def teardown(self):
        self.fs.close()
        self.directory.cleanup()

    def parent_ok(self, path: str) -> bool:
        """Whether the model has a directory to hold `path`."""
        parent = path.rsplit("/", 1)[0]
        return parent == "" or (parent in self.model and self.model[parent] is None)

    def attempt(self, operation, expect_ok: bool, change) -> None:
        """Run `operation` on the disk; on success apply `change` to the model."""
        try:
            operation()
        except DiskFull:
            return  # only the disk knows its free space; the model stays as it was
        except FsError:
            assert not expect_ok
            return
        assert expect_ok
        change()

    @rule(path=PATHS, data=CONTENTS)
    def write(self, path, data):
        ok = self.parent_ok(path) and self.model.get(path, b"") is not None
        self.attempt(lambda: self.fs.write_file(path, data), ok, lambda: self.model.__setitem__(path, data))

    @rule(path=PATHS)
    def mkdir(self, path):
        ok = self.parent_ok(path) and path not in self.model
        self.attempt(lambda: self.fs.mkdir(path), ok, lambda: self.model.__setitem__(path, None))

    @rule(path=PATHS)
    def remove(self, path):
        children = [p for p in self.model if p.startswith(path + "/")]
        ok = path in self.model and not children
        self.attempt(lambda: self.fs.remove(path), ok, lambda: self.model.pop(path))

    @rule(source=PATHS, destination=PATHS)
    def rename(self, source, destination):
        def change():
            moved = {p: v for p, v in self.model.items() if p == source or p.startswith(source + "/")}
            for p in moved:
                del self.model[p]
            self.model.update({destination + p[len(source):]: v for p, v in moved.items()})
        into_itself = self.model.get(source, b"") is None and destination.startswith(source + "/")
        ok = source in self.model and (source == destination or (
            self.parent_ok(destination) and not into_itself and self.model.get(destination, b"") is not None))
        self.attempt(lambda: self.fs.rename(source, destination), ok, change)

    @rule()
    def remount(self):
        self.fs = remount(self.fs)

    @precondition(lambda self: self.parent_ok("/a"))
    @rule(data=CONTENTS, cut=st.integers(0, 12), torn=st.booleans(), lose=st.booleans())
    def write_through_a_power_cut(self, data, cut, torn, lose):
        path = "/a"
        if self.model.get(path, b"") is None:
            return
        old = self.model.get(path)
        self.fs.device.power_cut_after(cut, torn=torn, lose_unflushed=lose)
        try:
            self.fs.write_file(path, data)
        except PowerCut:
            self.fs.close()
            self.fs = FileSystem(BlockDevice.open(self.image))
            if self.fs.exists(path) and self.fs.read_file(path) == data and data != old:
                self.model[path] = data
            return
        except DiskFull:
            pass
        else:
            self.model[path] = data
        self.fs.device.power_cut_after(None)

    @invariant()
    def disk_matches_model(self):
        assert snapshot(self.fs) == self.model


FileSystemMachine.TestCase.settings = settings(
    max_examples=40, stateful_step_count=25, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_random_operations_match_a_dict_model = FileSystemMachine.TestCase


# --- mount checks the metadata, not only the superblock ----------------------------------------

def test_a_corrupt_metadata_block_behind_a_valid_superblock_falls_back_to_the_older_tree(image):
    with FileSystem(BlockDevice.open(image)) as fs:
        fs.write_file("/first", b"one")
        fs.write_file("/second", b"two")                     # the newest generation
        newest_metadata = fs._metadata_blocks
    with BlockDevice.open(image) as device:                   # flip one byte of that tree's metadata
        raw = bytearray(device.read_block(newest_metadata[0]))
        raw[5] ^= 0xFF
        device.write_block(newest_metadata[0], bytes(raw))
        device.flush()
    with FileSystem(BlockDevice.open(image)) as fs:           # the superblock still looks fine
        assert fs.exists("/first") and not fs.exists("/second"), "mounted the previous generation"


def test_with_both_trees_corrupt_mount_refuses_cleanly(image):
    with FileSystem(BlockDevice.open(image)) as fs:
        fs.write_file("/first", b"one")
        fs.write_file("/second", b"two")
        newest = fs._metadata_blocks
    with FileSystem(BlockDevice.open(image)) as fs:
        fs.write_file("/third", b"three")                     # the other slot now holds a third tree
        other = fs._metadata_blocks
    with BlockDevice.open(image) as device:
        for block in (newest[0], other[0]):
            raw = bytearray(device.read_block(block))
            raw[5] ^= 0xFF
            device.write_block(block, bytes(raw))
        device.flush()
    device = BlockDevice.open(image)
    try:
        with pytest.raises(FsError, match="holds no SimpleOS file system"):
            FileSystem(device)
    finally:
        device.close()
