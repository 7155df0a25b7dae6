"""The boot-status flag: did the last boot get as far as "boot complete"?

Windows' boot manager sets a flag when a boot starts and the system clears
it once the user can log on; if it is still set at the next power-on, that
boot failed. Here the flag lives on the disk as /boot/status and counts the
boots in a row that did not complete. The boot manager (system.py) reads it
to offer safe mode or start automatic repair.
"""
from __future__ import annotations

STATUS_FILE = "/boot/status"


def failed_boots(fs) -> int:
    """Boots in a row that started but never reached "boot complete"."""
    if not fs.exists(STATUS_FILE):
        return 0
    try:
        return int(fs.read_file(STATUS_FILE).decode().split()[0])
    except (ValueError, IndexError):
        return 0


def boot_started(fs) -> None:
    """Set the flag (one more boot in progress). Like the clearing below, an atomic update
    whose flush to the platter waits for the next one (group commit, kernel/fs.py): a boot
    costs fewer fsyncs, and a power cut still finds the old flag or the new one."""
    fs.write_file(STATUS_FILE, f"{failed_boots(fs) + 1} boot(s) started without completing\n".encode(),
                  parents=True, durable=False)


def boot_completed(fs) -> None:
    """Clear the flag: this boot came up."""
    fs.write_file(STATUS_FILE, b"0 boot(s) started without completing\n", parents=True, durable=False)
