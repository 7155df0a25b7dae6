"""The kernel's process tables in guest memory, kept in step with the kernel's own records.

Windows keeps its processes on a doubly linked list (EPROCESS.ActiveProcessLinks, from
PsActiveProcessHead) that tools -- and rootkits -- read and write in place. SimpleOS keeps
its process records in Python (kernel.processes); this module mirrors them into guest
memory, where ring-0 code can walk them, as three structures:

  the active process list   one object per live process (pid, cr3, name), on a circular
                            doubly linked list from a head: what the process_list call reports
  the run queue             a pointer to the object of every process the scheduler runs
  the address-space roots   the page-table root (CR3) of every ring-3 process, and its pid

The kernel links an object in when it creates a process and unlinks it when the process
exits, as a real kernel does: it never rebuilds the list from its records, so an entry that
someone else unlinked stays unlinked. The tables live in reserved low memory
(PROCESS_TABLES_PHYS, below the frame allocator, so no other address moves) and are reached
through the direct map: supervisor only, invisible from ring 3. Ring-0 drivers import their
address as `process_tables`. The process_list system call (505) is the sanctioned view: it
walks the list. ps_wait_created (516) is the process-creation callback of ring-0 drivers
(PsSetCreateProcessNotifyRoutine). This module must NOT decide anything about processes
(the scheduler does), and never trusts what it reads back: every walk is bounded and every
pointer is checked.
"""
from __future__ import annotations

from collections import deque

from ..machine.layout import PROCESS_TABLES_PHYS, PROCESS_TABLES_SIZE, phys_to_virt
from . import errno
from .usercopy import copy_to_user
from .waiting import Block

# The layout (docs/memory-layout.md): offsets into the tables, then into one process object.
HEAD = 0x00                    # the list head: Flink, Blink
RUN_QUEUE_COUNT = 0x10
ROOTS_COUNT = 0x18
RUN_QUEUE = 0x40               # SLOTS pointers to objects
ROOTS = RUN_QUEUE + 8 * 128    # SLOTS entries of {cr3, pid}
OBJECTS = 0x1000               # SLOTS objects of OBJECT_SIZE bytes
SLOTS = 128
OBJECT_SIZE = 64
ROOT_ENTRY_SIZE = 16
LINKS, PID, CR3, NAME, RING = 0x00, 0x10, 0x18, 0x20, 0x30    # fields of a process object
NAME_SIZE = 16
RECORD_SIZE = 8 + NAME_SIZE    # what process_list writes per process: pid, name

assert OBJECTS + SLOTS * OBJECT_SIZE <= PROCESS_TABLES_SIZE and ROOTS + SLOTS * ROOT_ENTRY_SIZE <= OBJECTS


