"""Placements: where a driver runs, and how its import table reaches the kernel.

An isolation model answers `place(driver)` with one of the placements
below; the driver loader does what it says. A placement fixes three things:

  ring           0 (kernel privilege) or 3 (user privilege)
  address space  the kernel's own, or a new one for the driver alone
  imports        how the driver's `import_*` slots are bound: to the kernel's
                 entry stubs (a direct call), or to syscall thunks mapped
                 into the driver's process like a vDSO -- and whether each
                 event and verdict then travels as an IPC message

and, for the two placements of the rest of the taxonomy, what the driver may touch:

  BoundExtension     (exokernel) a library-OS extension whose every read of an event or
                     of its content goes through a secure binding (kernel/bindings.py)
  CapabilityProcess  (nanokernel) a process that holds capabilities and nothing else
                     (kernel/capabilities.py)

Each kind is one class here, with the code that starts a driver that way and the
placement's part in delivering events (`deliver`, `retire`) and content
(`copy_content`): a new kind of placement is added in this file and nowhere else. Which
placement a driver gets is the model's decision, never this file's. A placement with
state (the two above keep the frames they lend across restarts) is made by its model,
one per boot.
"""
from __future__ import annotations

from ..machine.layout import USER_TEXT_BASE
from ..machine.paging import USER
from . import costs
from .bindings import (INPUTS_BINDING_END, INPUTS_WINDOW, INPUTS_WINDOW_PAGES, Binding, BindingTable,
                       bound_inputs_address, inputs_binding_name, lay_out_inputs)
from .drivers import assemble_driver, bind_imports, driver_size
from .frames import KernelFrames
from .usercopy import BadUserPointer, copy_to_user
from .vm import TEXT, map_fresh_pages

KAPI_USER_BASE = 0x00007FF000000000     # where ring-3 drivers find the kapi stubs (like a vDSO)
PROCESS_TABLES = "process_tables"       # the kernel structure ring-0 drivers may import (proclist.py)


class Placement:
    """Where and how a driver runs. Subclasses say how to start it."""

    ring = 0
    address_space = "kernel"        # "kernel": the kernel's own; "own": a new one
    imports = "direct"              # "direct" entry stubs | "syscall" thunks | "ipc" messages
    where = ""                      # words for the boot log: "ring 0, kernel thread"

    def start(self, kernel, manifest, build: str, name: str):
        """Load the driver and start it; returns its Process."""
        raise NotImplementedError

    @property
    def message_cost(self) -> int:
        """Cycles each event or verdict costs on top of the call that carries it."""
        return costs.IPC_MESSAGE if self.imports == "ipc" else 0

    def deliver(self, kernel, process, event) -> None:
        """An event message was just copied to the driver: anything more this placement does."""

    def retire(self, kernel, process, event) -> None:
        """The driver answered `event`: anything this placement undoes."""

    def copy_content(self, kernel, process, buffer: int, data: bytes) -> None:
        """Put a channel file where the driver asked for it (BadUserPointer if it may not)."""
        copy_to_user(process.space, buffer, data, ring=process.ring)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(ring {self.ring}, {self.address_space} address space, {self.imports} imports)"


class KernelThread(Placement):
    """Ring 0 in the kernel's address space: the driver IS kernel code (monolithic)."""

    ring, address_space, imports = 0, "kernel", "direct"
    where = "ring 0, kernel thread"

    def start(self, kernel, manifest, build: str, name: str):
        """Assemble into the kernel half; imports point at the kernel's entry stubs, and the
        kernel's process tables are exported to it."""
        base = kernel.kernel_space.reserve(driver_size(manifest, build))
        image = bind_imports(assemble_driver(manifest, build, base), kernel.kapi_kernel,
                             {PROCESS_TABLES: kernel.process_tables.address})
        kernel.install_kernel_image(manifest.name, image)
        return kernel.start_kernel_thread(image, name)


class UserProcess(Placement):
    """Ring 3 in an address space of its own; the kernel API by syscall thunks."""

    ring, address_space, imports = 3, "own", "syscall"
    where = "ring 3, own address space"

    def start(self, kernel, manifest, build: str, name: str):
        """Assemble at the user text base, spawn it, map the kapi thunks in like a vDSO. Kernel
        structures are not exported to ring 3: such an import is bound to 0."""
        kapi = self.kapi(kernel)
        image = bind_imports(assemble_driver(manifest, build, USER_TEXT_BASE), kapi, {PROCESS_TABLES: 0})
        process = kernel.spawn(image, name)
        process.frames += map_fresh_pages(process.space, KAPI_USER_BASE, len(kapi.code), USER | TEXT, kapi.code)
        process.kapi = kapi
        return process

    def kapi(self, kernel):
        """The stubs the driver's imports are bound to."""
        return kernel.kapi_user


class ServerProcess(UserProcess):
    """A ring-3 server (microkernel): as UserProcess, and every event and verdict is an
    IPC message between address spaces, charged as such."""

    imports = "ipc"


