"""The debugger's command language (gdb-flavoured): read a command, do it on the DebugTarget, print.

  break SPEC | b SPEC        breakpoint at a symbol, address or expression
  delete [N]                 delete breakpoint N (all without N)
  info breakpoints | i b     list them
  stepi [N] | si             run one (N) instruction(s)
  nexti [N] | ni             the same, but a call runs to its return
  continue | c               run to a breakpoint, held fault, bugcheck or idle
  finish                     run until the current function returns
  reverse-stepi [N] | rsi    one (N) instruction(s) back in time
  reverse-continue | rc      back to the previous breakpoint (or held fault)
  x/NFU ADDR                 examine memory (x/21gx ipc_context, x/5i $rip, x/s $rdi)
  print EXPR | p EXPR        the value of an expression
  set $REG = EXPR            change a register
  info registers | i r [R..] registers
  bt | backtrace | where     the call chain
  info proc                  processes
  info gdt                   the descriptor table
  page ADDR                  the page walk of ADDR and who may access it
  explain                    the held fault (or bugcheck), in words
  context                    the full context view
  quit | q                   leave

More commands come from the modules of simpleos/debug/verbs/ (one concept
each); `help` lists them too. Commands come from a script (--script), from
stdin when it is not a terminal, or from an interactive prompt. Errors print one line and the
session goes on. This module turns text into DebugTarget calls and lines
of output; it must not reach into the kernel or the CPU itself beyond
reading what it shows.
"""
from __future__ import annotations

import shlex
from dataclasses import replace
from typing import Callable

from ..machine.layout import is_user_address
from ..machine.trap import describe_error_code
from . import examine, expr, explain, pagewalk, sourceview, verbs, view
from .backtrace import backtrace
from .gdtview import gdt_lines
from .output import Output
from .stops import StopEvent
from .symbols import UnknownSymbol
from .target import DebugError, DebugTarget
from .verbs import watch as watch_verbs

PROMPT = "(sdb) "


class CommandError(Exception):
    """A command that cannot be done as typed (one line for the user)."""