class ProcessTables:
    """The guest-memory mirror of one kernel's processes (see the module docstring)."""

    def __init__(self, kernel) -> None:
        self.memory = kernel.machine.memory
        self.address = phys_to_virt(PROCESS_TABLES_PHYS)     # what ring-0 drivers import
        self.memory.write(PROCESS_TABLES_PHYS, bytes(PROCESS_TABLES_SIZE))
        self._write(HEAD, self.address)                      # an empty list points at its own head
        self._write(HEAD + 8, self.address)
        self.slots: dict[int, int] = {}                      # pid -> object slot
        self._free_slots = list(range(SLOTS - 1, -1, -1))
        self.watchers: dict[int, deque[int]] = {}            # pid of a ring-0 driver -> objects created since
        kernel.on_process_created.append(self.created)
        kernel.on_process_exited.append(self.exited)

    # --- raw access ------------------------------------------------------------------

    def _read(self, offset: int) -> int:
        return self.memory.read_u64(PROCESS_TABLES_PHYS + offset)

    def _write(self, offset: int, value: int) -> None:
        self.memory.write_u64(PROCESS_TABLES_PHYS + offset, value & ((1 << 64) - 1))

    def offset_of(self, address: int) -> int | None:
        """The offset of a kernel virtual address inside the tables, or None if it is elsewhere."""
        offset = address - self.address
        return offset if 0 <= offset < PROCESS_TABLES_SIZE else None

    def object_address(self, pid: int) -> int | None:
        """Where the object of process `pid` is (None once it has exited)."""
        slot = self.slots.get(pid)
        return None if slot is None else self.address + OBJECTS + slot * OBJECT_SIZE

    # --- the kernel's side: a process is created, a process exits -----------------------

    def created(self, process) -> None:
        """Kernel hook: write the new process's object, link it at the tail of the list, put it
        in the run queue (and its address space among the roots); tell the watching drivers."""
        if not self._free_slots:
            return          # more than SLOTS live processes: the kernel refuses long before this
        slot = self.slots[process.pid] = self._free_slots.pop()
        obj = OBJECTS + slot * OBJECT_SIZE
        name = process.name.encode("utf-8", "replace")[:NAME_SIZE - 1]
        self.memory.write(PROCESS_TABLES_PHYS + obj, bytes(OBJECT_SIZE))
        self._write(obj + PID, process.pid)
        self._write(obj + CR3, process.space.root)
        self.memory.write(PROCESS_TABLES_PHYS + obj + NAME, name)
        self._write(obj + RING, process.ring)
        self._insert_tail(obj)
        self._append(RUN_QUEUE_COUNT, RUN_QUEUE, 8, [self.address + obj])
        if process.ring == 3:
            self._append(ROOTS_COUNT, ROOTS, ROOT_ENTRY_SIZE, [process.space.root, process.pid])
        for objects in self.watchers.values():
            objects.append(self.address + obj)

    def exited(self, process) -> None:
        """Kernel hook: unlink the process's object from the list, the run queue and the roots."""
        slot = self.slots.pop(process.pid, None)
        self.watchers.pop(process.pid, None)
        if slot is None:
            return
        obj = OBJECTS + slot * OBJECT_SIZE
        self._remove_entry(obj)
        self._remove(RUN_QUEUE_COUNT, RUN_QUEUE, 8, lambda entry: self._read(entry) == self.address + obj)
        self._remove(ROOTS_COUNT, ROOTS, ROOT_ENTRY_SIZE, lambda entry: self._read(entry + 8) == process.pid)
        self._free_slots.append(slot)

    def _insert_tail(self, obj: int) -> None:
        """InsertTailList(head, object): the new entry between the last one and the head."""
        entry = self.address + obj
        last = self._read(HEAD + 8)
        last_offset = self.offset_of(last)
        self._write(obj + LINKS, self.address + HEAD)
        self._write(obj + LINKS + 8, last)
        if last_offset is not None:
            self._write(last_offset + LINKS, entry)
        self._write(HEAD + 8, entry)

    def _remove_entry(self, obj: int) -> None:
        """RemoveEntryList(object), with the check modern Windows makes: only if both neighbours
        point back at it (an entry already unlinked -- by a rootkit -- is left alone)."""
        entry = self.address + obj
        flink, blink = self._read(obj + LINKS), self._read(obj + LINKS + 8)
        flink_offset, blink_offset = self.offset_of(flink), self.offset_of(blink)
        if flink_offset is None or blink_offset is None:
            return
        if self._read(flink_offset + 8) != entry or self._read(blink_offset) != entry:
            return
        self._write(blink_offset, flink)
        self._write(flink_offset + 8, blink)

    def _append(self, count_at: int, array: int, size: int, words: list[int]) -> None:
        count = self._read(count_at)
        if count >= SLOTS:
            return
        for index, word in enumerate(words):
            self._write(array + count * size + 8 * index, word)
        self._write(count_at, count + 1)

    def _remove(self, count_at: int, array: int, size: int, matches) -> None:
        """Take the first entry that matches out of an array; the last entry takes its place."""
        count = min(self._read(count_at), SLOTS)
        for index in range(count):
            entry = array + index * size
            if matches(entry):
                last = array + (count - 1) * size
                self.memory.write(PROCESS_TABLES_PHYS + entry, self.memory.read(PROCESS_TABLES_PHYS + last, size))
                self.memory.write(PROCESS_TABLES_PHYS + last, bytes(size))
                self._write(count_at, count - 1)
                return

    # --- the views -------------------------------------------------------------------

    def listed(self) -> list[tuple[int, str]]:
        """(pid, name) of every object on the active process list, walked from the head as
        guest code would: at most SLOTS steps, stopping at any pointer outside the objects."""
        found, entry = [], self._read(HEAD)
        for _ in range(SLOTS):
            offset = self.offset_of(entry)
            if offset is None or offset == HEAD or offset < OBJECTS or (offset - OBJECTS) % OBJECT_SIZE:
                break
            found.append((self._read(offset + PID), self._name_at(offset)))
            entry = self._read(offset + LINKS)
        return found

    def run_queue(self) -> list[tuple[int, str]]:
        """(pid, name) of every object the run-queue view points at."""
        found = []
        for index in range(min(self._read(RUN_QUEUE_COUNT), SLOTS)):
            offset = self.offset_of(self._read(RUN_QUEUE + 8 * index))
            if offset is not None and offset >= OBJECTS:
                found.append((self._read(offset + PID), self._name_at(offset)))
        return found

    def roots(self) -> list[tuple[int, int]]:
        """(cr3, pid) of every address-space root."""
        return [(self._read(ROOTS + ROOT_ENTRY_SIZE * index), self._read(ROOTS + ROOT_ENTRY_SIZE * index + 8))
                for index in range(min(self._read(ROOTS_COUNT), SLOTS))]

    def _name_at(self, offset: int) -> str:
        raw = self.memory.read(PROCESS_TABLES_PHYS + offset + NAME, NAME_SIZE)
        return raw.split(b"\0", 1)[0].decode("utf-8", "replace")

    def watch(self, process) -> deque[int]:
        """The creation notices of ring-0 driver `process` (registered on its first call)."""
        return self.watchers.setdefault(process.pid, deque())


def sys_process_list(k, p, buf, size, *_):
    """process_list(buf, size): the processes the kernel's list reports, as records of
    {u64 pid, char name[16]}; how many records were written (as many as fit)."""
    records = b"".join(pid.to_bytes(8, "little") + name.encode("utf-8")[:NAME_SIZE - 1].ljust(NAME_SIZE, b"\0")
                       for pid, name in k.process_tables.listed())
    fitting = min(len(records), max(size, 0) // RECORD_SIZE * RECORD_SIZE)
    copy_to_user(p.space, buf, records[:fitting], ring=p.ring)
    return fitting // RECORD_SIZE


def sys_ps_wait_created(k, p, *_):
    """ps_wait_created(): a ring-0 driver's process-creation callback -- the address of the
    next new process's object (the first call registers the caller). Blocks until there is one."""
    if p.ring != 0:
        return -errno.EPERM
    notices = k.process_tables.watch(p)

    def ready():
        return notices.popleft() if notices else None
    result = ready()
    if result is None:
        raise Block(ready)
    return result


PROCESS_SYSCALLS = {
    505: ("process_list", sys_process_list),
    516: ("ps_wait_created", sys_ps_wait_created),
}
