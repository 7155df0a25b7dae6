"""Placements: where a driver runs, and how its import table reaches the kernel.

An isolation model answers `place(driver)` with one of the placements
below; the driver loader does what it says. A placement fixes three things:

  ring           0 (kernel privilege) or 3 (user privilege)
  address space  the kernel's own, or a new one for the driver alone
  imports        how the driver's `import_*` slots are bound: to the kernel's
                 entry stubs (a direct call), or to syscall thunks mapped
                 into the driver's process like a vDSO -- and whether each
                 event and verdict then travels as an IPC message

Each kind is one class here, with the code that starts a driver that way:
a new kind of placement is added in this file and nowhere else. Which
placement a driver gets is the model's decision, never this file's.
"""
from __future__ import annotations

from ..machine.layout import USER_TEXT_BASE
from ..machine.paging import USER
from . import costs
from .drivers import assemble_driver, bind_imports, driver_size
from .vm import TEXT, map_fresh_pages

KAPI_USER_BASE = 0x00007FF000000000     # where ring-3 drivers find the kapi stubs (like a vDSO)


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

    def __repr__(self) -> str:
        return f"{type(self).__name__}(ring {self.ring}, {self.address_space} address space, {self.imports} imports)"


class KernelThread(Placement):
    """Ring 0 in the kernel's address space: the driver IS kernel code (monolithic)."""

    ring, address_space, imports = 0, "kernel", "direct"
    where = "ring 0, kernel thread"

    def start(self, kernel, manifest, build: str, name: str):
        """Assemble into the kernel half; imports point at the kernel's entry stubs."""
        base = kernel.kernel_space.reserve(driver_size(manifest, build))
        image = bind_imports(assemble_driver(manifest, build, base), kernel.kapi_kernel)
        kernel.install_kernel_image(manifest.name, image)
        return kernel.start_kernel_thread(image, name)


class UserProcess(Placement):
    """Ring 3 in an address space of its own; the kernel API by syscall thunks."""

    ring, address_space, imports = 3, "own", "syscall"
    where = "ring 3, own address space"

    def start(self, kernel, manifest, build: str, name: str):
        """Assemble at the user text base, spawn it, map the kapi thunks in like a vDSO."""
        kapi = kernel.kapi_user
        image = bind_imports(assemble_driver(manifest, build, USER_TEXT_BASE), kapi)
        process = kernel.spawn(image, name)
        process.frames += map_fresh_pages(process.space, KAPI_USER_BASE, len(kapi.code), USER | TEXT, kapi.code)
        return process


class ServerProcess(UserProcess):
    """A ring-3 server (microkernel): as UserProcess, and every event and verdict is an
    IPC message between address spaces, charged as such."""

    imports = "ipc"


KERNEL_THREAD = KernelThread()
USER_PROCESS = UserProcess()
SERVER_PROCESS = ServerProcess()


def placement_for_ring(ring: int) -> Placement:
    """The usual placement for a driver at `ring`: a kernel thread, or a ring-3 server."""
    return KERNEL_THREAD if ring == 0 else SERVER_PROCESS
