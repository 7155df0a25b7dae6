"""`!analyze -v` for SimpleOS crash dumps: the post-mortem report of one bugcheck.

Reads a dump written by kernel/crashdump.py and prints, as WinDbg does:
the stop code with its arguments explained, the trap frame, the faulting
instruction (disassembled from the bytes in the dump) with module, offset
and symbol, the stack with return addresses named, the process and image
-- and, because the culprit here is content, the channel file, rule and
criterion the sensor was interpreting, an explanation in plain English and
the fixes -- both derived from the dump (culprit.py parses the rule from the
content the dump captured), never canned. Works from the dump alone (no machine); reads, never writes.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..errors import BadInput
from ..kernel.bugcheck import PAGE_FAULT_IN_NONPAGED_AREA, STOP_NAMES
from ..machine import decode
from ..machine.trap import PAGE_FAULT, Trap, describe_error_code
from ..hostfiles import read_regular_file
from .backtrace import backtrace
from .culprit import explanation_lines, find_culprit, fix_lines
from .dumpschema import check
from .dumptarget import DumpTarget
from .dumpsymbols import DumpSymbols
from .explain import (access_of, consequence, describe_access, describe_input_read, describe_rule_read,
                      sensor_input_read)

DUMP_FORMAT = "simpleos-crashdump-1"
MAX_DUMP_BYTES = 16 << 20        # a dump is kilobytes; refuse to read a huge file
STARS = "*" * 79

STOP_TEXT = {
    PAGE_FAULT_IN_NONPAGED_AREA: ["Invalid system memory was referenced. This cannot be protected by try-except.",
                                  "Typically the address is just plain bad or it is pointing at freed memory."],
    0x1E: ["This is a very common bugcheck. Usually the exception address pinpoints",
           "the driver/function that caused the problem."],
    0x7E: ["This is a very common bugcheck. Usually the exception address pinpoints",
           "the driver/function that caused the problem. A system thread raised an",
           "exception that no handler caught."],
    0x133: ["The DPC watchdog detected a prolonged run time at an IRQL of DISPATCH_LEVEL or above:",
            "ring-0 code ran too long without giving the CPU back."],
}
ACCESS_NAMES = {0x0: "read", 0x2: "write", 0x10: "execute"}

def load_dump(path: str | Path) -> dict:
    """The dump at `path` (BadInput with one line if it is missing or not a SimpleOS dump)."""
    path = Path(path)
    if not path.exists():
        raise BadInput(f"no such dump: {path}")
    raw = read_regular_file(path, MAX_DUMP_BYTES, "crash dump")
    try:
        dump = json.loads(raw)
    except RecursionError:
        raise BadInput(f"{path} is not a crash dump (its JSON is nested too deeply)") from None
    except ValueError:
        raise BadInput(f"{path} is not a crash dump (not JSON)") from None
    if not isinstance(dump, dict) or dump.get("format") != DUMP_FORMAT:
        raise BadInput(f"{path} is not a SimpleOS crash dump (expected format {DUMP_FORMAT})")
    problem = check(dump)
    if problem:
        raise BadInput(f"{path}: malformed crash dump: {problem}")
    return dump


def _h(value: int) -> str:
    """WinDbg-style 64-bit hex: ffffffff`800042c6."""
    text = f"{value & ((1 << 64) - 1):016x}"
    return f"{text[:8]}`{text[8:]}"


