"""The commands of a crash-dump session (`simpleos debug --dump DUMP`), and `analyze`.

On a DumpTarget (dumptarget.py) this module replaces what needs a live
machine: running and stepping (and breakpoints, which only matter to a
run) are refused with one line; `context` and `explain` show the trap
frame and the dump's explanation; `info proc` names the crashed thread;
`page` and `info gdt` say the dump has no page tables or GDT. `analyze`
prints the `!analyze -v` report of the dump (in a live session it says
where dumps come from). Everything else -- info registers, bt, x,
telescope, vmmap, info symbol, print -- is the ordinary command reading
the dump. Prints; never changes the dump.
"""
from __future__ import annotations

from .. import analyze as report
from ..commands import CommandError
from ..dumptarget import CANNOT_RUN, DumpTarget
from ..examine import label

HELP = ["  analyze                    the crash dump's !analyze -v report (simpleos debug --dump DUMP)"]
RUN_COMMANDS = [("stepi", "si"), ("nexti", "ni"), ("continue", "c", "cont"), ("finish", "fin"),
                ("reverse-stepi", "rsi"), ("reverse-continue", "rc"), ("break", "b", "br"), ("delete", "d")]


def register(debugger) -> None:
    """Add `analyze`; on a crash dump, replace the commands that need a live machine."""
    debugger.add_command(("analyze",), lambda argument: do_analyze(debugger))
    if not isinstance(debugger.target, DumpTarget):
        return
    for names in RUN_COMMANDS:
        debugger.add_command(names, _refuse)
    debugger.add_command(("context", "ctx"), lambda argument: debugger.out.lines(opening(debugger.target)))
    debugger.add_command(("explain",), lambda argument: debugger.out.lines(explanation(debugger.target)))
    debugger.add_command(("page",), lambda argument: _no("page tables (vmmap lists the ranges it recorded)"))
    debugger.add_info_topic(("gdt",), lambda words: _no("GDT"))
    debugger.add_info_topic(("proc", "processes"), lambda words: debugger.out.line(_process_line(debugger.target)))


def do_analyze(debugger) -> None:
    """analyze: the report of the dump being debugged."""
    if not isinstance(debugger.target, DumpTarget):
        raise CommandError("analyze reads a crash dump: simpleos debug --dump DIR/dumps/CRASH-NNNN.dmp "
                           "(a live session has 'explain')")
    debugger.out.lines(report.analyze(debugger.target.dump))


def opening(target: DumpTarget) -> list[str]:
    """What a dump session shows first: the stop, the trap frame, the faulting instruction."""
    dump = target.dump
    bugcheck = dump["bugcheck"]
    params = ", ".join(f"{int(p):#018x}" for p in bugcheck["parameters"])
    rip = int(bugcheck["rip"])
    found = target.instruction_at(rip)
    instruction = f"{found[2]} {found[3]}".strip() if found else "<the dump has no code bytes here>"
    process = dump.get("process") or {}
    lines = [f"crash dump {target.path}: boot {dump.get('boot')}, model {dump.get('model')}, seed {dump.get('seed')}"
             f" (read-only: {CANNOT_RUN.split(': ')[1]})",
             f"*** STOP: {int(bugcheck['code']):#010x} ({params}) {bugcheck.get('name') or ''}".rstrip(),
             f"  in {process.get('name', '?')} (pid {process.get('pid', '?')}, ring {process.get('ring', '?')})"
             f" at {label(target, rip)}",
             "trap frame:"]
    lines += ["  " + line for line in report.trap_frame(target.registers())]
    lines.append(f"=> {label(target, rip)}:\t{instruction}")
    return lines


def explanation(target: DumpTarget) -> list[str]:
    """explain, from the dump: the EXPLANATION block of the report."""
    lines = report.analyze(target.dump)
    start = lines.index("EXPLANATION:") + 1
    end = lines.index("", start)
    return [line.strip() for line in lines[start:end]]


def _process_line(target: DumpTarget) -> str:
    process = target.dump.get("process") or {}
    return (f"  pid {process.get('pid', '?')}  {process.get('name', '?')}  ring {process.get('ring', '?')}  "
            f"(the thread on the CPU at the crash: the dump keeps no other process)")


def _refuse(argument: str) -> None:
    raise CommandError(CANNOT_RUN)


def _no(what: str) -> None:
    raise CommandError(f"a crash dump has no {what}")
