"""One way for tests to run `simpleos ARGV` in-process: (exit code, stdout, stderr).

Usage errors (argparse's SystemExit) come back as their exit code, and no
invocation may print a Python traceback. Works with capsys (text) and
capsysbinary (bytes).
"""
from simpleos.cli import main


def run_cli(capture, *argv):
    """Run the CLI once; (exit code, stdout, stderr) as captured by `capture`."""
    try:
        code = main(list(argv))
    except SystemExit as leave:
        code = leave.code
    out, err = capture.readouterr()
    assert ("Traceback" not in err) if isinstance(err, str) else (b"Traceback" not in err)
    return code, out, err
