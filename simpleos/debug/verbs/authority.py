"""`info caps` and `info plist`: what a process may touch, and the process list as guest memory holds it.

info caps [PID]   the explicit authority of a process (the sensor by default): its capability
                  table (nanokernel) or its secure bindings (exokernel); or that it has the
                  ambient authority of any process
info plist        the kernel's process tables in guest memory (kernel/proclist.py), side by
                  side: the active process list (what process_list and every ring-3 sensor
                  see), the run queue and the address-space roots (what the scheduler runs),
                  and the kernel's own records -- a process in the last three but not the
                  first is hidden
On a crash dump both say that the dump keeps no process records (it holds the crashed
thread only). Reading only: it formats what the kernel keeps, and changes nothing.
"""
from __future__ import annotations

HELP = ["  info caps [PID]            what a process may touch: capabilities, bindings (default: the sensor)",
        "  info plist                 the process list in guest memory, against what the scheduler runs"]


def register(debugger) -> None:
    """Add `info caps` (also `info capabilities`, `info bindings`) and `info plist`."""
    debugger.add_info_topic(("caps", "capabilities", "bindings"), lambda words: info_caps(debugger, words))
    debugger.add_info_topic(("plist",), lambda words: info_plist(debugger))


def _live_kernel(debugger, topic: str):
    """The kernel of a live session; a one-line refusal on a crash dump."""
    from ..commands import CommandError
    kernel = getattr(debugger.target, "kernel", None)
    if kernel is None:
        raise CommandError(f"info {topic} reads a running kernel: a crash dump keeps no process records")
    return kernel


def info_caps(debugger, words: list[str]) -> None:
    """info caps [PID]: the explicit authority of a process."""
    from ..commands import CommandError
    kernel = _live_kernel(debugger, "caps")
    pid = debugger._number(words[0]) if words else None
    try:
        debugger.out.lines(caps_lines(kernel, pid))
    except NoSuchProcess:
        raise CommandError(f"no process {pid}") from None


def info_plist(debugger) -> None:
    """info plist: the four views of the processes."""
    debugger.out.lines(plist_lines(_live_kernel(debugger, "plist")))


class NoSuchProcess(LookupError):
    """`info caps PID` for a pid the kernel never had."""


def caps_lines(kernel, pid: int | None = None) -> list[str]:
    """The authority of process `pid` (default: the sensor's current process), one line each."""
    if pid is None:
        sensor = getattr(kernel, "sensor", None)
        process = sensor.process if sensor is not None else None
        if process is None:
            return ["no sensor is loaded (info caps PID names another process)"]
    else:
        process = kernel.processes.get(pid)
        if process is None:
            raise NoSuchProcess(pid)
    header = f"pid {process.pid} {process.name} (ring {process.ring}, {process.state})"
    domain = process.domain
    if domain is None and process.ring == 0:
        return [f"{header}: ring 0 -- every page of the kernel and every system call: no table can say less"]
    if domain is None:
        return [f"{header}: ambient authority -- any system call a process may make, "
                f"and every page its address space maps"]
    return [f"{header}: {domain.summary}"] + [f"  {line}" for line in domain.lines()]


def plist_lines(kernel) -> list[str]:
    """The four views of the processes, and which processes only some of them show."""
    tables = kernel.process_tables
    listed, queued = tables.listed(), tables.run_queue()
    roots = tables.roots()
    lines = [f"process tables at {tables.address:#x} (kernel/proclist.py)",
             f"  active process list ({len(listed)}): " + _names(listed),
             f"  run queue ({len(queued)}): " + _names(queued),
             f"  address-space roots ({len(roots)}): " + ", ".join(f"{cr3:#x} pid {pid}" for cr3, pid in roots),
             "  kernel records (alive): " + _names([(p.pid, p.name) for p in kernel.processes.values() if p.alive])]
    listed_pids = {pid for pid, _ in listed}
    hidden = sorted(({pid for pid, _ in queued} | {pid for _, pid in roots}) - listed_pids)
    lines.append("  not on the list: " + (", ".join(f"pid {pid} {kernel.processes[pid].name}" if pid in kernel.processes
                                                   else f"pid {pid}" for pid in hidden) or "none"))
    return lines


def _names(entries) -> str:
    return ", ".join(f"{pid} {name}" for pid, name in entries) or "(empty)"
