"""The machine: the emulated x86-64 hardware SimpleOS runs on.

CPU (unicorn), physical memory, page tables, traps, virtual clock, console,
disk, firmware. It provides mechanism only: it never decides what a fault
means, who runs next, or what a file is for -- that is the kernel's job.
machine/ never imports kernel/.
"""
