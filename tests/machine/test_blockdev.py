"""The block device: whole blocks in one host file, flush, and power cuts for the lab."""
import os

import pytest

from simpleos.machine.blockdev import BLOCK_SIZE, BlockDevice, DiskBusy, DiskImageError, PowerCut


def block(byte: int) -> bytes:
    """A whole block filled with one byte value."""
    return bytes([byte]) * BLOCK_SIZE


@pytest.fixture
def image(tmp_path):
    """Path of a fresh 16-block disk image (closed)."""
    path = tmp_path / "disk.img"
    BlockDevice.create(path, 16).close()
    return path


def test_create_makes_a_sparse_zeroed_image_of_the_right_size(tmp_path):
    path = tmp_path / "disk.img"
    with BlockDevice.create(path, 4096) as device:
        assert device.block_count == 4096
        assert device.read_block(4095) == bytes(BLOCK_SIZE)
    assert path.stat().st_size == 4096 * BLOCK_SIZE
    assert path.stat().st_blocks * 512 < 1024 * 1024  # sparse: 16 MiB not allocated on the host


def test_blocks_written_are_read_back_after_reattach(image):
    with BlockDevice.open(image) as device:
        device.write_block(3, block(0xAB))
        device.write_block(4, b"short")
        device.flush()
    with BlockDevice.open(image) as device:
        assert device.block_count == 16
        assert device.read_block(3) == block(0xAB)
        assert device.read_block(4) == b"short" + bytes(BLOCK_SIZE - 5)
        assert device.read_block(5) == bytes(BLOCK_SIZE)


def test_out_of_range_and_oversized_writes_are_refused(image):
    with BlockDevice.open(image) as device:
        with pytest.raises(IndexError):
            device.read_block(16)
        with pytest.raises(IndexError):
            device.write_block(-1, b"")
        with pytest.raises(ValueError):
            device.write_block(0, bytes(BLOCK_SIZE + 1))


def test_bad_images_are_refused_with_one_line_reasons(tmp_path, image):
    with pytest.raises(DiskImageError, match="no disk image"):
        BlockDevice.open(tmp_path / "missing.img")
    odd = tmp_path / "odd.img"
    odd.write_bytes(b"x" * 100)
    with pytest.raises(DiskImageError, match="not a disk image"):
        BlockDevice.open(odd)
    with pytest.raises(DiskImageError, match="already exists"):
        BlockDevice.create(image, 16)


def test_two_attachments_of_one_image_are_refused(image):
    with BlockDevice.open(image):
        with pytest.raises(DiskBusy, match="in use"):
            BlockDevice.open(image)
    BlockDevice.open(image).close()  # free again once detached


def test_write_and_flush_counters(image):
    with BlockDevice.open(image) as device:
        device.write_block(2, b"a")
        device.write_block(3, b"b")
        device.flush()
        assert (device.writes, device.flushes, device.operations) == (2, 1, 3)


def test_power_cut_fails_the_next_write_without_doing_it(image):
    device = BlockDevice.open(image)
    device.power_cut_after(2)
    device.write_block(2, block(1))
    device.write_block(3, block(2))
    with pytest.raises(PowerCut):
        device.write_block(4, block(3))
    assert not device.powered
    with pytest.raises(PowerCut):
        device.read_block(2)
    device.close()  # a dead disk closes quietly
    with BlockDevice.open(image) as device:  # reattaching is the reboot
        assert device.read_block(2) == block(1)
        assert device.read_block(3) == block(2)
        assert device.read_block(4) == bytes(BLOCK_SIZE)


def test_power_cut_can_strike_at_a_flush(image):
    device = BlockDevice.open(image)
    device.power_cut_after(1)
    device.write_block(2, block(1))
    with pytest.raises(PowerCut, match="flushing"):
        device.flush()
    with BlockDevice.open(image) as device:
        assert device.read_block(2) == block(1)  # the write had reached the platter anyway


def test_torn_write_lands_half_way(image):
    with BlockDevice.open(image) as device:
        device.write_block(5, block(0x11))
    device = BlockDevice.open(image)
    device.power_cut_after(0, torn=True)
    with pytest.raises(PowerCut):
        device.write_block(5, block(0x22))
    with BlockDevice.open(image) as device:
        half = BLOCK_SIZE // 2
        assert device.read_block(5) == bytes([0x22]) * half + bytes([0x11]) * half


def test_lose_unflushed_drops_writes_since_the_last_flush(image):
    with BlockDevice.open(image) as device:
        device.write_block(2, block(0x11))
    device = BlockDevice.open(image)
    device.power_cut_after(3, lose_unflushed=True)
    device.write_block(2, block(0x22))
    device.flush()  # durable
    device.write_block(2, block(0x33))  # lost
    with pytest.raises(PowerCut):
        device.write_block(3, block(0x44))
    with BlockDevice.open(image) as device:
        assert device.read_block(2) == block(0x22)
        assert device.read_block(3) == bytes(BLOCK_SIZE)


def test_cancelled_power_cut_never_strikes(image):
    with BlockDevice.open(image) as device:
        device.power_cut_after(0)
        device.power_cut_after(None)
        for number in range(16):
            device.write_block(number, block(number))
        device.flush()


def test_negative_power_cut_count_is_refused(image):
    with BlockDevice.open(image) as device:
        with pytest.raises(ValueError):
            device.power_cut_after(-1)


def test_image_file_is_left_closed_after_a_power_cut(image):
    device = BlockDevice.open(image)
    device.power_cut_after(0)
    with pytest.raises(PowerCut):
        device.flush()
    assert os.path.exists(image)
    BlockDevice.open(image).close()  # lock released
