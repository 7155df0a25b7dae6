"""`why`: the chain back from a held fault -- the access, the load of the bad pointer, its store, the rule.

At a fault held by --break-on-fault, `why` walks backwards by itself and
prints a short chain, each step with its position and source line:

  1. the faulting access: the instruction, the address, CR2, and the
     register that held the pointer;
  2. the instruction that produced that register's value: the trace of
     the last instructions (history.py) is followed back through register
     copies to the load (dataflow.py), and the load's address is computed
     from the registers it saw;
  3. where that memory was written: a backward watch on the loaded bytes
     (watch.py's last_access_before: one replay with memory hooks, exact
     positions, no stepping);
  4. for the sensor, which channel file, rule and criterion asked for it:
     the interpreter's own state (current_instance, current_criterion),
     the file parsed as culprit.py parses a dump's, and the position where
     the interpreter took up that criterion.

Every fact is read from the machine; a chain that cannot go on says why
and stops. The machine is back where it was afterwards (the same
position, the fault still held). Builds lines; never changes the machine.
"""
from __future__ import annotations

from . import dataflow, examine, sourceview
from .culprit import find_culprit
from .explain import access_of, describe_access
from .pagewalk import why_not
from ..machine.trap import PAGE_FAULT

WINDOWS = (64, 1024, 16384)          # instructions traced back, tried in turn


class WhyRefusal(Exception):
    """`why` cannot be asked here (one line for the user)."""


def why_lines(target) -> list[str]:
    """The chain, as lines (WhyRefusal when there is no held fault to start from)."""
    from .dumptarget import DumpTarget
    if isinstance(target, DumpTarget):
        raise WhyRefusal("why runs the machine backwards, and a crash dump keeps no history: open the machine "
                         "live (simpleos debug --break-on-fault ...), continue to the fault, then ask why")
    held = target.kernel.pending_trap
    if held is None or target.last_stop is None or target.last_stop.reason != "fault":
        raise WhyRefusal("why starts from a held fault, and none is held here: run with --break-on-fault, "
                         "continue to the fault, then ask why")
    process, trap = held
    here = target.position
    lines = [f"why: walking back from the fault at position {here} ({process.name}, pid {process.pid}, "
             f"ring {process.ring})"]
    code = _code(target, trap.rip)
    instruction = dataflow.decode(code, trap.rip) if code else None
    lines += _fault_step(target, trap, code, here)
    register = dataflow.pointer_register(instruction) if instruction is not None else None
    if register is None or trap.is_fetch:
        return lines + ["   (why follows the pointer of a data access; this fault has none to follow)"]
    registers = target.registers()
    lines.append(f"   the pointer is in {register} = {registers[register]:#x}")
    producer = _producer(target, register, process.pid, here)
    if producer is None:
        return lines + [f"2. no instruction of the last {WINDOWS[-1]} wrote {register}: it was set earlier, or "
                        "by the kernel (a system call's result)"]
    lines += _load_step(target, producer)
    if producer.memory is None:
        return lines + ["   (the value was computed, not loaded: there is no memory to watch back)"]
    lines += _store_step(target, producer)
    return lines + _content_step(target, process, registers[register], here)


def _fault_step(target, trap, code: bytes, here: int) -> list[str]:
    """1. the faulting access."""
    if trap.vector == PAGE_FAULT:
        access = access_of(trap, code)
        refused = why_not(target.cpu.address_space().walk(access.address), access.who, access.kind)
        head = (f"1. [position {here}] the faulting access: {describe_access(access)} (CR2 "
                f"{target.registers()['cr2']:#x})" + (f", refused: {refused}" if refused else ""))
    else:
        head = f"1. [position {here}] the fault: {trap.name} ({trap.description})"
    return [head] + _instruction_lines(target, trap.rip)


def _producer(target, register: str, pid, here: int):
    """The instruction that last wrote `register` before the fault: traces of growing length."""
    for window in WINDOWS:
        trace = target.trace(here - window)
        found = dataflow.find_producer(trace, register, pid, lambda address: _code(target, address))
        if found is not None or here - window <= 0:
            return found
    return None


def _load_step(target, producer) -> list[str]:
    """2. the load (or computation) of the bad pointer, then the copies after it."""
    entry = producer.entry
    if producer.memory is None:
        lines = [f"2. [position {entry.position}] the pointer was computed into {producer.register}"]
    else:
        where = _memory_name(target, producer)
        lines = [f"2. [position {entry.position}] the pointer was loaded into {producer.register} from {where}"]
    lines += _instruction_lines(target, entry.rip)
    for hop in reversed(producer.hops):
        source = sourceview.where(target, hop.entry.rip)
        lines.append(f"   then [position {hop.entry.position}] {hop.to} = {hop.source}: {hop.text}"
                     + (f" ({source})" if source else ""))
    return lines