class LentContent:
    """For a placement that gives the driver its content as the kernel's own read-only frames:
    the frames (made on first use, then lent to every instance) and where they go."""

    def lend_content(self, kernel, process) -> tuple[int, int]:
        """Map the content frames over the driver's page-aligned content area; its range."""
        start, end = process.image.symbols["content_area"], process.image.symbols["content_area_end"]
        if getattr(self, "content_frames", None) is None:
            self.content_frames = KernelFrames(kernel.machine.memory, (end - start) // 4096)
        self.content_frames.clear()
        self.content_frames.lend(process, start)
        return start, end

    def copy_content(self, kernel, process, buffer: int, data: bytes) -> None:
        """The kernel writes the file into its frames -- only inside the content area."""
        start = process.image.symbols["content_area"]
        if not start <= buffer <= buffer + len(data) <= start + self.content_frames.size:
            raise BadUserPointer(buffer)
        self.content_frames.write(buffer - start, data)


class BoundExtension(LentContent, UserProcess):
    """Exokernel: a library-OS extension at ring 3 whose reads of events and content go through
    secure bindings. Its content area is the kernel's frames, bound read-only (`content`); each
    event's inputs are laid out by the kernel in frames bound read-only for that event only
    (`inputs[0..N)`), ending where the binding ends, an unmapped page after them. Imports are
    syscall thunks; each binding made or revoked costs page-table writes."""

    where = "ring 3, library-OS extension behind secure bindings"
    switches = {"BOUND_INPUTS": 1, "CONTENT_FRAMES": 1}

    def __init__(self) -> None:
        self.content_frames: KernelFrames | None = None
        self.inputs_frames: KernelFrames | None = None

    def start(self, kernel, manifest, build: str, name: str):
        """Start it as a user process built to read bound inputs; bind its content."""
        from ..channel.templates import IPC, PROCESS
        switches = dict(self.switches, BOUND_IPC_INPUTS=bound_inputs_address(IPC.inputs_supplied),
                        BOUND_PROCESS_INPUTS=bound_inputs_address(PROCESS.inputs_supplied))
        process = super().start(kernel, manifest.with_switches(**switches), build, name)
        table = process.domain = BindingTable(process)
        start, end = self.lend_content(kernel, process)
        table.record(Binding("content", start, end, "its content area: the channel files it was given"))
        if self.inputs_frames is None:
            self.inputs_frames = KernelFrames(kernel.machine.memory, INPUTS_WINDOW_PAGES)
        return process

    def deliver(self, kernel, process, event) -> None:
        """Bind this event's inputs: lay them out in the inputs frames and map them read-only."""
        if event.notify or not isinstance(process.domain, BindingTable):
            return
        self.inputs_frames.write(0, lay_out_inputs(event.values))
        name = inputs_binding_name(len(event.values))
        binding = Binding(name, INPUTS_WINDOW, INPUTS_BINDING_END,
                          f"event {event.sequence}'s inputs array (from {bound_inputs_address(len(event.values)):#x}) "
                          f"and the strings it points to")
        process.domain.bind(binding, self.inputs_frames.frames)
        kernel.clock.advance(costs.MAP_PAGE * INPUTS_WINDOW_PAGES)

    def retire(self, kernel, process, event) -> None:
        """The event is answered: its inputs binding ends."""
        if event.notify or not isinstance(process.domain, BindingTable):
            return
        if process.domain.unbind(inputs_binding_name(len(event.values))) is not None:
            kernel.clock.advance(costs.MAP_PAGE * INPUTS_WINDOW_PAGES)


class CapabilityProcess(LentContent, ServerProcess):
    """Nanokernel: a ring-3 process that holds capabilities and no ambient authority -- an event
    endpoint, read-only frames of its content, a log endpoint (and a timer, if it must wait).
    Its imports are bound to kapi_cap.asm, whose every stub is a capability invocation; events
    and verdicts are endpoint messages, charged as IPC."""

    where = "ring 3, capabilities only"
    switches = {"CONTENT_FRAMES": 1}

    def __init__(self) -> None:
        self.content_frames: KernelFrames | None = None

    def start(self, kernel, manifest, build: str, name: str):
        """Start it on the capability stubs; grant it its capabilities (the same objects each time)."""
        from .capabilities import CAP_CONTENT, CAP_EVENTS, CAP_LOG, CAP_TIMER, FRAMES, TIMER, Capability, CapabilitySpace
        manifest = manifest.with_switches(**self.switches)
        process = super().start(kernel, manifest, build, name)
        start, end = self.lend_content(kernel, process)
        sensor = kernel.sensor
        granted = [Capability(CAP_EVENTS, "endpoint", "events: AUTH and NOTIFY messages in, verdicts out",
                              ("receive", "reply"), sensor),
                   Capability(CAP_CONTENT, FRAMES, "its content", ("read",), sensor, start, end),
                   Capability(CAP_LOG, "endpoint", "the kernel log", ("send",), sensor)]
        if manifest.switches.get("SENSOR_DELAY_US"):
            granted.append(Capability(CAP_TIMER, TIMER, "the clock (--sensor-delay)", ("wait",), sensor))
        process.domain = CapabilitySpace(process, granted)
        return process

    def kapi(self, kernel):
        """Capability invocations (kapi_cap.asm), not the usual syscall thunks."""
        from .capabilities import capability_kapi
        return capability_kapi()


KERNEL_THREAD = KernelThread()
USER_PROCESS = UserProcess()
SERVER_PROCESS = ServerProcess()


def placement_for_ring(ring: int) -> Placement:
    """The usual placement for a driver at `ring`: a kernel thread, or a ring-3 server."""
    return KERNEL_THREAD if ring == 0 else SERVER_PROCESS
