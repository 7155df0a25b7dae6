"""`simpleos cc`: the C runtime in userland/libc/ and the host's gcc build programs that run.

Also what the debugger (issue 12) will build on: an ElfImage keeps the
symbol table (`main`) and the DWARF line table (hello.c's lines).
"""
from __future__ import annotations

import re
import shutil

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from cliutil import run_cli

from simpleos.errors import BadInput
from simpleos.kernel.elfload import load_elf
from simpleos.kernel.syscalls import SYSCALL_NUMBERS
from simpleos.resources import userland_dir

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="no gcc on this machine (CI has it)")
HELLO_C = userland_dir() / "hello.c"
KREAD_C = userland_dir() / "kread.c"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """hello and kread, built once with `simpleos cc`."""
    folder = tmp_path_factory.mktemp("cc")
    import simpleos.cbuild as cbuild
    return {name: (folder / name, cbuild.build([str(source)], str(folder / name)))
            for name, source in (("hello", HELLO_C), ("kread", KREAD_C))}


def test_cc_builds_the_c_hello_and_it_runs(tmp_path, capsys):
    code, out, err = run_cli(capsys, "cc", str(HELLO_C), "-o", str(tmp_path / "hello"))
    assert code == 0 and err == ""
    assert out.startswith(f"built {tmp_path / 'hello'}: static x86-64 ELF, entry 0x")
    code, out, err = run_cli(capsys, "run", str(tmp_path / "hello"), "--machine", str(tmp_path / "m"), "--fresh")
    assert (code, err) == (0, "")
    assert out == "hello, world from ring 3 (in C, as hello, pid 8)\nhello exited with code 0; kernel up\n"


def test_the_c_lab1_fault_is_killed_by_the_mmu_and_names_its_source_line(built, tmp_path, capsys):
    path, image = built["kread"]
    code, out, _ = run_cli(capsys, "run", str(path), "--machine", str(tmp_path / "m"), "--fresh")
    line = next(n for n, text in enumerate(KREAD_C.read_text().splitlines(), 1) if "= *kernel_memory" in text)
    assert code == 0
    assert re.search(rf"pid 8 kread: trap 14 #PF \(page fault\) rip 0x[0-9a-f]+ <main\+0x[0-9a-f]+> \(kread.c:{line}\) "
                     r"addr 0xffff800000001000 err 0x5 \[user read, protection violation\] -- killed", out), out
    assert out.splitlines()[0] == "reading the kernel's memory at 0xffff800000001000 ..."
    assert re.search(rf"kread was killed by #PF \(page fault\) at rip 0x[0-9a-f]+ \(kread.c:{line}\); kernel up$", out)


def test_the_image_keeps_symbols_and_lines_for_the_debugger(built):
    _, image = built["hello"]
    assert image.symbols["main"] in {s.address for s in image.elf_symbols if s.kind == "function"}
    main = next(s for s in image.elf_symbols if s.name == "main")
    assert main.binding == "global" and main.size > 0 and main.section == ".text"
    row = image.source_line(main.address)
    assert (row.file, row.path) == ("hello.c", str(HELLO_C))
    printf_line = next(n for n, text in enumerate(HELLO_C.read_text().splitlines(), 1) if "printf(" in text)
    addresses = image.line_table.addresses_of("hello.c", printf_line)
    assert addresses and all(main.contains(a) for a in addresses)
    assert str(HELLO_C) in image.line_table.files() and image.line_table.problem is None
    assert image.symbol_at(main.address + 1) == ("main", 1)


PRINTF_CASES = [('"%d|%5d|%-5d|%05d"', "-42, 42, 42, 42"), ('"%u|%x|%X|%o"', "3000000000u, 255, 255, 8"),
                ('"%ld|%lld|%zu"', "-9000000000L, 123456789012LL, (size_t)7"), ('"%s|%8s|%-8s|"', '"ab", "cd", "ef"'),
                ('"%c%c|%%|%p"', "'o', 'k', (void *)0x1234"), ('"%hhd|%hd|%*d"', "300, 70000, 6, 9")]


