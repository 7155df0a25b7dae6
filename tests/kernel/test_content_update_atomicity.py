"""A content update cut by a reset at any point never leaves a torn channel file."""
import pytest

from simpleos.kernel.content import UPDATE_LOG, deliver_update
from simpleos.kernel.fs import FileSystem, format_disk
from simpleos.machine.blockdev import BlockDevice, PowerCut

OLD, NEW = b"old content " * 100, b"NEW content " * 300
NAME = "C-00000291-bad.sys"


def prepared_disk(path):
    with BlockDevice.create(path, 256) as device:
        fs = format_disk(device)
        deliver_update(fs, NAME, OLD)


def operations_of_one_update(path) -> int:
    prepared_disk(path)
    with BlockDevice.open(path) as device:
        fs = FileSystem(device)
        before = device.operations
        deliver_update(fs, NAME, NEW)
        return device.operations - before


@pytest.mark.parametrize("torn", [False, True], ids=["clean-cut", "torn-write"])
def test_an_update_cut_at_every_step_leaves_old_or_new(tmp_path, torn):
    total = operations_of_one_update(tmp_path / "probe.img")
    assert total >= 3
    outcomes = set()
    for cut_after in range(total + 1):
        image = tmp_path / f"disk-{cut_after}.img"
        prepared_disk(image)
        device = BlockDevice.open(image)
        fs = FileSystem(device)
        device.power_cut_after(cut_after, torn=torn)
        try:
            deliver_update(fs, NAME, NEW)
            device.power_cut_after(None)                    # it got through: no cut after all
            device.close()
        except PowerCut:
            pass                                            # the device is dead and closed
        with BlockDevice.open(image) as device:           # the reset: mount again
            fs = FileSystem(device)
            content = fs.read_file(f"/drivers/sensor/{NAME}")
            log = fs.read_file(UPDATE_LOG).decode().split()
            assert content in (OLD, NEW), f"torn file after a cut at step {cut_after}"
            assert log == ([NAME] if content == OLD else [NAME, NAME]), "file and log change together"
            outcomes.add(content)
    assert outcomes == {OLD, NEW}
