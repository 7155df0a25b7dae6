"""A workspace whose code is broken still gets a report: one line per test, never a traceback of the
grader, never a hang (host-side Python that never returns is stopped by the worker's safety limit)."""
from simpleos.labs import worker
from simpleos.labs.runner import grade

from labtrees import workspace


def test_code_that_does_not_import_fails_the_tests_with_its_traceback_saved(tmp_path):
    tree = workspace(tmp_path / "lab2", 2)
    syscalls = tree / "simpleos/kernel/syscalls.py"
    syscalls.write_text(syscalls.read_text() + "\ndef broken(:\n")
    report = grade(2, tree)
    first = report.results[0]
    assert first.status == "FAIL" and report.score == 0
    assert "SyntaxError" in (tree / first.transcript).read_text()


def test_a_system_call_that_never_returns_is_stopped(tmp_path, monkeypatch):
    monkeypatch.setattr(worker, "SAFETY_SECONDS", 2)
    tree = workspace(tmp_path / "lab2", 2)
    syscalls = tree / "simpleos/kernel/syscalls.py"
    text = syscalls.read_text().replace('    503: ("boot_complete", sys_boot_complete),\n',
                                        '    503: ("boot_complete", sys_boot_complete),\n    504: ("gethostname", '
                                        'lambda *_: [None for _ in iter(int, 1)]),\n')
    syscalls.write_text(text)
    report = grade(2, tree)
    first = report.results[0]
    assert first.status == "FAIL" and report.score == 0
    transcript = (tree / first.transcript).read_text()
    assert "did not return within the 2 s safety limit" in transcript