def analyze(dump: dict) -> list[str]:
    """The report, line by line."""
    symbols = DumpSymbols(dump["modules"])
    bugcheck = dump["bugcheck"]
    code, params, rip = int(bugcheck["code"]), [int(p) for p in bugcheck["parameters"]], int(bugcheck["rip"])
    registers = {k: int(v) for k, v in dump["registers"].items() if v is not None}
    trap = _trap(bugcheck)
    name = bugcheck.get("name") or STOP_NAMES.get(code, f"STOP_{code:#x}")
    module = symbols.module_at(rip)
    image = module.name if module else bugcheck.get("module", "unknown")
    where = symbols.symbolize(rip)
    instruction = _instruction(dump, rip)
    lines = [STARS, "*" + " " * 77 + "*", "*" + "Bugcheck Analysis".center(77) + "*", "*" + " " * 77 + "*", STARS, ""]
    lines += [f"{name} ({code:x})"] + STOP_TEXT.get(code, []) + ["Arguments:"]
    lines += _arguments(code, params, symbols)
    lines += ["", "Debugging Details:", "------------------", ""]
    lines += [f"DUMP_FORMAT:  {dump['format']}   BOOT: {dump.get('boot')}   MODEL: {dump.get('model')}   "
              f"SEED: {dump.get('seed')}   VIRTUAL_TIME: {dump.get('virtual_time_cycles')} cycles"]
    lines += [f"BUGCHECK_CODE:  {code:x}"] + [f"BUGCHECK_P{i + 1}: {p:x}" for i, p in enumerate(params)]
    if code == PAGE_FAULT_IN_NONPAGED_AREA:
        lines.append(f"{ACCESS_NAMES.get(params[1], 'ACCESS').upper()}_ADDRESS:  {_h(params[0])}")
    if trap is not None:
        error = f", error code {trap.error_code:#x} [{describe_error_code(trap.error_code)}]" \
            if trap.error_code is not None else ""
        lines.append(f"TRAP:  {trap.name} ({trap.description}) at CPL {trap.cpl}{error}")
    process = dump.get("process")
    if process:
        kind = "kernel thread" if process.get("ring") == 0 else "process"
        lines.append(f"PROCESS_NAME:  {process.get('name')}   (pid {process.get('pid')}, ring {process.get('ring')} {kind})")
    lines += ["", "TRAP_FRAME:"] + trap_frame(registers) + [""]
    lines += ["FAULTING_IP:", f"{where}", f"{_h(rip)} {instruction}", ""]
    lines += ["STACK_TEXT:  (frames found on the stack; RetAddr is where each frame returns to)"]
    lines += _stack_text(dump, symbols, rip) + [""]
    lines += [f"SYMBOL_NAME:  {where}", f"MODULE_NAME:  {image.rsplit('.', 1)[0]}", f"IMAGE_NAME:  {image}",
              f"FAILURE_BUCKET_ID:  {failure_bucket(code, params, where)}", ""]
    lines += _content(dump)
    culprit = find_culprit(dump, DumpTarget(dump))
    explanation = _explanation(dump, trap, registers, symbols, where)
    if culprit is not None:
        explanation[1:1] = explanation_lines(culprit)
    lines += ["EXPLANATION:"] + ["  " + line for line in explanation] + [""]
    file = (dump.get("sensor") or {}).get("file") or "<the channel file>"
    lines += ["FIXES:"] + ["  " + line for line in fix_lines(culprit, file)]
    return lines


def _trap(bugcheck: dict) -> Trap | None:
    raw = bugcheck.get("trap")
    if not raw:
        return None
    return Trap(vector=int(raw["vector"]), cpl=int(raw.get("cpl", 0)), rip=int(bugcheck["rip"]),
                address=bugcheck.get("address"), error_code=raw.get("error_code"))


def _arguments(code: int, params: list[int], symbols: DumpSymbols) -> list[str]:
    """Arg1..Arg4 with their meaning."""
    if code == PAGE_FAULT_IN_NONPAGED_AREA:
        meanings = ["memory referenced.",
                    f"access type: 0 read, 2 write, 0x10 execute -> {ACCESS_NAMES.get(params[1], 'unknown')}.",
                    f"if non-zero, the instruction address which referenced the bad memory address "
                    f"({symbols.symbolize(params[2])}).",
                    "type of fault (reserved)."]
    elif code in (0x1E, 0x7E):
        meanings = ["the exception code that was not handled.", f"the address where the exception occurred "
                    f"({symbols.symbolize(params[1])}).", "exception record.", "context record."]
    elif code == 0x133:
        meanings = ["1: a single DPC or ISR exceeded its time allotment.", "instructions it ran.", "", ""]
    else:
        meanings = ["", "", "", ""]
    return [f"Arg{i + 1}: {p:016x}, {m}".rstrip(", ") for i, (p, m) in enumerate(zip(params, meanings))]


def trap_frame(registers: dict[str, int]) -> list[str]:
    """The registers at the fault, three per line (as WinDbg's .trap)."""
    order = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rip", "rsp", "rbp",
             "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"]
    lines = []
    for start in range(0, len(order), 3):
        lines.append(" ".join(f"{n:>3}={registers.get(n, 0):016x}" for n in order[start:start + 3]))
    extra = [f"{n}={registers[n]:x}" for n in ("cs", "ss", "rflags", "cr0", "cr2", "cr3", "cr4") if n in registers]
    lines.append(" ".join(extra))
    return lines


