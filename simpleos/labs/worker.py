"""Run a workspace's own `simpleos` command line in a child Python, many commands per child.

The grader never imports a workspace's code. It starts one child interpreter
with the workspace first on PYTHONPATH, sends it argv lists, and reads back
exit code, stdout and stderr, exactly what `simpleos ARGV` would have given in
a shell, without paying Python's start-up for every command. Replies travel
on a private pipe, so whatever the workspace's code prints cannot forge them.
If the child dies (the workspace's code crashed the interpreter), the command
fails with what it left on stderr and the next command gets a new child.

The machine bounds guest code by instructions. The one wall-clock limit here,
SAFETY_SECONDS, only stops host-side Python that never returns (a loop in a
student's system call); it is generous, and a program that trips it trips it
on every run. This module must NOT interpret results.
"""
from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BadInput

SAFETY_SECONDS = 300

# The child: import the workspace's CLI, then serve one JSON request per stdin line.
CHILD = r"""
import io, json, os, sys, traceback
reply = os.fdopen(int(sys.argv[1]), "w")
root = os.path.realpath(sys.argv[2])
import simpleos
if not os.path.realpath(simpleos.__file__).startswith(root + os.sep):
    reply.write(json.dumps({"fatal": "the workspace's simpleos is not the one imported: " + simpleos.__file__}) + "\n")
    reply.flush()
    sys.exit(1)
from simpleos.cli import main
for line in sys.stdin:
    request = json.loads(line)
    out_bytes, err_bytes = io.BytesIO(), io.BytesIO()
    out = io.TextIOWrapper(out_bytes, encoding="utf-8", errors="replace", write_through=True)
    err = io.TextIOWrapper(err_bytes, encoding="utf-8", errors="replace", write_through=True)
    saved = sys.stdout, sys.stderr, os.getcwd()
    sys.stdout, sys.stderr = out, err
    try:
        os.chdir(request["cwd"])
        code = main(request["argv"])
    except SystemExit as leave:
        code = leave.code if isinstance(leave.code, int) else (0 if leave.code is None else 1)
    except BaseException:
        traceback.print_exc(file=err)
        code = 1
    finally:
        sys.stdout, sys.stderr = saved[0], saved[1]
        os.chdir(saved[2])
    reply.write(json.dumps({"code": code, "stdout": out_bytes.getvalue().decode("utf-8", "replace"),
                            "stderr": err_bytes.getvalue().decode("utf-8", "replace")}) + "\n")
    reply.flush()
"""

# Build the workspace's C extensions in place (only those the grader cannot lend its own build of).
BUILD = ("import sys; from setuptools import Extension, setup; setup(name='simpleos-native', script_args=['-q', "
         "'build_ext', '--inplace', '--build-temp', '.grade/build'], ext_modules=[Extension("
         "'simpleos.machine.' + name, ['simpleos/machine/' + name + '.c']) for name in sys.argv[1:]])")


@dataclass
class CommandResult:
    """What one `simpleos ARGV` gave."""
    argv: list[str]
    code: int
    stdout: str
    stderr: str

    def transcript(self) -> str:
        """The command and its output, as a shell session would show them."""
        lines = ["$ simpleos " + " ".join(_quote(a) for a in self.argv)]
        if self.stdout:
            lines.append(self.stdout.rstrip("\n"))
        if self.stderr:
            lines.append("[stderr]")
            lines.append(self.stderr.rstrip("\n"))
        lines.append(f"[exit {self.code}]")
        return "\n".join(lines)


def _quote(text: str) -> str:
    """Shell-style quoting for transcripts."""
    return text if text and all(c.isalnum() or c in "-_./=:,+@" for c in text) else "'" + text.replace("'", "'\\''") + "'"


