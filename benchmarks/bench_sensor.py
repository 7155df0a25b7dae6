"""Sensor events per second: the same sensor, good content, at ring 0 and at ring 3.

A ring-3 program creates named pipes in a loop, each with a new name
(\\\\.\\pipe\\bench-<8 hex digits>), and closes each one again; every
creation is one IPC event that the sensor judges against channel 291's rules
(good content: three rules, none matches, the verdict is allow). It is run
with simpleos.system.run_program on a fresh machine, booted under

  ring 0   --model monolithic   the sensor is a kernel thread; its kapi calls
           are direct calls into the kernel (costs.DIRECT_CALL)
  ring 3   --model microkernel  the sensor is a process; its kapi calls are
           system calls (costs.SYSCALL) and each event and each verdict is an
           IPC message between address spaces (costs.IPC_MESSAGE)

and, as a reference, the same loop on a kernel with no sensor at all (no
content check: pipe_create just creates the pipe).

Per event is measured by difference: the run with N pipes minus the run with
0 pipes, in the same round, divided by N. That cancels the boot (the same in
both runs) and leaves the loop: pipe_create (the event, the switch to the
sensor, the sensor's wait_event / interpretation / verdict, the switch back)
plus one close. Two numbers per model:

  host      wall time of the Python process (unicorn + the kernel's Python):
            events per second
  virtual   cycles of the machine's virtual clock (kernel.clock): instructions
            retired plus the modelled costs of kernel/costs.py. Deterministic,
            so one run says it exactly.

kernel.CPU_TIME_LIMIT (RLIMIT_CPU of a ring-3 process) is lifted for the runs.
"""
from __future__ import annotations

from _common import Ratio, Result, Row, interleave, median, paired_ratio, scratch, simpleos_kernel, timed, \
    unlimited_cpu_time, user_image

PIPES_PROGRAM = r"""
; bench_pipes: create COUNT named pipes \\.\pipe\bench-<8 hex digits>, closing each; exit 0
; (exit 1 at the first pipe_create that fails).
COUNT = {count}
_start:
    xor r12d, r12d                  ; r12 = pipes created so far
.Lnext_pipe:
    cmp r12, COUNT
    jae .Ldone
    mov rax, r12                    ; the name's digits: r12 in hex, last digit first
    lea rdi, [rip + digits + 7]
    lea rsi, [rip + hex_digits]
    mov ecx, 8
.Lnext_digit:
    mov edx, eax
    and edx, 15
    mov dl, byte ptr [rsi + rdx]
    mov byte ptr [rdi], dl
    dec rdi
    shr rax, 4
    dec ecx
    jnz .Lnext_digit
    lea rdi, [rip + pipe_name]
    mov rax, SYS_PIPE_CREATE        ; one IPC event for the sensor
    syscall
    test rax, rax
    js .Lfailed
    mov rdi, rax
    mov rax, SYS_CLOSE              ; the last close removes the name again
    syscall
    inc r12
    jmp .Lnext_pipe
.Ldone:
    xor edi, edi
    mov rax, SYS_EXIT
    syscall
.Lfailed:
    mov edi, 1
    mov rax, SYS_EXIT
    syscall

.data
pipe_name:   .ascii "\\\\.\\pipe\\bench-"
digits:      .asciz "00000000"
hex_digits:  .ascii "0123456789abcdef"
"""

MODELS = {"ring0": "monolithic", "ring3": "microkernel"}


def _program(count: int):
    """The program's source file for `count` pipes (run_program takes a path)."""
    path = scratch() / f"bench_pipes_{count}.asm"
    if not path.exists():
        path.write_text(PIPES_PROGRAM.format(count=count))
    return path


def _run_on_a_booted_machine(model: str, count: int) -> tuple[float, int, int]:
    """run_program on a fresh machine: (host seconds, virtual cycles at the end, events the
    sensor judged). Checks that the program exited 0 and that the sensor saw every event."""
    from simpleos.system import run_program
    machine = scratch() / f"sensor-{model}"
    seconds = [0.0]
    session_result = []

    def call():
        session_result.append(run_program(str(_program(count)), machine, fresh=True, model=model))
    seconds[0] = timed(call)
    session, result = session_result[0]
    try:
        if (result.fate, result.exit_code, result.kernel) != ("exited", 0, "up"):
            raise RuntimeError(f"bench_pipes under {model}: {result.fate} {result.exit_code} {result.trap} "
                               f"kernel {result.kernel}")
        kernel = session.kernel
        stats = kernel.sensor.stats
        if not kernel.sensor.running or stats.crashes or stats.unexamined:
            raise RuntimeError(f"the sensor did not judge every event under {model}: {stats}")
        return seconds[0], kernel.clock.cycles, stats.events
    finally:
        session.close()


