"""`simpleos debug`: boot the machine under the debugger (a prompt, a script, or a gdb stub).

    simpleos debug [PROG] [boot options] [--break-on-fault] [--script FILE] [--context] [--gdb PORT]
    simpleos debug --dump DUMP [--script FILE]

The machine boots as `simpleos boot` would (same --machine, --fresh,
--channel, --model, --sensor-build, --seed), once, on a RAM copy of its
disk -- debugging never changes the machine's disk -- and stops before the
first instruction. With PROG (an assembly source or a static ELF
executable, as `simpleos run` takes), PROG starts as a ring-3 process when
the boot is done, as `run` starts it, and the session begins before PROG's
first instruction, with PROG's symbols. Commands come from --script FILE, from stdin when it is
not a terminal, or from a prompt; --gdb PORT serves a real gdb on the
loopback interface instead. --dump DUMP opens a crash dump read-only
instead of booting (debug/dumptarget.py). This file only wires options to
simpleos.debug; it must not hold debugger logic.
"""
from __future__ import annotations

import sys
from pathlib import Path

from ..errors import BadInput
from ..hostfiles import read_text_file
from ..kernel.loader import load_user_program
from ..system import BootOptions
from .common import add_boot_options

EXIT_OK, EXIT_BAD_INPUT, EXIT_USAGE = 0, 1, 2
MAX_SCRIPT_BYTES = 1 << 20
_NOT_FOR_DEBUG = {"json": "--json", "safe_mode": "--safe-mode", "exec_commands": "--exec", "auto_repair": "--auto-repair"}


def register(subparsers) -> None:
    """Add the `debug` command."""
    parser = subparsers.add_parser("debug", help="boot under the debugger: breakpoints, stepping, time travel")
    parser.add_argument("program", metavar="PROG", nargs="?",
                        help="debug this program (an assembly source or a static ELF executable), started "
                             "as `simpleos run` starts it")
    add_boot_options(parser)
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="with PROG: show the whole boot log, not only the program's part")
    parser.add_argument("--break-on-fault", action="store_true",
                        help="stop at a CPU fault before the kernel handles it (before the bugcheck)")
    parser.add_argument("--script", metavar="FILE", help="run the debugger commands in FILE, then exit")
    parser.add_argument("--context", action="store_true",
                        help="show the full context view (registers, code, stack) at every stop")
    parser.add_argument("--gdb", type=_port, metavar="PORT",
                        help="serve the gdb remote protocol on 127.0.0.1:PORT instead of a prompt")
    parser.add_argument("--dump", metavar="DUMP",
                        help="open a crash dump read-only instead of booting (post mortem, as WinDbg -z)")
    parser.set_defaults(func=main)


def main(args) -> int:
    """Run one debugging session; 0 unless the input was bad."""
    for name, flag in _NOT_FOR_DEBUG.items():
        if getattr(args, name, None):
            print(f"simpleos debug: {flag} is not supported here (the debugger boots normally, once, "
                  f"and prints a session transcript)", file=sys.stderr)
            return EXIT_USAGE
    if args.dump is not None and args.gdb is not None:
        print("simpleos debug: --dump opens a crash dump for sdb; --gdb serves a live machine: use one",
              file=sys.stderr)
        return EXIT_USAGE
    if args.dump is not None and args.program is not None:
        print("simpleos debug: --dump opens a crash dump; PROG boots a machine to run a program: use one",
              file=sys.stderr)
        return EXIT_USAGE
    script = _read_script(args.script) if args.script else None
    if args.dump is not None:
        return _post_mortem(args.dump, script)
    serve = _gdb_server() if args.gdb is not None else None
    program = load_user_program(args.program) if args.program else None   # bad input before the boot

    from ..debug.commands import Debugger
    from ..debug.output import Output
    from ..debug.target import DebugTarget

    output = Output()
    console = _console(output, program is not None, args.verbose)
    options = BootOptions(machine=args.machine, fresh=args.fresh, model=args.model, channels=args.channel,
                          seed=args.seed, sensor_build=args.sensor_build, fail_closed=args.fail_closed,
                          rootkit=args.rootkit, deadline_mode=args.deadline_mode,
                          sensor_delay_ms=args.sensor_delay, echo=console.echo)
    target = DebugTarget(options, break_on_fault=args.break_on_fault, program=program,
                         on_program_start=console.program_started)
    if program is not None:
        from ..debug.program import run_to_program_start
        run_to_program_start(target)
    if serve is not None:
        try:
            def say(line):  # flushed: a script reads the attach recipe while the stub waits for gdb
                output.line(line)
                output.flush()
            serve(target, args.gdb, echo=say)
        except (OSError, ValueError) as error:
            raise BadInput(f"cannot serve gdb on port {args.gdb}: {error}") from None
        return EXIT_OK
    interactive = script is None and sys.stdin.isatty()
    debugger = Debugger(target, output, context_on_stop=args.context or interactive)
    if program is not None or interactive:
        debugger.report(target.last_stop)        # where the session begins
    _run_commands(debugger, script)
    output.flush()
    return EXIT_OK


def _console(output, with_program: bool, verbose: bool):
    """Where console lines go: all of them; with PROG, as `simpleos run` shows them (only once
    the program has started, unless --verbose)."""
    from .run import ProgramConsole

    class DebugConsole(ProgramConsole):
        def echo(self, line: str) -> None:
            if self.showing:
                output.line(line)

    console = DebugConsole(json=False, verbose=verbose or not with_program)
    return console


def _post_mortem(path: str, script: list[str] | None) -> int:
    """A read-only session on a crash dump: the trap frame first, then the commands."""
    from ..debug.analyze import load_dump
    from ..debug.commands import Debugger
    from ..debug.dumptarget import DumpTarget
    from ..debug.output import Output
    from ..debug.verbs.postmortem import opening

    target = DumpTarget(load_dump(path), path)
    output = Output()
    debugger = Debugger(target, output)
    output.lines(opening(target))
    _run_commands(debugger, script)
    output.flush()
    return EXIT_OK


def _run_commands(debugger, script: list[str] | None) -> None:
    """Commands from the script, from stdin when it is not a terminal, or from a prompt."""
    if script is not None:
        debugger.run_script(script)
    elif sys.stdin.isatty():
        _enable_line_editing()
        debugger.interactive(input)
    else:
        debugger.run_script(sys.stdin)


def _read_script(path: str) -> list[str]:
    """The lines of a --script file (BadInput with one line if unreadable)."""
    if not Path(path).exists():
        raise BadInput(f"no such script: {path}")
    return read_text_file(path, MAX_SCRIPT_BYTES, "debugger script").splitlines()


def _gdb_server():
    """simpleos.debug.gdb.serve, imported only when asked for."""
    try:
        from ..debug.gdb import serve
    except ModuleNotFoundError as missing:
        if missing.name and missing.name.startswith("simpleos.debug.gdb"):
            raise BadInput("debug --gdb: the gdb stub is not available in this build "
                           "(simpleos/debug/gdb/ is missing)") from None
        raise
    return serve


def _enable_line_editing() -> None:
    """History and editing at the prompt, where the platform has readline."""
    try:
        import readline  # noqa: F401  (importing it is what turns it on for input())
    except ImportError:
        pass


def _port(text: str) -> int:
    """argparse type: a TCP port, 0 (any free port) to 65535."""
    import argparse
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("a port is 0..65535")
    return value