def prepare_extension(root: Path, python: str = sys.executable) -> None:
    """Make the workspace's native hooks (simpleos/machine/*.c: the instruction counter, the
    fuzzer's edge recorder) importable: lend the grader's build of each when its C source is
    the same, else compile it in place (gcc; a second or two)."""
    import importlib
    machine = root / "simpleos" / "machine"
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    sources = sorted(machine.glob("_*.c"))
    if not sources:
        raise BadInput(f"{root} is not a SimpleOS tree (no simpleos/machine/_icount.c)")
    to_build = []
    for source in sources:
        target = machine / f"{source.stem}{suffix}"
        if target.exists():
            continue
        try:
            grader_build = Path(importlib.import_module(f"simpleos.machine.{source.stem}").__file__)
        except ImportError:
            grader_build = None
        if python == sys.executable and grader_build is not None and \
                grader_build.with_name(source.name).is_file() and \
                grader_build.with_name(source.name).read_bytes() == source.read_bytes():
            target.write_bytes(grader_build.read_bytes())
        else:
            to_build.append(source.stem)
    if not to_build:
        return
    built = subprocess.run([python, "-c", BUILD, *to_build], cwd=root, capture_output=True, text=True)
    missing = [name for name in to_build if not any(machine.glob(f"{name}*.so"))]
    if built.returncode != 0 or missing:
        raise BadInput(f"cannot build {', '.join(missing) or to_build[0]} in {machine} (needs gcc and setuptools): "
                       f"{built.stderr.strip()[-300:]}")


@dataclass
class WorkspaceCLI:
    """The command line of one workspace, served by a child interpreter."""
    root: Path
    environment: dict[str, str] = field(default_factory=dict)
    python: str = sys.executable
    _child: subprocess.Popen | None = None
    _replies: object = None
    _last_words: object = None        # the child's real stderr, a temporary file
    _safety_tripped: bool = False

    def run(self, argv: list[str], cwd: Path | None = None) -> CommandResult:
        """`simpleos ARGV` in the workspace (cwd: the workspace unless given)."""
        argv = [str(a) for a in argv]
        if self._child is None:
            self._start()
        request = json.dumps({"argv": argv, "cwd": str(cwd or self.root)}) + "\n"
        try:
            self._child.stdin.write(request)
            self._child.stdin.flush()
            reply = self._read_reply()
        except (BrokenPipeError, OSError):
            reply = None
        if reply is None:
            return CommandResult(argv, 1, "", self._bury())
        if "fatal" in reply:
            self._bury()
            raise BadInput(reply["fatal"])
        return CommandResult(argv, reply["code"], reply["stdout"], reply["stderr"])

    def close(self) -> None:
        """Stop the child."""
        if self._child is not None:
            self._bury()

    def _start(self) -> None:
        read_end, write_end = os.pipe()
        env = {k: v for k, v in os.environ.items() if k not in ("SIMPLEOS_MACHINE", "PYTHONSTARTUP")}
        env.update(self.environment)
        env["PYTHONPATH"] = os.pathsep.join([str(self.root)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
        env["PYTHONHASHSEED"] = "0"
        self._last_words = tempfile.TemporaryFile("w+")
        self._child = subprocess.Popen([self.python, "-c", CHILD, str(write_end), str(self.root)], cwd=self.root,
                                       env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                       stderr=self._last_words, text=True, pass_fds=(write_end,))
        os.close(write_end)
        self._replies = os.fdopen(read_end, "r")

    def _read_reply(self) -> dict | None:
        """The child's next reply, or None if it died or ran past SAFETY_SECONDS."""
        ready, _, _ = select.select([self._replies], [], [], SAFETY_SECONDS)
        if not ready:
            self._child.kill()
            self._safety_tripped = True
            return None
        line = self._replies.readline()
        return json.loads(line) if line else None

    def _bury(self) -> str:
        """End the child; what it printed on stderr (why it died), for the transcript."""
        child, self._child = self._child, None
        tripped, self._safety_tripped = self._safety_tripped, False
        try:
            child.stdin.close()
        except OSError:
            pass
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        self._last_words.seek(0)
        last_words = self._last_words.read()[-4000:]
        self._last_words.close()
        self._replies.close()
        if tripped:
            return (f"the workspace's code did not return within the {SAFETY_SECONDS} s safety limit "
                    f"(host-side Python that never finishes; guest code is bounded by instructions)\n")
        return last_words or f"the workspace's simpleos process died (exit {child.returncode})\n"
