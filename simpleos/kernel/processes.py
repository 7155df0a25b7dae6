"""The process table: making processes and ending them (a mixin of Kernel, kernel.py).

spawn() builds a ring-3 process from an image -- a fresh user address space,
its program mapped (loader.map_program), its user stack laid out, and a first
context at the kernel's ring-0 entry trampoline that drops it to ring 3;
start_kernel_thread() a ring-0 thread in the shared kernel half. kill() and
exit_process() end one: exit listeners are told, its pipes closed, its
frames freed, and it stays a zombie for its parent. The scheduler loop, the
system call entry and trap delivery are kernel.py's; what a trap means is
traps.py's. Nothing here runs guest code or decides when a process runs.
"""
from __future__ import annotations

from ..assembler import Image
from ..errors import BadInput
from ..machine.layout import PAGE_SIZE
from . import costs, errno
from .loader import find_program, first_user_registers, initial_stack, iretq_frame, map_program
from .pipes import PipeEnd
from .proc import EXITED, KILLED, ZOMBIE, Process
from .vm import DATA, map_user_stack

MAX_PROCESSES = 64


class ProcessTable:
    """Kernel's processes: its `processes` dict by pid, filled and emptied here."""

    def start_kernel_thread(self, image: Image, name: str, stack_size: int = 16 * PAGE_SIZE) -> Process:
        """A ring-0 thread running `image` (already in the kernel half) on its own kernel stack."""
        stack_base = self.kernel_space.reserve(stack_size)
        frames = self.kernel_space.map_new(stack_base, stack_size, DATA)
        process = self._new_process(name, self.kernel_space.space, image, ring=0, frames=frames)
        process.context = self.cpu.derive_context(self.ring0_context,
                                                  {"rip": image.entry, "rsp": stack_base + stack_size - 8})
        self.scheduler.add(process)
        return process

    def spawn(self, image: Image, name: str, parent: Process | None = None, argument: bytes = b"") -> Process:
        """Create a ring-3 process from an image: assembled at USER_TEXT_BASE (`argument`, a
        string, is copied to the top of its stack and rdi points at it) or an ELF executable
        (argc/argv/auxv on the stack as Linux lays them out)."""
        if sum(p.alive for p in self.processes.values()) >= MAX_PROCESSES:
            raise BadInput("too many processes")
        space = self.kernel_space.new_user_space()
        frames = map_program(space, image)
        stack_top, stack_frames = map_user_stack(space)
        kernel_stack = self.machine.memory.alloc_frame()
        process = self._new_process(name, space, image, ring=3, frames=frames + stack_frames + [kernel_stack],
                                    parent=parent.pid if parent else 0,
                                    argument=argument.decode("utf-8", "replace"))
        stack = initial_stack(image, name, argument, stack_top, self.random.randbytes)
        self.machine.memory.write(stack_frames[-1] + (stack.address & (PAGE_SIZE - 1)), stack.content)
        frame = iretq_frame(image.entry, stack.rsp)
        self.machine.memory.write(kernel_stack + PAGE_SIZE - len(frame), frame)
        process.context = self.cpu.derive_context(
            self.ring0_context, first_user_registers(kernel_stack, len(frame), self.user_entry, stack.rdi))
        self.scheduler.add(process)
        self.clock.advance(costs.PROCESS_CREATE)
        return process

    def _new_process(self, name: str, space, image: Image, **fields) -> Process:
        """A Process with the next pid, entered in the process table."""
        process = Process(pid=self._next_pid, name=name, space=space, image=image, **fields)
        self._next_pid += 1
        self.processes[process.pid] = process
        for listener in self.on_process_created:
            listener(process)
        return process

    @property
    def next_pid(self) -> int:
        """The pid the next new process will get."""
        return self._next_pid

    def find_program(self, name: str) -> Image | None:
        """The image of program /bin/NAME (userland/NAME.asm), or None if there is none."""
        return find_program(name)

    def spawn_program(self, name: str, parent: Process | None = None, argument: bytes = b"") -> int:
        """spawn() by program name: /bin/NAME, i.e. userland/NAME.asm. Returns pid or -errno."""
        image = self.find_program(name)
        if image is None:
            return -errno.ENOENT
        try:
            return self.spawn(image, name, parent, argument).pid
        except BadInput:
            return -errno.EAGAIN

    def exit_process(self, process: Process, code: int) -> None:
        """The process ends normally with `code`."""
        process.fate, process.exit_code = EXITED, code
        self._release(process)

    def kill(self, process: Process, *, trap=None, message: str | None = None, cause: str = "crash") -> None:
        """The kernel ends `process`: after a trap, or (with `message`, logged) over a limit.
        `cause` is what exit listeners are told: "crash", or "no-reply" for a silent server."""
        process.fate, process.trap, process.death_cause = KILLED, trap, cause
        if message:
            self.log(f"pid {process.pid} {process.name}: {message} -- killed")
        self._release(process)

    def _release(self, process: Process) -> None:
        """Free what a finished process held; it stays as a zombie for its parent."""
        self.console.flush(stream=process.pid)
        for listener in self.on_process_exiting:
            listener(process)
        for handle in process.files.values():
            if isinstance(handle, PipeEnd):
                self.pipes.close_end(handle)
        process.files.clear()
        if process.ring == 3:  # a kernel thread's stack stays mapped in the shared kernel half
            for frame in process.frames + process.space.table_frames:
                self.machine.memory.free_frame(frame)
            process.frames = []
            process.space.table_frames = []
        process.state = ZOMBIE
        process.context = None
        self.scheduler.remove(process)
        for listener in self.on_process_exited:
            listener(process)
