"""The boot manager (simpleos/system.py): its rules, and the boot flags (fixes after a docs review)."""
from simpleos.cli import main
from simpleos.system import boot
from paths import BAD, USERLAND


def test_auto_repair_works_with_the_default_max_boots(tmp_path, boot_machine):
    session = boot_machine(tmp_path, fresh=True, channels=[BAD], auto_repair=True)   # max_boots = 3
    assert session.verdict == "up"
    assert [b.mode for b in session.boots] == ["normal", "normal", "safe", "normal"]


def test_a_safe_mode_boot_does_not_count_towards_max_boots(tmp_path, boot_machine):
    boot(tmp_path, fresh=True).close()
    session = boot_machine(tmp_path, safe_mode=True, exec_commands="reboot", max_boots=1)
    assert session.verdict == "up" and [b.mode for b in session.boots] == ["safe", "normal"]


def test_exec_without_safe_mode_is_a_usage_error(tmp_path, capsys):
    try:
        code = main(["boot", "--machine", str(tmp_path), "--exec", "ls"])
    except SystemExit as leave:
        code = leave.code
    assert code == 2 and "--exec" in capsys.readouterr().err


def test_run_in_safe_mode_is_a_usage_error(tmp_path, capsys):
    hello = USERLAND / "hello.asm"
    assert main(["run", str(hello), "--machine", str(tmp_path), "--safe-mode"]) == 2
    assert "--safe-mode" in capsys.readouterr().err


def test_a_bad_channel_argument_leaves_no_disk_behind(tmp_path, capsys):
    assert main(["boot", "--machine", str(tmp_path), "--channel", str(tmp_path / "C-00000291-x.sys")]) == 1
    assert not (tmp_path / "disk.img").exists()


def test_only_init_may_declare_the_boot_complete(tmp_path, run_machine_program):
    program = tmp_path / "liar.asm"
    program.write_text("_start:\n    mov rax, SYS_BOOT_COMPLETE\n    syscall\n    mov rdi, rax\n"
                       "    neg rdi\n    mov rax, SYS_EXIT\n    syscall\n")
    _, result = run_machine_program(str(program), tmp_path / "m", fresh=True)
    assert (result.fate, result.exit_code) == ("exited", 1)   # -EPERM