def test_printf_lite_formats_like_c(tmp_path, capsys):
    body = "\n".join(f"    printf({fmt} \"\\n\", {args});" for fmt, args in PRINTF_CASES)
    source = tmp_path / "formats.c"
    source.write_text('#include "simpleos.h"\nint main(void)\n{\n' + body + '\n    char small[6];\n'
                      '    int n = snprintf(small, sizeof small, "%s", "truncated");\n'
                      '    printf("%s %d\\n", small, n);\n    return 0;\n}\n')
    assert run_cli(capsys, "cc", str(source), "-o", str(tmp_path / "formats"))[0] == 0
    code, out, _ = run_cli(capsys, "run", str(tmp_path / "formats"), "--machine", str(tmp_path / "m"), "--fresh")
    assert out.splitlines()[:-1] == ["-42|   42|42   |00042", "3000000000|ff|FF|10",
                                     "-9000000000|123456789012|7", "ab|      cd|ef      |", "ok|%|0x1234",
                                     "44|4464|     9", "trunc 9"]


def test_a_compile_error_shows_gccs_messages_then_one_line(tmp_path, capfd):
    source = tmp_path / "broken.c"
    source.write_text('#include "simpleos.h"\nint main(void) { return undefined_thing; }\n')
    from simpleos.cli import main
    assert main(["cc", str(source), "-o", str(tmp_path / "broken")]) == 1
    err = capfd.readouterr().err
    assert "broken.c:2" in err and "undefined_thing" in err                  # gcc's own diagnostics
    assert err.rstrip().splitlines()[-1].startswith("simpleos: cc: gcc could not build")


def test_floating_point_is_a_compile_error_not_a_crash(tmp_path, capfd):
    source = tmp_path / "float.c"
    source.write_text("double half(double x) { return x / 2; }\nint main(void) { return (int)half(4); }\n")
    from simpleos.cli import main
    assert main(["cc", str(source), "-o", str(tmp_path / "float")]) == 1
    assert "SSE" in capfd.readouterr().err


def test_no_compiler_is_one_clear_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))            # nothing to find
    monkeypatch.delenv("CC", raising=False)
    code, out, err = run_cli(capsys, "cc", str(HELLO_C), "-o", str(tmp_path / "hello"))
    assert code == 1 and out == ""
    assert err == ("simpleos: cc: no C compiler found (looked for $CC, gcc, cc, x86_64-linux-gnu-gcc); "
                   "install gcc (on Debian/Ubuntu: apt-get install gcc)\n")


def test_a_compiler_for_another_machine_is_named(tmp_path, capsys, monkeypatch):
    fake = tmp_path / "gcc"
    fake.write_text("#!/bin/sh\necho aarch64-linux-gnu\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CC", raising=False)
    code, _, err = run_cli(capsys, "cc", str(HELLO_C))
    assert code == 1 and err.count("\n") == 1
    assert "no C compiler for x86-64: found gcc (aarch64-linux-gnu)" in err


def test_the_header_has_the_kernels_syscall_numbers_and_a_wrapper_for_each():
    """Every number in the header is the kernel's, and every syscall it names has a wrapper. A
    syscall added since (Lab 2's, in a student tree) still reaches C: `cc` defines SYS_* for all."""
    header = (userland_dir() / "libc" / "simpleos.h").read_text()
    wrappers = (userland_dir() / "libc" / "syscalls.c").read_text()
    numbers = {name: int(value) for name, value in re.findall(r"#define SYS_(\w+)\s+(\d+)", header)}
    kernel = {name.upper(): number for name, number in SYSCALL_NUMBERS.items()}
    assert numbers and all(kernel.get(name) == number for name, number in numbers.items()), numbers
    assert {"READ", "WRITE", "OPEN", "CLOSE", "EXIT", "SPAWN", "PIPE_CREATE", "WAITPID"} <= set(numbers)
    for name in numbers:
        assert re.search(rf"\b{name.lower()}\(", wrappers) and f"SYS_{name}" in wrappers, name


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.data())
def test_a_mutated_gcc_executable_loads_or_is_refused_in_one_line(built, data):
    """Mutations in the header, the section table and the symbol table: never a traceback."""
    path, image = built["hello"]
    original = bytearray(path.read_bytes())
    section_table = int.from_bytes(original[0x28:0x30], "little")
    symtab = image.elf.section(".symtab")
    regions = [(0, 64), (64, 64 + 56 * 4), (section_table, len(original)), (symtab.offset, symtab.offset + symtab.size)]
    for _ in range(data.draw(st.integers(1, 6))):
        start, end = data.draw(st.sampled_from(regions))
        offset = data.draw(st.integers(start, max(start, end - 1)))
        original[offset] = data.draw(st.integers(0, 255))
    try:
        mutant = load_elf(bytes(original), "mutant")
    except BadInput as refused:
        assert "\n" not in str(refused)
    else:
        mutant.symbol_at(mutant.entry)
        mutant.line_table          # may be empty (with .problem), never an exception
