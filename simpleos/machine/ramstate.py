"""A copy of the machine's state -- RAM, the frame allocator, the registers -- to put back later.

Time travel (debug/checkpoints.py) keeps such copies at points of a run
and puts one back into the running CPU to go back there. Only the RAM in
use is copied: frames below the allocator's high-water mark (the rest has
never been handed out, and alloc_frame zeroes a frame before it is used).
RAM is kept in pages, compared in place with the previous copy (the RAM's
host memory is PhysicalMemory's), and a page that did not change since the previous
copy is the same bytes object, shared, and every page of zeros is one
bytes object: copies taken a few million instructions apart cost little
more than the pages written in between.
Mechanism only: when to take or use a copy is the debugger's business.
"""
from __future__ import annotations

from ..record import dataclass
from ._pages import share_pages
from .layout import PAGE_SIZE

_ZERO_PAGE = bytes(PAGE_SIZE)         # the one object for every page of zeros


@dataclass(eq=False)
class MachineState:
    """RAM pages [0, high_water), the allocator's free list and the CPU's registers (CR2,
    which unicorn's saved context does not hold, apart: CPU.page_fault_address)."""
    pages: tuple[bytes, ...]
    high_water: int
    free_frames: tuple[int, ...]
    registers: bytes
    page_fault_address: int = 0

    def private_bytes(self, previous: "MachineState | None") -> int:
        """Bytes of RAM this copy holds that `previous` does not share."""
        shared = {id(page) for page in previous.pages} if previous is not None else set()
        return sum(len(page) for page in self.pages if id(page) not in shared) + len(self.registers)


def capture(cpu, previous: MachineState | None = None) -> MachineState:
    """The state of `cpu` now; pages equal to `previous`'s are shared with it."""
    memory = cpu.memory
    high_water = memory.high_water
    pages, _ = share_pages(memory.host_ram, high_water, previous.pages if previous is not None else (),
                           PAGE_SIZE, _ZERO_PAGE)      # (a memcmp per page: _pages.c)
    return MachineState(pages, high_water, tuple(memory.free_frame_list), bytes(cpu.save_context()),
                        cpu.page_fault_address)


def restore(cpu, state: MachineState) -> None:
    """Put `state` back into `cpu` (the same machine model: its RAM size and layout).
    Only pages that differ are written; RAM above the copy's high-water mark is zeroed
    (never handed out, then); every translation of code is dropped, as the code in RAM
    may differ from what was translated."""
    memory = cpu.memory
    _, changed = share_pages(memory.host_ram, state.high_water, state.pages, PAGE_SIZE, _ZERO_PAGE)
    for index in changed:
        memory.write(index * PAGE_SIZE, state.pages[index])
    if memory.high_water > state.high_water:
        memory.write(state.high_water, bytes(memory.high_water - state.high_water))
    memory.set_allocator(state.high_water, list(state.free_frames))
    cpu.load_registers(state.registers)
    cpu.page_fault_address = state.page_fault_address
    memory.drop_translations()

