"""Explain a fault in words: what was accessed, why the MMU said no, where the bad pointer came from.

For the Channel File 291 fault the answer reads like:
  kernel read of 1 byte at 0xffff840500000374 by sensor.sys!compare_string+0xa
  the pointer came from inputs[20], one past the 20-entry array at 0x... (ipc_context);
  the value is the event handle stored after the array
It is derived, not canned: the access from decoding the faulting
instruction, the refusal from the page walk (or the #PF error code, for a
dump), and the pointer's origin from the sensor's own conventions in
match_instance -- r14 = the inputs array, r15 = how many inputs there are,
[current_criterion] = the index being read, r9 = the input that was read --
checked against the sensor's symbols. Used by the debugger (live) and by
`simpleos analyze` (from a dump). Describes; never runs or changes anything.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..machine.decode import memory_operand_size
from ..machine.trap import PAGE_FAULT, Trap, describe_error_code
from .pagewalk import why_not

INPUT_READERS = ("match_instance", "compare_string")   # sensor functions that use inputs[i]
STRING_REACH = 1 << 16          # compare_string reads at most a value's length (u16) past the pointer


@dataclass
class Access:
    """One memory access made by an instruction."""
    who: str            # "kernel" | "user"
    kind: str           # "read" | "write" | "execute"
    size: int | None    # bytes, if known
    address: int


@dataclass
class InputRead:
    """Where the sensor's bad pointer came from: inputs[index] of an array of `count`."""
    index: int
    count: int
    base: int
    array_name: str      # e.g. 'sensor.sys!ipc_context'
    slot_name: str       # what lives at base + 8 * index, e.g. 'sensor.sys!ipc_event_handle'
    value: int           # the 8 bytes read from that slot




def access_of(trap: Trap, code: bytes) -> Access:
    """The access that faulted, from the trap and the bytes of the faulting instruction."""
    who = "user" if trap.cpl == 3 else "kernel"
    if trap.is_fetch:
        return Access(who, "execute", None, trap.address if trap.address is not None else trap.rip)
    kind = "write" if trap.is_write else "read"
    return Access(who, kind, memory_operand_size(code, trap.rip) if code else None, trap.address or 0)


def describe_access(access: Access) -> str:
    """'kernel read of 1 byte at 0xffff840500000374'."""
    size = ""
    if access.size:
        size = f" of {access.size} byte{'s' if access.size != 1 else ''}"
    return f"{access.who} {access.kind}{size} at {access.address:#x}"


def describe_input_read(found: InputRead) -> str:
    """Where the pointer came from, in words."""
    text = f"the pointer came from inputs[{found.index}]"
    if found.index >= found.count:
        past = found.index - found.count + 1
        where = "one" if past == 1 else str(past)
        text += (f", {where} past the {found.count}-entry array at {found.base:#x} "
                 f"({found.array_name.split('!')[-1]})")
        slot = found.slot_name.split("!")[-1]
        if "event_handle" in slot:
            text += f"; the value {found.value:#x} is the event handle stored after the array ({slot})"
        elif not found.slot_name.startswith("0x"):
            text += f"; the value {found.value:#x} is whatever lies there ({slot})"
        else:
            text += f"; the value {found.value:#x} is whatever lies there"
    else:
        text += (f", input {found.index + 1} of the {found.count} the sensor supplied "
                 f"(array at {found.base:#x}): inside the array, so the input itself is bad")
    return text


def describe_rule_read(found: InputRead, instance, file: str) -> str:
    """Which rule of which channel file made the sensor read that input, in words."""
    if found.index >= found.count:
        return (f"rule {instance} of {file} has a criterion on input {found.index + 1} (index {found.index}); "
                f"the sensor supplies only {found.count} inputs")
    return (f"rule {instance} of {file} has a string criterion on input {found.index + 1} (index {found.index}), "
            f"which the sensor supplies as an integer ({found.value:#x}), not as a pointer to a string")


def sensor_input_read(registers: dict[str, int], criterion: int | None, symbolize, read_word,
                      fault_address: int | None = None) -> InputRead | None:
    """The sensor's inputs[i] read behind a fault in match_instance/compare_string, if that is
    where it happened. `symbolize(address)` names an address; `read_word(address)` reads 8
    bytes (or returns None). With `fault_address`, the fault must also be at inputs[i] itself
    or inside the string inputs[i] points to (not, say, in the rule being walked)."""
    where = symbolize(registers["rip"]).split("!")[-1].split("+")[0]
    if where not in INPUT_READERS or criterion is None:
        return None
    base, count = registers["r14"], registers["r15"]
    slot = base + 8 * criterion
    if fault_address is not None and fault_address != slot and \
            not 0 <= fault_address - registers["r9"] < STRING_REACH:
        return None
    value = read_word(slot)
    if value is None:
        value = registers["r9"]           # match_instance keeps inputs[i] in r9
    if value != registers["r9"]:
        return None                       # not the input this code was working on
    return InputRead(criterion, count, base, symbolize(base), symbolize(slot), value)


def consequence(trap: Trap) -> str:
    """What the kernel will make of it (the lesson of traps.on_fault)."""
    if trap.cpl == 0:
        return ("at ring 0 nobody can handle it: when the fault is delivered the kernel bugchecks "
                "(the blue screen) -- one bad pointer in a driver stops the whole machine")
    return "at ring 3 it is one process's fault: when it is delivered the kernel kills that process and goes on"


def explain_live(target, trap: Trap) -> list[str]:
    """Explain a trap of the stopped machine (the debugger's `explain`)."""
    try:
        code = target.read_memory(trap.rip, 16)
    except MemoryError:
        code = b""
    lines = []
    if trap.vector == PAGE_FAULT:
        access = access_of(trap, code)
        instruction = target.instruction_at(trap.rip)
        text = instruction[2] + " " + instruction[3] if instruction else "?"
        lines.append(f"{describe_access(access)} by {target.symbolize(trap.rip)} ({text.strip()})")
        walk = target.cpu.address_space().walk(access.address)
        reason = why_not(walk, access.who, access.kind)
        lines.append(f"the MMU refused it: {reason or describe_error_code(trap.error_code or 0)}")
        found = sensor_input_read(target.registers(), _criterion(target), target.symbolize,
                                  lambda address: _word(target, address))
        if found is not None:
            lines.append(describe_input_read(found))
    else:
        lines.append(f"{trap.name} ({trap.description}) at {target.symbolize(trap.rip)}")
    lines.append(consequence(trap))
    return lines


def _criterion(target) -> int | None:
    """The sensor's [current_criterion]: which input match_instance is testing."""
    try:
        return _word(target, target.lookup("current_criterion"))
    except LookupError:
        return None


def _word(target, address: int) -> int | None:
    try:
        return int.from_bytes(target.read_memory(address, 8), "little")
    except MemoryError:
        return None
