"""on_fault (kernel/traps.py) on its own: what a trap means, and how the model may overrule it.

The kernel here is a stand-in holding exactly what on_fault uses (the model, the
services, the sensor, locate, log, kill), so every branch is seen without a boot:
ring 3 -> one report line and a kill; ring 0 -> a bugcheck naming module+offset;
the model's KILL and BUGCHECK overrule either. The last test does the same on a
real booted kernel. Whole-machine faults are in tests/machine/test_hardware_facts.py.
"""
from __future__ import annotations

import pytest

from simpleos.assembler import assemble
from simpleos.isolation.base import BUGCHECK, DEFAULT, KILL, IsolationModel
from simpleos.kernel import traps
from simpleos.kernel.bugcheck import (PAGE_FAULT_IN_NONPAGED_AREA, SYSTEM_THREAD_EXCEPTION_NOT_HANDLED, Bugcheck)
from simpleos.kernel.proc import RUNNABLE, Process
from simpleos.kernel.traps import Fault, fault_record, kill_report, on_fault
from simpleos.machine.layout import USER_TEXT_BASE
from simpleos.machine.paging import PF_PRESENT, PF_USER
from simpleos.machine.trap import Trap
from simpleos.record import FrozenInstanceError, replace

KERNEL_ADDRESS = 0xFFFF800000001000
DRIVER_BASE = 0xFFFFFFFF80200000          # where the stand-in kernel says its driver module sits

PROGRAM = """
_start:
    mov rbx, 0xffff800000001000
fault:
    mov rax, [rbx]
"""


class StandInKernel:
    """What on_fault touches of a Kernel, recording what it was asked to do."""

    def __init__(self, model, sensor_process: Process | None = None) -> None:
        self.model = model
        self.services = object()                  # the model must be handed exactly this object
        self.sensor = None if sensor_process is None else type("Sensor", (), {"process": sensor_process})()
        self.logged: list[str] = []
        self.killed: list[tuple[Process, Trap]] = []

    def locate(self, address: int) -> tuple[str, int]:
        """Every kernel-half address is in one driver module, 'crashy.sys'."""
        return "crashy.sys", address - DRIVER_BASE

    def log(self, message: str) -> None:
        self.logged.append(message)

    def kill(self, process: Process, *, trap=None, message=None, cause="crash") -> None:
        self.killed.append((process, trap))


class AnsweringModel(IsolationModel):
    """Answers every fault with `answer` (None: the base class's own answer) and keeps what it was told."""

    name = "answering"

    def __init__(self, answer: str | None = None) -> None:
        self.answer = answer
        self.told: list[tuple[Fault, object]] = []

    def on_fault(self, fault, services):
        self.told.append((fault, services))
        return super().on_fault(fault, services) if self.answer is None else self.answer


@pytest.fixture(scope="module")
def image():
    """A real image with a symbol table: `fault` is the faulting instruction."""
    return assemble(PROGRAM, USER_TEXT_BASE, "crasher.asm")


def user_process(image, pid: int = 7, name: str = "crasher") -> Process:
    return Process(pid=pid, name=name, space=None, image=image, ring=3)


def kernel_thread(pid: int = 2, name: str = "sensor") -> Process:
    return Process(pid=pid, name=name, space=None, image=None, ring=0)


def user_read_fault(image) -> Trap:
    """The #PF a ring-3 read of the kernel half gives (what the MMU reports)."""
    return Trap(vector=14, cpl=3, rip=image.symbols["fault"], address=KERNEL_ADDRESS, error_code=PF_USER | PF_PRESENT)


def kernel_read_fault(rip: int = DRIVER_BASE + 0x1A3) -> Trap:
    """A ring-0 read of an unmapped kernel address."""
    return Trap(vector=14, cpl=0, rip=rip, address=0xFFFF900000000000, error_code=0)


# --- the defaults: ring 3 kills, ring 0 bugchecks --------------------------------------------------

def test_a_ring3_trap_is_reported_in_one_line_and_the_process_killed(image):
    process, trap = user_process(image), user_read_fault(image)
    kernel = StandInKernel(AnsweringModel())
    on_fault(kernel, process, trap)
    assert kernel.killed == [(process, trap)]
    assert kernel.logged == [f"pid 7 crasher: trap 14 #PF (page fault) rip {trap.rip:#x} <fault+0x0> (crasher.asm:5) "
                             f"addr {KERNEL_ADDRESS:#x} err 0x5 [user read, protection violation] -- killed"]
    assert kernel.logged == [kill_report(process, trap)]


def test_a_ring0_trap_is_a_bugcheck_with_the_module_and_offset():
    trap = kernel_read_fault()
    kernel = StandInKernel(AnsweringModel())
    with pytest.raises(Bugcheck) as stop:
        on_fault(kernel, kernel_thread(), trap)
    assert stop.value.code == PAGE_FAULT_IN_NONPAGED_AREA
    assert stop.value.parameters == (0xFFFF900000000000, 0x0, trap.rip, 0x2)   # a read, at that rip
    assert (stop.value.module, stop.value.offset) == ("crashy.sys", 0x1A3)
    assert stop.value.where() == "crashy.sys+0x1a3"
    assert stop.value.rip == trap.rip and stop.value.trap is trap
    assert kernel.killed == [] and kernel.logged == [], "nobody is killed or blamed: the machine stops"


