"""The kernel: all of SimpleOS's policy, in readable Python.

Boot, processes, scheduling, system calls, the loader, fault handling and
bugchecks. It drives the hardware only through simpleos.machine and never
imports unicorn: read kernel/kernel.py first, then traps.py (on_fault).
"""
