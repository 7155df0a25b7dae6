"""Per-student variants for Lab 8, "find the killer rule", in the spirit of CS:APP's bomb lab.

From the instructor's secret and a student id, HMAC-SHA256 drives every choice
of a student's set of channel files: one rule in it crashes the sensor, the
others are decoys, and which file, instance, field and template type is the
culprit differs between students. Without the secret nobody can derive a
variant, nor one student's from another's, and the grader checks an answer by
regenerating the variant: there is no stored answer list.

This module is the public side: the secret, the deterministic HMAC stream, the
shape of a variant, and the workspace's labs/lab8/VARIANT file. The generator
itself, which knows what the culprit looks like, is killer.py: it is not in
student trees (it would tell the lab's answer). This module must NOT read or
judge a workspace's files beyond labs/lab8/VARIANT.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..channel.templates import template_type_named
from ..errors import BadInput

SECRET_ENV = "SIMPLEOS_LAB_SECRET"
SECRET_FILE_ENV = "SIMPLEOS_LAB_SECRET_FILE"
SECRET_FILE = "instructor/variant-secret"
VARIANT_FILE = "VARIANT"           # in labs/labN/: whose variant this is (no answer in it)
CONTENT_DIR = "content"            # in labs/labN/: the student's channel files
DOMAIN = b"simpleos lab 8 variant v1\0"
STUDENT_ID = re.compile(r"[A-Za-z0-9._@+-]{1,64}")


def load_secret(project: Path | None = None) -> bytes | None:
    """The instructor's variant secret: $SIMPLEOS_LAB_SECRET, the file $SIMPLEOS_LAB_SECRET_FILE, or
    instructor/variant-secret in the project checkout; None if there is none."""
    if os.environ.get(SECRET_ENV):
        return os.environ[SECRET_ENV].strip().encode("utf-8")
    candidates = [Path(os.environ[SECRET_FILE_ENV])] if os.environ.get(SECRET_FILE_ENV) else []
    if project is not None:
        candidates.append(project / SECRET_FILE)
    for path in candidates:
        if path.is_file():
            secret = path.read_bytes().strip()
            if not secret:
                raise BadInput(f"the variant secret {path} is empty")
            return secret
        if os.environ.get(SECRET_FILE_ENV) and path == candidates[0]:
            raise BadInput(f"${SECRET_FILE_ENV}: no such file: {path}")
    return None


def require_secret(secret: bytes | None) -> bytes:
    """The secret, or BadInput saying how to provide one."""
    if secret is None:
        raise BadInput(f"per-student variants need the instructor's secret: set ${SECRET_ENV} or write "
                       f"{SECRET_FILE} (see docs/teaching.md)")
    return secret


class Stream:
    """Deterministic choices from HMAC-SHA256(secret, label): the same on every Python version."""

    def __init__(self, secret: bytes, label: str) -> None:
        self._key = hmac.new(secret, DOMAIN + label.encode("utf-8"), hashlib.sha256).digest()
        self._counter = 0

    def below(self, bound: int) -> int:
        """A uniform integer in [0, bound)."""
        limit = (1 << 64) - (1 << 64) % bound
        while True:
            self._counter += 1
            block = hmac.new(self._key, self._counter.to_bytes(8, "little"), hashlib.sha256).digest()
            value = int.from_bytes(block[:8], "little")
            if value < limit:
                return value % bound

    def choice(self, options):
        """One of `options`."""
        return options[self.below(len(options))]

    def shuffled(self, items: list) -> list:
        """`items` in a random order (Fisher-Yates)."""
        items = list(items)
        for i in range(len(items) - 1, 0, -1):
            j = self.below(i + 1)
            items[i], items[j] = items[j], items[i]
        return items

    def hex(self, digits: int) -> str:
        """`digits` random hex digits."""
        return "".join(self.choice("0123456789abcdef") for _ in range(digits))


@dataclass(frozen=True)
class Culprit:
    """The rule that crashes the sensor: where it is and what it tests."""
    file: str
    instance: int
    field: int               # 1-based, as `channel show` and the validators number fields
    template: str            # "IPC" or "PROCESS"

    def field_name(self) -> str:
        """The name of the field the culprit tests."""
        return template_type_named(self.template).fields[self.field - 1].name


@dataclass
class Variant:
    """One student's set of channel files."""
    label: str
    files: dict[str, bytes]
    culprit: Culprit
    decoy_files: dict[str, bytes] = field(default_factory=dict)   # every file as it would be without the culprit

    def tag(self, secret: bytes) -> str:
        """An identifier of this variant that reveals nothing about it (for labs/lab8/VARIANT)."""
        return hmac.new(secret, DOMAIN + b"tag\0" + self.label.encode("utf-8"), hashlib.sha256).hexdigest()[:16]


def variant_for(secret: bytes, label: str) -> Variant:
    """The variant of student (or probe) `label`, made by the generator (killer.py). Student trees
    have no generator: there it is BadInput, and only the instructor's grader can check an answer."""
    try:
        from .killer import generate
    except ImportError:
        raise BadInput("this tree has no variant generator (simpleos/labs/killer.py is in the instructor's "
                       "checkout and autograder only)") from None
    return generate(secret, label)


# --- the workspace side ---------------------------------------------------------------------------------

def write_variant(directory: Path, variant: Variant, secret: bytes) -> None:
    """labs/lab8/content/*.sys and labs/lab8/VARIANT (the student id and the variant's tag)."""
    content = directory / CONTENT_DIR
    content.mkdir(parents=True, exist_ok=True)
    for name, data in variant.files.items():
        (content / name).write_bytes(data)
    (directory / VARIANT_FILE).write_text(
        "# Whose variant this workspace holds (lab start --student). Do not edit.\n"
        f"student = \"{check_student_id(variant.label)}\"\ntag = \"{variant.tag(secret)}\"\n", encoding="utf-8")


def check_student_id(student: str) -> str:
    """A student id as `--student` takes it: letters, digits and . _ @ + - (1 to 64), else BadInput."""
    if not STUDENT_ID.fullmatch(student):
        raise BadInput(f"not a student id: {student!r} (letters, digits and . _ @ + -, at most 64)")
    return student


def read_variant_file(root: Path, lab) -> str | None:
    """The student id recorded in a workspace's labs/labN/VARIANT, or None."""
    path = root / lab.folder / VARIANT_FILE
    if not path.is_file():
        return None
    match = re.search(r'^student = "([^"]*)"$', path.read_text(encoding="utf-8", errors="replace"), re.M)
    return match.group(1) if match and STUDENT_ID.fullmatch(match.group(1)) else None