def _memory_name(target, producer) -> str:
    """'ipc_context[20] = 0xffffffff800052d0 <sensor.sys!ipc_event_handle>' (an array element when the
    base register points at a symbol and the index counts elements), else '[...] = address <symbol>'."""
    memory, registers = producer.memory, producer.entry.registers
    at = examine.label(target, producer.address)
    if memory.base and memory.index and memory.scale == memory.size and memory.base != "rip":
        base = target.symbolize(registers[dataflow.full_register(memory.base)])
        if not base.startswith("0x") and "+" not in base:
            return f"{base.split('!')[-1]}[{registers[dataflow.full_register(memory.index)]}] = {at}"
    return f"{memory.text} = {at}"


def _store_step(target, producer) -> list[str]:
    """3. the last write to the memory the pointer was loaded from."""
    hit = target.last_access_before(producer.address, producer.size, "write", before=producer.entry.position)
    if hit is None:
        return [f"3. nothing wrote {producer.address:#x} since power-on: the value was there from the start, "
                "or the kernel put it there (its copies into guest memory are not instructions)"]
    value, old = int.from_bytes(hit.new, "little"), int.from_bytes(hit.old, "little")
    return ([f"3. [position {hit.position}] that memory was written with {value:#x} (it held {old:#x}) by "
             f"{target.symbolize(hit.rip).split('+')[0]}"] + _instruction_lines(target, hit.rip))


def _content_step(target, process, pointer: int, here: int) -> list[str]:
    """4. the channel file, rule and criterion the sensor's interpreter was on."""
    sensor = target.kernel.sensor
    if sensor is None or sensor.process is None or sensor.process.pid != process.pid:
        return [f"   (the faulting code is {process.name}'s, not the sensor's content interpreter: no channel "
                "file is behind it)"]
    context = sensor.crash_context(lambda address, length: _read(target, address, length))
    culprit = find_culprit({"sensor": context}, target) if context.get("instance") is not None else None
    if culprit is None:
        return ["4. the sensor's interpreter was not testing a rule of a loaded channel file"]
    number = culprit.index + 1
    fields = f"{culprit.declared} fields declared" + (f", the sensor supplies {culprit.supplied} inputs"
                                                       if culprit.supplied is not None else "")
    field = f"{culprit.field}, {culprit.field_type}" if culprit.field_type else "past the type definition"
    chosen = target.last_access_before(target.lookup("current_criterion"), 8, "write", before=here)
    position = f"[position {chosen.position}] " if chosen is not None else ""
    lines = [f"4. {position}the content asked for it: {culprit.file}, channel {culprit.channel} (template type "
             f"{culprit.template}: {fields}), rule {culprit.instance}, criterion {number} (kind {culprit.kind!r} "
             f"on field {number}: {field})"]
    if chosen is not None:
        lines += _instruction_lines(target, chosen.rip)
    if culprit.out_of_bounds:
        lines.append(f"   criterion {number} of rule {culprit.instance} asked for input {number}; the sensor "
                     f"supplies {culprit.supplied}")
    elif culprit.type_mismatch:
        lines.append(f"   criterion {number} of rule {culprit.instance} asked for input {number} "
                     f"({culprit.field}, an {culprit.field_type}) with a string test ({culprit.kind!r}): the "
                     f"number {pointer:#x} was used as a pointer")
    else:
        lines.append(f"   criterion {number} of rule {culprit.instance} asked for input {number} ({culprit.field}),"
                     " which is inside the array: the input itself is bad")
    return lines


def _instruction_lines(target, address: int) -> list[str]:
    """'     0x... <sym>: mov ...' and its source line."""
    found = target.instruction_at(address)
    text = f"{found[2]} {found[3]}".strip() if found else "?"
    lines = [f"     {examine.label(target, address)}: {text}"]
    row = sourceview.row_at(target, address)
    if row is not None:
        source = sourceview.text_of(row.path, row.line)
        lines.append(f"     {row.file}:{row.line}" + (f"\t{source.strip()}" if source else ""))
    return lines


def _code(target, address: int) -> bytes:
    """Up to 16 bytes of code at `address` (fewer at the end of a mapping; b"" if unmapped)."""
    for length in (16, 0x1000 - (address & 0xFFF)):
        try:
            return target.read_memory(address, length)
        except MemoryError:
            continue
    return b""


def _read(target, address: int, length: int) -> bytes | None:
    try:
        return target.read_memory(address, length)
    except MemoryError:
        return None