def _instruction(dump: dict, rip: int) -> str:
    """'0fb6040f        movzx eax, byte ptr [rdi + rcx]' from the bytes in the dump."""
    code = bytes.fromhex(dump.get("instruction_bytes") or "")
    found = decode.disassemble(code, rip, 1) if code else []
    if not found:
        return "?? (instruction bytes not in the dump)"
    size = found[0][1]
    return f"{code[:size].hex():<16}{found[0][2]} {found[0][3]}".rstrip()


def _stack_text(dump: dict, symbols: DumpSymbols, rip: int) -> list[str]:
    """WinDbg's k: per frame its stack pointer, the address it returns to, and where it is."""
    frames = _frames(dump, symbols, rip)
    rows = [f"{'Child-SP':<18} {'RetAddr':<18} Call Site"]
    for number, (child_sp, address) in enumerate(frames):
        returns_to = _h(frames[number + 1][1]) if number + 1 < len(frames) else "(none found)"
        rows.append(f"{_h(child_sp)}  {returns_to:<18} {symbols.symbolize(address)}")
    return rows


def _frames(dump: dict, symbols: DumpSymbols, rip: int) -> list[tuple[int, int]]:
    """(Child-SP, address) per frame: RIP first, then each return address (sdb's backtrace over
    the captured stack and code; an older dump without memory: every stack word into code)."""
    rsp = int(dump["registers"]["rsp"])
    if dump.get("memory"):
        return [(rsp if frame.slot is None else frame.slot + 8, frame.address)
                for frame in backtrace(DumpTarget(dump))]
    found = [(rsp, rip)]
    for entry in dump["stack"]:
        value = entry.get("value")
        if value is not None and symbols.is_code(int(value)):
            found.append((int(entry["address"]) + 8, int(value)))
    return found


def failure_bucket(code: int, params: list[int], where: str) -> str:
    """'AV_R_INVALID_sensor.sys!compare_string' (WinDbg's failure bucket); `where` is the
    symbolized faulting address, e.g. 'sensor.sys!compare_string+0xa'."""
    function = where.split("+")[0]
    if code == PAGE_FAULT_IN_NONPAGED_AREA:
        kind = {0x0: "R", 0x2: "W", 0x10: "X"}.get(params[1], "?")
        return f"AV_{kind}_INVALID_{function}"
    return f"{STOP_NAMES.get(code, hex(code))}_{function}"


def _content(dump: dict) -> list[str]:
    """What the sensor was interpreting when it crashed."""
    sensor = dump.get("sensor")
    if not sensor:
        return []
    lines = ["CONTENT_BEING_INTERPRETED:",
             f"  driver:        {sensor.get('driver')} ({sensor.get('build')} build, ring {sensor.get('ring')})",
             f"  channel file:  {sensor.get('file') or 'unknown'}",
             f"  instance:      {sensor.get('instance') if sensor.get('instance') is not None else 'unknown'} (rule id)",
             f"  criterion:     {sensor.get('criterion') if sensor.get('criterion') is not None else 'unknown'}"
             + (" (criterion i is tested against inputs[i])" if sensor.get("criterion") is not None else ""),
             f"  loaded files:  {', '.join(sensor.get('content') or []) or 'none'}"]
    if sensor.get("inputs_address") is not None:
        lines.append(f"  inputs array:  {_h(int(sensor['inputs_address']))}")
    return lines + [""]


def _explanation(dump: dict, trap: Trap | None, registers: dict[str, int], symbols: DumpSymbols,
                 where: str) -> list[str]:
    """Plain English: the access, where the pointer came from, why the machine died."""
    lines = []
    if trap is not None and trap.vector == PAGE_FAULT:
        code = bytes.fromhex(dump.get("instruction_bytes") or "")
        lines.append(f"{describe_access(access_of(trap, code))} by {where}: "
                     f"{describe_error_code(trap.error_code or 0).split(', ')[1]}")
        sensor = dump.get("sensor") or {}
        found = sensor_input_read(registers, sensor.get("criterion"), symbols.symbolize, lambda address: None)
        if found is not None:
            lines.append(describe_input_read(found))
            if sensor.get("file"):
                lines.append(describe_rule_read(found, sensor.get("instance"), sensor["file"]))
    elif trap is not None:
        lines.append(f"{trap.name} ({trap.description}) at {where}")
    else:
        lines.append(f"the kernel stopped the machine in {where}")
    if trap is not None:
        lines.append(consequence(trap).replace("when the fault is delivered ", ""))
        if trap.cpl == 0 and (dump.get("sensor") or {}).get("driver"):
            lines.append("the sensor is a boot-start driver and the file is still on the disk: every boot "
                         "crashes again (the bootloop)")
    return lines
