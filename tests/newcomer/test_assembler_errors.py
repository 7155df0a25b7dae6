"""The assembler reports every failing line, each with file:line -- and blames the right line."""
from __future__ import annotations

from cliutil import run_cli

from simpleos.asmerrors import MAX_REPORTED_ERRORS

THREE_ERRORS = """\
_start:
    jmp .Ldone                      ; a forward jump: not an error
    movv rax, 1
.Ldone:
    mov rax, rbx, rcx
    xor rdi, rdi
    mov rax, SYS_NOPE
    call exit
.include "lib.asm"
"""


def _run(tmp_path, capsys, name, text):
    program = tmp_path / name
    program.write_text(text)
    code, out, err = run_cli(capsys, "run", str(program), "--machine", str(tmp_path / "m"))
    assert code == 1 and out == ""
    return err.splitlines()


def test_every_error_is_reported_with_its_line(tmp_path, capsys):
    assert _run(tmp_path, capsys, "three.asm", THREE_ERRORS) == [
        "simpleos: three.asm:3: invalid mnemonic: movv rax, 1",
        "simpleos: three.asm:5: invalid operand: mov rax, rbx, rcx",
        "simpleos: three.asm:7: cannot find a symbol: mov rax, SYS_NOPE"]


def test_a_forward_jump_to_a_local_label_is_not_blamed(tmp_path, capsys):
    lines = _run(tmp_path, capsys, "fwd.asm", "_start:\n    jmp .Lend\n    nop\n.Lend:\n    pushh rax\n")
    assert lines == ["simpleos: fwd.asm:5: invalid mnemonic: pushh rax"]


def test_errors_in_an_included_file_name_that_file(tmp_path, capsys):
    (tmp_path / "helpers.asm").write_text("helper:\n    ret\n    pushh rax\n    popp rax\n")
    lines = _run(tmp_path, capsys, "main.asm", '_start:\n    call helper\n    movv rax, 1\n.include "helpers.asm"\n')
    assert lines == ["simpleos: main.asm:3: invalid mnemonic: movv rax, 1",
                     "simpleos: helpers.asm:3: invalid mnemonic: pushh rax",
                     "simpleos: helpers.asm:4: invalid mnemonic: popp rax"]


def test_a_label_defined_twice_says_where_it_was_first(tmp_path, capsys):
    lines = _run(tmp_path, capsys, "twice.asm", "_start:\nloop:\n    nop\nloop:\n    jmp loop\n")
    assert lines == ["simpleos: twice.asm:4: label defined twice: loop (first at twice.asm:2)"]


def test_the_list_stops_at_a_bound(tmp_path, capsys):
    lines = _run(tmp_path, capsys, "many.asm", "_start:\n" + "    movv rax, 1\n" * (MAX_REPORTED_ERRORS + 5))
    assert len(lines) == MAX_REPORTED_ERRORS
    assert lines[-1] == f"simpleos: many.asm:{MAX_REPORTED_ERRORS + 1}: invalid mnemonic: movv rax, 1"


def test_a_memory_operand_missing_its_bracket_is_refused_not_misread(tmp_path, capsys):
    """keystone assembles `mov bl, [rsi` as `mov bl, [rip - 6]`, with no error: we refuse it."""
    lines = _run(tmp_path, capsys, "br.asm", "_start:\n    mov bl, [rsi\n    mov rax, rsi]\n    mov rcx, [[rdx]]\n"
                 "    mov rdx, [rsi + 8]   ; [fine\n    call exit\n.include \"lib.asm\"\n")
    assert lines == ["simpleos: br.asm:2: unbalanced [ ] in a memory operand: mov bl, [rsi",
                     "simpleos: br.asm:3: unbalanced [ ] in a memory operand: mov rax, rsi]",
                     "simpleos: br.asm:4: unbalanced [ ] in a memory operand: mov rcx, [[rdx]]"]


def test_brackets_inside_strings_are_not_operands(tmp_path, capsys):
    program = tmp_path / "s.asm"
    program.write_text('_start:\n    lea rsi, [msg]\n    call exit\n.include "lib.asm"\n.data\nmsg: .asciz "a [ b \\" ]]"\n')
    code, out, err = run_cli(capsys, "run", str(program), "--machine", str(tmp_path / "m"))
    assert code == 0 and "unbalanced" not in err