def _run_without_sensor(count: int) -> tuple[float, int]:
    """The same loop on a started kernel with no sensor: (seconds in kernel.run, virtual cycles)."""
    kernel = simpleos_kernel()
    image = user_image(PIPES_PROGRAM.format(count=count), "bench_pipes")
    process = kernel.spawn(image, "bench_pipes")
    seconds = timed(kernel.run)
    if (process.fate, process.exit_code) != ("exited", 0):
        raise RuntimeError(f"bench_pipes without a sensor: {process.fate} {process.exit_code} {process.trap}")
    return seconds, kernel.clock.cycles


def events_per_second_sampler(model: str, count: int, virtual_cycles: list[float]):
    """A sample function for interleave(): events/s under `model` (N pipes minus 0 pipes);
    appends the virtual cycles per event to `virtual_cycles`."""
    def sample() -> float:
        empty_seconds, empty_cycles, empty_events = _run_on_a_booted_machine(model, 0)
        full_seconds, full_cycles, full_events = _run_on_a_booted_machine(model, count)
        if full_events - empty_events != count:
            raise RuntimeError(f"{model}: {full_events - empty_events} events for {count} pipes")
        virtual_cycles.append((full_cycles - empty_cycles) / count)
        return count / (full_seconds - empty_seconds)
    return sample


def run(quick: bool = False) -> Result:
    """Sensor events per second at ring 0 and ring 3; `quick` does fewer events and 3 repetitions."""
    repetitions = 3 if quick else 7
    count = 300 if quick else 2_000
    virtual: dict[str, list[float]] = {name: [] for name in (*MODELS, "none")}

    def per_event(name: str):
        return events_per_second_sampler(MODELS[name], count, virtual[name])

    def no_sensor() -> float:
        empty_seconds, empty_cycles = _run_without_sensor(0)
        full_seconds, full_cycles = _run_without_sensor(count)
        virtual["none"].append((full_cycles - empty_cycles) / count)
        return count / (full_seconds - empty_seconds)

    with unlimited_cpu_time():
        _run_on_a_booted_machine("monolithic", 1)  # warm the assembler cache and imports, untimed
        samples = interleave({"ring0": per_event("ring0"), "ring3": per_event("ring3"), "none": no_sensor},
                             repetitions)
    for name, values in virtual.items():
        if len(set(values)) != 1:
            raise RuntimeError(f"virtual time per event is not deterministic for {name}: {values}")
    cycles = {name: values[0] for name, values in virtual.items()}
    m = {name: median(values) for name, values in samples.items()}
    labels = {
        "ring0": "pipe_create events, sensor at ring 0 (monolithic)",
        "ring3": "pipe_create events, sensor at ring 3 (microkernel)",
        "none": "reference: the same loop, no sensor loaded",
    }
    result = Result("sensor", "Sensor events per second (good content), ring 0 vs ring 3")
    result.rows = [Row(labels[name], m[name], "calls/s", values) for name, values in samples.items()]
    result.ratios = [
        Ratio("host events/s: ring 0 / ring 3", paired_ratio(samples["ring0"], samples["ring3"]),
              note="how much faster the kernel-thread sensor is on the host"),
        Ratio("host events/s: ring 0 / no sensor", paired_ratio(samples["ring0"], samples["none"])),
        Ratio("virtual cycles/event: ring 3 / ring 0", cycles["ring3"] / cycles["ring0"],
              note="deterministic"),
    ]
    result.notes.append(f"{count:,} pipes per run (minus a 0-pipe run in the same round), median of "
                        f"{repetitions} interleaved repetitions; host per event: ring 0 {1e6 / m['ring0']:.1f} us, "
                        f"ring 3 {1e6 / m['ring3']:.1f} us, no sensor {1e6 / m['none']:.1f} us")
    result.notes.append(f"virtual cycles per event (pipe_create + close, loop included): ring 0 "
                        f"{cycles['ring0']:,.1f}, ring 3 {cycles['ring3']:,.1f}, no sensor {cycles['none']:,.1f}; "
                        f"the sensor's share: ring 0 {cycles['ring0'] - cycles['none']:,.1f}, "
                        f"ring 3 {cycles['ring3'] - cycles['none']:,.1f}")
    return result


if __name__ == "__main__":
    import json
    print(json.dumps(run(quick=True).to_json(), indent=2))