class Debugger:
    """One debugging session over a DebugTarget."""

    def __init__(self, target: DebugTarget, output: Output, context_on_stop: bool = False) -> None:
        self.target = target
        self.out = output
        self.context_on_stop = context_on_stop
        self.numbers: dict[int, int] = {}        # breakpoint number -> address
        self._next_number = 1
        self._last_spec = examine.Spec()
        self._registers_at_stop = target.registers()      # at the last stop ...
        self._registers_before = self._registers_at_stop    # ... and at the one before: 'changed' is between
        self.finished = False
        self.errors = 0
        self._commands: dict[str, Callable[[str], None]] = {}
        for names, method in [
            (("break", "b", "br"), self.do_break), (("delete", "d"), self.do_delete),
            (("stepi", "si"), self.do_stepi), (("nexti", "ni"), self.do_nexti),
            (("continue", "c", "cont"), self.do_continue), (("finish", "fin"), self.do_finish),
            (("reverse-stepi", "rsi"), self.do_reverse_stepi),
            (("reverse-continue", "rc"), self.do_reverse_continue),
            (("print", "p"), self.do_print), (("set",), self.do_set),
            (("info", "i"), self.do_info), (("bt", "backtrace", "where"), self.do_backtrace),
            (("page",), self.do_page), (("explain",), self.do_explain), (("context", "ctx"), self.do_context),
            (("help", "h"), self.do_help), (("quit", "q", "exit"), self.do_quit),
        ]:
            self.add_command(names, method)
        self._info_topics: dict[str, Callable[[list[str]], None]] = {}
        self._info_names: list[str] = []          # each topic's first name, for the error line
        for names, method in [(("registers", "reg", "r"), self._info_registers),
                              (("breakpoints", "break", "b"), self._info_breakpoints),
                              (("proc", "processes"), self._info_proc),
                              (("gdt",), lambda words: self.out.lines(gdt_lines(self.target)))]:
            self.add_info_topic(names, method)
        self._help = __doc__.split("\n\n")[1].splitlines()
        for module in verbs.modules():
            module.register(self)
            self._help += module.HELP

    def add_command(self, names, method: Callable[[str], None]) -> None:
        """Make `method(argument)` the command called by each of `names` (verbs/ modules use this)."""
        for name in names:
            self._commands[name] = method

    def add_info_topic(self, names, method: Callable[[list[str]], None]) -> None:
        """Make `method(words)` answer `info NAME ...` for each of `names`."""
        if names[0] not in self._info_names:
            self._info_names.append(names[0])
        for name in names:
            self._info_topics[name] = method

    # --- reading commands ----------------------------------------------------------

    def execute(self, line: str) -> None:
        """Do one command line; errors print one line."""
        line = line.strip()
        if not line or line.startswith("#"):
            return
        name, _, argument = line.partition(" ")
        if name.startswith("x/") or name == "x":
            name, argument = "x", (name[2:] + " " + argument) if name.startswith("x/") else argument
        try:
            if name == "x":
                self.do_examine(argument.strip())
            elif name in self._commands:
                self._commands[name](argument.strip())
            else:
                raise CommandError(f"unknown command {name!r} (try help)")
        except (CommandError, DebugError, expr.ExpressionError, UnknownSymbol, MemoryError, ValueError) as error:
            self.errors += 1
            self.out.line(f"error: {error}")

    def run_script(self, lines, echo: bool = True) -> None:
        """Run commands one after the other (each echoed after the prompt), until quit."""
        for line in lines:
            if self.finished:
                break
            command = line.rstrip("\n")
            if not command.strip() or command.strip().startswith("#"):
                continue
            if echo:
                self.out.line(PROMPT + command.strip())
            self.execute(command)

    def interactive(self, read: Callable[[str], str]) -> None:
        """A prompt until quit or end of input; an empty line repeats the last command."""
        last = ""
        while not self.finished:
            self.out.flush()
            try:
                line = read(PROMPT)
            except EOFError:
                self.out.line()
                break
            except KeyboardInterrupt:
                self.out.line("^C")
                continue
            if not line.strip():
                line = last
            last = line
            self._execute_interruptibly(line)

    def _execute_interruptibly(self, line: str) -> None:
        """Ctrl-C while a command runs asks the target to stop (a clean stop, not an exception)."""
        import signal
        import threading
        if threading.current_thread() is not threading.main_thread():
            self.execute(line)
            return
        previous = signal.signal(signal.SIGINT, lambda number, frame: self.target.interrupt())
        try:
            self.execute(line)
        finally:
            signal.signal(signal.SIGINT, previous)

    # --- reporting stops ---------------------------------------------------------------

    def report(self, event: StopEvent) -> None:
        """What a stop looks like: the reason, then the next instruction (or the full context)."""
        self._registers_before, self._registers_at_stop = self._registers_at_stop, self.target.registers()
        if event.reason == "breakpoint":
            number = next((n for n, a in self.numbers.items() if a == event.address), None)
            what = f"breakpoint {number}" if number is not None else "breakpoint"
            self.out.line(f"[position {event.position}] {what}, {examine.label(self.target, event.address)}")
        elif event.reason == "fault":
            self.out.line(f"[position {event.position}] fault held before the kernel sees it (signal {event.signal}):")
            self.out.line(f"  {event.description}")
            self.out.line("  'explain' says why; 'continue' or 'stepi' delivers it to the kernel")
        elif event.reason == "bugcheck":
            self.out.line(f"[position {event.position}] the machine bugchecked:")
            self.out.line(f"  {event.bugcheck.headline()}")
            self.out.line(f"  in {event.bugcheck.where()} ({self.target.symbolize(event.bugcheck.rip)})")
        elif event.reason == "watchpoint":
            self.out.lines(watch_verbs.stop_lines(self, event))
        elif event.reason == "idle":
            self.out.line(f"[position {event.position}] {event.description}")
        else:
            self.out.line(f"[position {event.position}] {event.description}")
        if event.reason in ("step", "breakpoint", "watchpoint", "fault", "start", "interrupted"):
            if self.context_on_stop:
                self.do_context("")
            else:
                self._show_next_instruction()

    def _show_next_instruction(self) -> None:
        """The instruction at RIP, then its source line (file:line and the text) if known."""
        rip = self.target.registers()["rip"]
        found = self.target.instruction_at(rip)
        if found is None:
            self.out.line(f"=> {examine.label(self.target, rip)}:\t<cannot read memory>")
        else:
            self.out.line(f"=> {examine.label(self.target, rip)}:\t{found[2]} {found[3]}".rstrip())
        self.out.lines(sourceview.stop_lines(self.target, rip))

    # --- commands ---------------------------------------------------------------------

    def do_break(self, argument: str) -> None:
        """break SPEC: a breakpoint before the instruction at SPEC."""
        if not argument:
            raise CommandError("break needs a symbol or an address")
        address = self._address(argument.lstrip("*"))
        if address in self.numbers.values():
            raise CommandError(f"there is already a breakpoint at {examine.label(self.target, address)}")
        number = self._next_number
        self._next_number += 1
        self.numbers[number] = address
        process = None
        if is_user_address(address):
            qualifier = argument.lstrip("*").strip().partition("!")[0] if "!" in argument else None
            process = qualifier if qualifier and qualifier.replace("_", "").isalnum() else None
            if process is None and "!" not in argument:
                process = self.target.program_breakpoint_owner(address)    # debug PROG: PROG's code
        self.target.add_breakpoint(address, process=process)
        only = f" (only in {process})" if process else (
            " (a user address: it stops every process that runs it; PROGRAM!symbol stops only that one)"
            if is_user_address(address) else "")
        self.out.line(f"breakpoint {number} at {examine.label(self.target, address)}{only}")

    def do_delete(self, argument: str) -> None:
        """delete [N]: remove breakpoint N, or all of them."""
        wanted = list(self.numbers) if not argument else [self._number(word) for word in argument.split()]
        for number in wanted:
            if number not in self.numbers:
                raise CommandError(f"no breakpoint number {number}")
            self.target.remove_breakpoint(self.numbers.pop(number))
        if not argument:
            self.out.line("deleted all breakpoints")

    def do_stepi(self, argument: str) -> None:
        """stepi [N]."""
        self.report(self._repeat(self.target.stepi, self._count(argument, "stepi")))

    def do_nexti(self, argument: str) -> None:
        """nexti [N]."""
        self.report(self._repeat(self.target.nexti, self._count(argument, "nexti")))

    def do_reverse_stepi(self, argument: str) -> None:
        """reverse-stepi [N]. Off a held fault the first step back shows the same RIP (the
        faulting attempt counted as a position): the stop line says so."""
        before = self.target.last_stop
        event = self._repeat(self.target.reverse_stepi, self._count(argument, "reverse-stepi"))
        if (before is not None and before.reason == "fault" and event.reason == "step"
                and event.position == before.position - 1 and event.address == before.address):
            event = replace(event, description=event.description + " (back before the faulting attempt of the "
                            "same instruction: the attempt counted as a position)")
        self.report(event)

    def do_continue(self, argument: str) -> None:
        """continue."""
        self.report(self.target.cont())

    def do_reverse_continue(self, argument: str) -> None:
        """reverse-continue."""
        self.report(self.target.reverse_cont())

    def do_finish(self, argument: str) -> None:
        """finish: run to the caller."""
        frames = backtrace(self.target)
        if len(frames) > 1:
            self.out.line(f"run till exit from {frames[0].symbol} to {frames[1].symbol}")
        self.report(self.target.finish())

    def _count(self, argument: str, command: str) -> int:
        """The N of `stepi N` (1 without one); 0 or less is refused, pointing the other way."""
        count = self._number(argument) if argument else 1
        if count <= 0:
            other = "stepi" if command == "reverse-stepi" else "reverse-stepi"
            way = "forward" if command == "reverse-stepi" else "back"
            raise CommandError(f"{command} {count}: the count must be positive; to go {way}, use "
                               f"{other} {max(1, -count)}")
        return count

    def _repeat(self, step: Callable[[], StopEvent], count: int) -> StopEvent:
        """Run `step` `count` times, or until something other than a plain step stops it."""
        event = None
        for _ in range(count):
            event = step()
            if event.reason != "step":
                break
        return event

    def do_examine(self, argument: str) -> None:
        """x/NFU ADDR."""
        spec_text, _, where = argument.partition(" ")
        if not where.strip():
            raise CommandError("x needs an address: x/21gx ipc_context, x/5i $rip")
        spec = examine.parse_spec(spec_text, self._last_spec)
        self._last_spec = spec
        self.out.lines(examine.examine(self.target, self._address(where), spec))

    def do_print(self, argument: str) -> None:
        """print EXPR: hex, decimal and the symbol."""
        value = self._address(argument)
        self.out.line(f"{value:#x}  {value}  {examine.label(self.target, value).partition(' ')[2]}".rstrip())

    def do_set(self, argument: str) -> None:
        """set $REG = EXPR."""
        left, equals, right = argument.partition("=")
        left = left.strip()
        if not equals or not left.startswith("$"):
            raise CommandError("use: set $REGISTER = EXPRESSION")
        value = self._address(right)
        self.target.write_register(left[1:], value)
        self.out.line(f"{left} = {value:#x}")

    def do_info(self, argument: str) -> None:
        """info TOPIC: registers, breakpoints, proc, gdt and the topics of verbs/ modules."""
        words = argument.split()
        topics = ", ".join(self._info_names)
        if not words:
            raise CommandError(f"info what? {topics}")
        if words[0] not in self._info_topics:
            raise CommandError(f"info {words[0]}? try: {topics}")
        self._info_topics[words[0]](words[1:])

    def _info_breakpoints(self, words: list[str]) -> None:
        if not self.numbers:
            self.out.line("no breakpoints")
        for number, address in self.numbers.items():
            self.out.line(f"  {number}  {examine.label(self.target, address)}")

    def _info_registers(self, names: list[str]) -> None:
        registers = self.target.registers()
        wanted = [name.lstrip("$") for name in names] or [n for n in registers if n != "rflags"]
        for name in wanted:
            if name not in registers:
                raise CommandError(f"no register {name!r}")
            value = registers[name]
            extra = view.describe_flags(value) if name in ("eflags", "rflags") else self.target.symbolize(value)
            extra = "" if extra.startswith("0x") else extra
            self.out.line(f"{name:<8} {value:#018x}  {extra}".rstrip())

    def _info_proc(self, words: list[str]) -> None:
        current = self.target.current_process
        self.out.line("  pid  name          ring  state      cr3         instructions")
        for process in self.target.kernel.processes.values():
            mark = "*" if process is current else " "
            self.out.line(f"{mark} {process.pid:>3}  {process.name:<12}  {process.ring:>4}  {process.state:<9}  "
                          f"{process.space.root:#010x}  {process.instructions}")
        registers = self.target.registers()
        self.out.line(f"CPU: CPL {self.target.cpu.cpl}, cr3 {registers['cr3']:#x}, position {self.target.position}")

    def do_backtrace(self, argument: str) -> None:
        """bt: the call chain, innermost first."""
        for frame in backtrace(self.target):
            source = sourceview.where(self.target, frame.address - (frame.number > 0))   # a caller: its call
            where = "" if frame.slot is None else f"  (return address at {frame.slot:#x})"
            scanned = "  [found by scanning the stack]" if frame.found_by == "scan" else ""
            self.out.line(f"#{frame.number}  {frame.address:#x} in {frame.symbol}"
                          f"{' at ' + source if source else ''}{where}{scanned}")

    def do_page(self, argument: str) -> None:
        """page ADDR: the page walk."""
        address = self._address(argument)
        self.out.lines(pagewalk.walk_lines(self.target.cpu.address_space(), address))

    def do_explain(self, argument: str) -> None:
        """explain: the held fault or the bugcheck, in words."""
        event = self.target.last_stop
        trap = event.trap if event is not None else None
        if trap is None:
            raise CommandError("nothing to explain: the machine is not stopped at a fault "
                               "(run with --break-on-fault, then continue)")
        for line in explain.explain_live(self.target, trap):
            self.out.line(line)
        if trap.error_code is not None:
            self.out.line(f"(#PF error code {trap.error_code:#x}: {describe_error_code(trap.error_code)})")

    def do_context(self, argument: str) -> None:
        """context: registers, code, stack."""
        self.out.lines(view.context(self.target, self._registers_before))

    def do_help(self, argument: str) -> None:
        """help."""
        self.out.lines(self._help)

    def do_quit(self, argument: str) -> None:
        """quit."""
        self.finished = True

    # --- helpers --------------------------------------------------------------------

    def _address(self, text: str) -> int:
        return expr.evaluate(text, self.target)

    @staticmethod
    def _number(text: str) -> int:
        try:
            return int(shlex.split(text)[0], 0)
        except (ValueError, IndexError):
            raise CommandError(f"not a number: {text!r}") from None
