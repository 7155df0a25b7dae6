"""Modelled costs, in cycles of the virtual clock, for what the CPU does not count.

Instructions cost one cycle each (counted by the machine). Crossing into the
kernel costs more; these numbers are in the range real hardware shows (a
syscall round trip ~100-200 cycles on modern x86; seL4 IPC ~300 cycles one
way; an exception with a page walk and a kernel entry ~1000). They make
`simpleos compare` and the benchmarks (`make bench`) show the textbook
trade-offs without host noise.
"""

DIRECT_CALL = 5            # a ring-0 driver calling a kernel function
SYSCALL = 150              # syscall + sysret, register save/restore
TRAP = 1_000               # exception entry, frame push, handler dispatch
CONTEXT_SWITCH = 500       # save/restore registers, switch CR3, TLB refill
IPC_MESSAGE = 300          # one IPC message copied between address spaces
PROCESS_CREATE = 50_000    # build an address space and load an image
MAP_PAGE = 100             # write one page-table entry and invalidate its TLB entry (a binding made or revoked)
