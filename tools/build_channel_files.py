"""Rebuild every sample in channel_files/ from its TOML source, byte-identically.

    python tools/build_channel_files.py           # write the .sys files
    python tools/build_channel_files.py --check   # exit 1 if any shipped file differs

Each C-*.toml becomes the .sys of the same stem; C-00000291-zeros.sys is 4096
zero bytes (the zero-filled files seen in 2024; it has no source). This tool
only builds samples; it must NOT validate them away: the bad file is shipped
on purpose.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simpleos.channel import load_source, serialize  # noqa: E402
from simpleos.errors import BadInput  # noqa: E402

CHANNEL_FILES = ROOT / "channel_files"
ZEROS_NAME = "C-00000291-zeros.sys"
ZEROS_SIZE = 4096


def expected_files(directory: Path = CHANNEL_FILES) -> dict[str, bytes]:
    """File name -> the bytes it must hold, for every sample in directory."""
    files = {source.with_suffix(".sys").name: serialize(load_source(source))
             for source in sorted(directory.glob("C-*.toml"))}
    files[ZEROS_NAME] = bytes(ZEROS_SIZE)
    return files


def main(argv: list[str] | None = None) -> int:
    """Write (or with --check, compare) every sample; return an exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing; exit 1 on a difference")
    parser.add_argument("--dir", type=Path, default=CHANNEL_FILES, help="channel_files directory")
    args = parser.parse_args(argv)
    try:
        files = expected_files(args.dir)
    except BadInput as reason:
        print(f"build_channel_files: {reason}", file=sys.stderr)
        return 1
    stale = []
    for name, data in files.items():
        path = args.dir / name
        if args.check:
            if not path.is_file() or path.read_bytes() != data:
                stale.append(name)
            continue
        path.write_bytes(data)
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} ({len(data)} bytes)")
    if stale:
        print(f"build_channel_files: out of date: {', '.join(stale)} (run python tools/build_channel_files.py)",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
