"""Bad ELF files get one line on stderr and exit 1 from `simpleos run` -- never a traceback,
and never a boot. Each file is a good one with one thing wrong (newcomer_elf.elf_file)."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from cliutil import run_cli
from newcomer_elf import EXIT_7, PF_R, PF_W, PF_X, PT_INTERP, RW, RX, R, elf_file

from simpleos.errors import BadInput
from simpleos.kernel.elfload import load_elf

RWX = PF_R | PF_W | PF_X
BAD_FILES = {
    "truncated-header": (elf_file(truncate=40), "truncated: 40 bytes, less than an ELF header"),
    "truncated-table": (elf_file(truncate=90), "truncated: the program header table"),
    "truncated-segment": (elf_file(truncate=0x1004), "truncated: segment 0's bytes"),
    "32-bit": (elf_file(klass=1), "a 32-bit ELF file"),
    "big-endian": (elf_file(encoding=2), "a big-endian ELF file"),
    "aarch64": (elf_file(machine=183), "built for AArch64 (e_machine 183), not x86-64"),
    "pie": (elf_file(file_type=3), "position-independent"),
    "object": (elf_file(file_type=1), "an object file (.o), not an executable"),
    "dynamic": (elf_file(extra_headers=[(PT_INTERP, PF_R, 0x400000, 28)]), "dynamically linked"),
    "wx": (elf_file(segments=[(0x401000, RWX, EXIT_7, None)]), "both writable and executable; SimpleOS enforces W^X"),
    "overlap": (elf_file(segments=[(0x401000, RX, EXIT_7, 0x2000), (0x402000, RW, b"x", None)]), "overlap"),
    "shared-page": (elf_file(segments=[(0x401000, RX, EXIT_7, None), (0x401800, RW, b"x", None)]), "share a page"),
    "kernel-half": (elf_file(segments=[(0x401000, RX, EXIT_7, None), (0xFFFFFFFF80000000, RW, b"x", None)]),
                    "lies in the kernel half"),
    "non-canonical": (elf_file(segments=[(0x401000, RX, EXIT_7, None), (0x0000900000000000, RW, b"x", None)]),
                      "outside user space"),
    "null-page": (elf_file(segments=[(0x1000, RX, EXIT_7, None)], entry=0x1000), "below 0x10000"),
    "stack": (elf_file(segments=[(0x401000, RX, EXIT_7, None), (0x7FFFFFFF0000, RW, b"x", None)]),
              "reaches into the user stack"),
    "too-large": (elf_file(segments=[(0x401000, RX, EXIT_7, None), (0x500000, RW, b"", 1 << 30)]),
                  "a program may use at most 16 MiB"),
    "entry-in-data": (elf_file(segments=[(0x401000, RX, EXIT_7, None), (0x402000, RW, b"x", None)],
                               entry=0x402000), "is not inside an executable segment"),
    "no-load": (elf_file(segments=[], extra_headers=[(4, PF_R, 0, 0)]), "no PT_LOAD segment"),
    "phentsize": (elf_file(phentsize=32), "program header entries are 32 bytes, not 56"),
    "wraps": (elf_file(segments=[(0x401000, RX, EXIT_7, None), (0xFFFFFFFFFFFFF000, R, b"", 0x3000)]),
              "wraps around"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_a_bad_elf_file_is_one_line_and_exit_1(name, tmp_path, capsys):
    data, reason = BAD_FILES[name]
    path = tmp_path / name
    path.write_bytes(data)
    code, out, err = run_cli(capsys, "run", str(path), "--machine", str(tmp_path / "m"))
    assert code == 1 and out == ""
    assert err.startswith(f"simpleos: {name}: ") and err.count("\n") == 1, err
    assert reason in err
    assert not (tmp_path / "m" / "disk.img").exists()          # refused before anything booted


def test_the_hand_made_good_file_runs(tmp_path, capsys):
    path = tmp_path / "seven"
    path.write_bytes(elf_file(segments=[(0x401000, RX, EXIT_7, None), (0x402000, R, b"ro", None),
                                        (0x403010, RW, b"rw", 0x2000)]))
    code, out, _ = run_cli(capsys, "run", str(path), "--machine", str(tmp_path / "m"))
    assert (code, out) == (0, "seven exited with code 7; kernel up\n")


def test_a_binary_that_is_not_elf_is_not_taken_for_assembly(tmp_path, capsys):
    path = tmp_path / "blob"
    path.write_bytes(bytes(range(256)))
    code, _, err = run_cli(capsys, "run", str(path), "--machine", str(tmp_path / "m"))
    assert code == 1 and err.count("\n") == 1
    assert err == f"simpleos: {path}: neither an ELF executable (no \\x7fELF magic) nor an assembly source " \
                  "(not UTF-8 text)\n"


GOOD = elf_file(segments=[(0x401000, RX, EXIT_7, None), (0x403010, RW, b"rw", 0x2000)])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 0x1100), st.integers(0, 255)), min_size=1, max_size=8),
       st.integers(0x40, len(GOOD)))
def test_a_mutated_elf_loads_or_is_refused_in_one_line(mutations, length):
    data = bytearray(GOOD[:length])
    for offset, value in mutations:
        if offset < len(data):
            data[offset] = value
    try:
        image = load_elf(bytes(data), "mutant")
    except BadInput as refused:
        assert "\n" not in str(refused) and str(refused).startswith("mutant: ")
    else:
        assert image.segments and all(s.address % 4096 == 0 and s.size % 4096 == 0 for s in image.segments)