def test_the_base_model_leaves_every_trap_to_the_default(image):
    fault = fault_record(StandInKernel(IsolationModel()), user_process(image), user_read_fault(image))
    assert IsolationModel().on_fault(fault, services=None) == DEFAULT


# --- the model overrules --------------------------------------------------------------------------

def test_a_model_answering_kill_at_ring0_gets_the_process_killed_and_no_bugcheck():
    process, trap = kernel_thread(), kernel_read_fault()
    kernel = StandInKernel(AnsweringModel(KILL))
    on_fault(kernel, process, trap)                      # no Bugcheck: a Linux-style oops
    assert kernel.killed == [(process, trap)]
    assert kernel.logged == [f"pid 2 sensor: trap 14 #PF (page fault) rip {trap.rip:#x} "
                             "addr 0xffff900000000000 err 0x0 [kernel read, page not present] -- killed"]


def test_a_model_answering_bugcheck_at_ring3_stops_the_machine(image):
    process = user_process(image)
    trap = Trap(vector=6, cpl=3, rip=image.symbols["fault"])       # #UD in a ring-3 process
    kernel = StandInKernel(AnsweringModel(BUGCHECK))
    with pytest.raises(Bugcheck) as stop:
        on_fault(kernel, process, trap)                  # Windows' CRITICAL_PROCESS_DIED, in spirit
    assert stop.value.code == SYSTEM_THREAD_EXCEPTION_NOT_HANDLED
    assert stop.value.parameters == (0xC000001D, trap.rip, 0, 0)   # STATUS_ILLEGAL_INSTRUCTION
    assert (stop.value.module, stop.value.offset) == kernel.locate(trap.rip)
    assert kernel.killed == [] and kernel.logged == []
    assert process.state == RUNNABLE


@pytest.mark.parametrize("cpl, outcome", [(3, "killed"), (0, "bugcheck")])
def test_an_answer_that_is_not_kill_or_bugcheck_means_the_default(image, cpl, outcome):
    trap = replace(user_read_fault(image), cpl=cpl)
    kernel = StandInKernel(AnsweringModel("something else"))
    if outcome == "bugcheck":
        with pytest.raises(Bugcheck):
            on_fault(kernel, user_process(image), trap)
    else:
        on_fault(kernel, user_process(image), trap)
        assert len(kernel.killed) == 1


# --- what the model is told -------------------------------------------------------------------------

def test_the_model_is_asked_once_with_the_fault_record_and_the_kernels_services(image):
    process, trap = user_process(image), user_read_fault(image)
    model = AnsweringModel()
    kernel = StandInKernel(model)
    on_fault(kernel, process, trap)
    [(fault, services)] = model.told
    assert services is kernel.services
    assert fault == Fault(trap=trap, pid=7, process="crasher", ring=3, in_sensor=False)


def test_the_fault_record_says_whether_the_sensor_faulted(image):
    sensor, other = kernel_thread(), user_process(image)
    kernel = StandInKernel(IsolationModel(), sensor_process=sensor)
    trap = kernel_read_fault()
    assert fault_record(kernel, sensor, trap) == Fault(trap, 2, "sensor", 0, True)
    assert fault_record(kernel, other, trap).in_sensor is False
    assert fault_record(StandInKernel(IsolationModel()), sensor, trap).in_sensor is False   # no sensor loaded


def test_the_fault_record_is_read_only(image):
    fault = fault_record(StandInKernel(IsolationModel()), user_process(image), user_read_fault(image))
    with pytest.raises(FrozenInstanceError):
        fault.ring = 0


def test_the_kill_report_without_a_symbol_table_has_no_symbol():
    process = kernel_thread()
    assert kill_report(process, Trap(vector=0, cpl=0, rip=0x1234)) == \
        "pid 2 sensor: trap 0 #DE (divide error) rip 0x1234 -- killed"


# --- the same on a real kernel ------------------------------------------------------------------------

def test_the_isolation_model_is_asked_first_about_a_fault(tmp_path, boot_machine):
    seen = []

    class Forgiving(IsolationModel):
        name = "forgiving"

        def on_fault(self, fault, services):
            seen.append((fault.trap.vector, fault.process, fault.in_sensor))
            return KILL

    session = boot_machine(tmp_path, fresh=True)
    kernel = session.kernel
    kernel.model = Forgiving()
    sensor = kernel.sensor.process
    traps.on_fault(kernel, sensor, Trap(vector=14, cpl=0, rip=0, address=0))
    assert seen == [(14, "sensor", True)]       # no bugcheck raised: the model said KILL
    assert not sensor.alive
