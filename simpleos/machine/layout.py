"""Fixed addresses and sizes of the machine and of the address-space ABI.

Higher-half kernel, as in Linux: the lower half (below 0x0000800000000000) is
user space; the upper half belongs to the kernel and is mapped supervisor-only
in every address space. Labs depend on these numbers: change them only with
docs/memory-layout.md.
"""

PAGE_SIZE = 0x1000
HUGE_PAGE_SIZE = 0x200000

# Physical memory (guest RAM), mapped once into unicorn at physical address 0.
PHYS_MEMORY_SIZE = 64 * 1024 * 1024
GDT_PHYS = 0x1000                   # the GDT lives in this physical frame
NO_ACCESS_PML4_PHYS = 0x2000        # an all-zero frame: as CR3, nothing at all is mapped
PROCESS_TABLES_PHYS = 0x80000       # the kernel's process tables in guest memory (kernel/proclist.py)
PROCESS_TABLES_SIZE = 0x4000        # 16 KiB, in reserved low memory: reached through the direct map
FIRST_FREE_FRAME = 0x100000         # frames below 1 MiB are reserved

# Kernel half.
USER_SPACE_END = 0x0000800000000000
DIRECT_MAP_BASE = 0xFFFF800000000000    # all RAM, supervisor RW NX
KERNEL_IMAGE_BASE = 0xFFFFFFFF80000000  # ring-0 code: trampolines, boot drivers
KERNEL_IMAGE_SIZE = 0x01000000          # 16 MiB window for ring-0 code and data

# User half.
USER_TEXT_BASE = 0x0000000000400000
USER_STACK_TOP = 0x00007FFFFFFFF000
USER_STACK_PAGES = 16                   # 64 KiB of stack, then the guard page

# Segment selectors (GDT index << 3 | RPL). Order fits syscall/sysret STAR.
KERNEL_CODE_SELECTOR = 0x08
KERNEL_DATA_SELECTOR = 0x10
USER_DATA_SELECTOR = 0x1B
USER_CODE_SELECTOR = 0x23


def phys_to_virt(phys: int) -> int:
    """The kernel-half (direct-map) virtual address of a physical address."""
    return DIRECT_MAP_BASE + phys


def is_user_address(addr: int) -> bool:
    """True for addresses in the lower (user) half."""
    return 0 <= addr < USER_SPACE_END


def is_canonical(addr: int) -> bool:
    """True for 48-bit canonical addresses: bits 63..47 all equal (the lower half, or the
    upper half from 0xffff800000000000). Anything else faults (#GP) before any page walk."""
    return 0 <= addr < USER_SPACE_END or 0xFFFF800000000000 <= addr <= 0xFFFFFFFFFFFFFFFF
