"""Per-student variants for Lab 8, "find the killer rule", in the spirit of CS:APP's bomb lab.

From the instructor's secret and a student id, HMAC-SHA256 drives every choice:
a set of four channel files (two IPC, two PROCESS) in which exactly one rule
crashes the sensor -- a string test on an input that the sensor passes as an
integer, so the interpreter dereferences a number -- and the other rules are
decoys that look suspicious (kernel-looking integers, criteria on high fields,
deny rules, the very field the culprit uses) but are harmless. Which file,
instance, field and template type is the culprit differs between students.
Without the secret nobody can derive a variant, nor one student's from
another's, and the grader checks an answer by regenerating the variant: there
is no stored answer list.

This module ships in student trees: it holds the generator, never a secret
and never a variant's answer. It must NOT read or judge a workspace's files
beyond labs/lab8/VARIANT.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..channel.format import ChannelFile, Criterion, Instance, serialize
from ..channel.templates import IPC, PROCESS, TemplateType
from ..errors import BadInput

SECRET_ENV = "SIMPLEOS_LAB_SECRET"
SECRET_FILE_ENV = "SIMPLEOS_LAB_SECRET_FILE"
SECRET_FILE = "instructor/variant-secret"
VARIANT_FILE = "VARIANT"           # in labs/labN/: whose variant this is (no answer in it)
CONTENT_DIR = "content"            # in labs/labN/: the student's channel files
DOMAIN = b"simpleos lab 8 variant v1\0"
CHANNEL_OF = {IPC.name: 291, PROCESS.name: 292}
KERNEL_LOOKING = 0xFFFF840500000074  # the READ_ADDRESS of 19 July 2024
PIPE = "\\\\.\\pipe\\"
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
        return _template(self.template).fields[self.field - 1].name


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
    """The variant of student (or probe) `label`."""
    stream = Stream(secret, label)
    culprit_type = stream.choice((IPC, IPC, PROCESS))   # IPC has 12 integer inputs, PROCESS 2
    integer_fields = [f for f in culprit_type.fields[:culprit_type.inputs_supplied] if not f.is_string]
    culprit_field = stream.choice(integer_fields)
    used_ids: set[int] = set()
    names = _file_names(stream)
    instances: dict[str, list[tuple[Instance, bool]]] = {name: [] for name in names}
    by_type = {IPC.name: [n for n in names if "-00000291-" in n], PROCESS.name: [n for n in names if "-00000292-" in n]}
    for ttype in (IPC, PROCESS):          # every file gets a decoy; the rest go anywhere of their type
        makers = stream.shuffled([maker for maker, of in DECOYS.items() if of is ttype])
        homes = stream.shuffled(by_type[ttype.name])
        for number, maker in enumerate(makers):
            home = homes[number] if number < len(homes) else stream.choice(homes)
            instances[home].append((maker(stream, _new_id(stream, ttype, used_ids)), False))
    culprit_id = _new_id(stream, culprit_type, used_ids)
    home = stream.choice(by_type[culprit_type.name])
    position = stream.below(len(instances[home]) + 1)
    instances[home].insert(position, (_culprit_instance(stream, culprit_type, culprit_field.index, culprit_id), True))
    files, decoys = {}, {}
    for name in names:
        channel = 291 if "-00000291-" in name else 292
        ttype = IPC if channel == 291 else PROCESS
        version = 40 + stream.below(60)
        files[name] = serialize(ChannelFile(channel, ttype.number, ttype.fields_declared, version,
                                            tuple(i for i, _ in instances[name])))
        decoys[name] = serialize(ChannelFile(channel, ttype.number, ttype.fields_declared, version,
                                             tuple(i for i, bad in instances[name] if not bad)))
    return Variant(label, files, Culprit(home, culprit_id, culprit_field.number, culprit_type.name), decoys)


def _file_names(stream: Stream) -> list[str]:
    """Two IPC (channel 291) and two PROCESS (channel 292) file names, distinct."""
    names: list[str] = []
    while len(names) < 4:
        channel = 291 if len(names) < 2 else 292
        name = f"C-{channel:08d}-{stream.hex(4)}.sys"
        if name not in names:
            names.append(name)
    return sorted(names)


def _new_id(stream: Stream, ttype: TemplateType, used: set[int]) -> int:
    """An instance id not used yet in this set: 291xxx for IPC, 292xxx for PROCESS."""
    while True:
        number = CHANNEL_OF[ttype.name] * 1000 + 100 + stream.below(900)
        if number not in used:
            used.add(number)
            return number


def _criteria(ttype: TemplateType, **by_name: Criterion) -> tuple[Criterion, ...]:
    """A full row of criteria: wildcards except the named fields."""
    return tuple(by_name.get(f.name, Criterion.wildcard()) for f in ttype.fields)


def _culprit_instance(stream: Stream, ttype: TemplateType, index: int, instance_id: int) -> Instance:
    """A rule that matches every event of its type up to a string test on integer input `index`."""
    first = Criterion.prefix(PIPE) if ttype is IPC else Criterion.prefix("/bin/")
    word = stream.choice(("SYSTEM", "High", "4", "0x4000", "none", "admin", "true", "S-1-5-18"))
    test = Criterion.equals(word) if stream.below(2) else Criterion.prefix(word)
    criteria = list(_criteria(ttype))
    criteria[0], criteria[index] = first, test
    return Instance(instance_id, stream.below(2), tuple(criteria))


# --- decoys: valid for the project's validators, harmless on the machine, suspicious to a reader --------

def _kernel_looking_integer(stream: Stream, instance_id: int) -> Instance:
    """An integer test against a kernel address: compared, never dereferenced."""
    name = stream.choice(("creator_pid", "session_id", "creator_start_time", "creator_tree_depth"))
    value = KERNEL_LOOKING + 0x100 * stream.below(16)
    return Instance(instance_id, 0, _criteria(IPC, **{name: Criterion.integer(value)}))


def _high_fields(stream: Stream, instance_id: int) -> Instance:
    """Criteria up to field 20, the last input supplied (CF291 used field 21); the first never matches."""
    return Instance(instance_id, 1, _criteria(
        IPC, pipe_name=Criterion.equals(f"{PIPE}lab8-{stream.hex(6)}"), creator_signer=Criterion.equals("SimpleOS"),
        creator_tree_depth=Criterion.integer(stream.below(4)), creator_image_hash_prefix=Criterion.prefix(stream.hex(2))))


def _deny_unknown_pipe(stream: Stream, instance_id: int) -> Instance:
    """A deny rule on a C2-looking pipe name that nothing creates."""
    return Instance(instance_id, 1, _criteria(IPC, pipe_name=Criterion.prefix(f"{PIPE}MSSE-{stream.hex(4)}-client")))


def _process_hash(stream: Stream, instance_id: int) -> Instance:
    """A deny rule on an image hash that no program has."""
    return Instance(instance_id, 1, _criteria(PROCESS, image_hash_prefix=Criterion.equals(stream.hex(16))))


def _process_integer(stream: Stream, instance_id: int) -> Instance:
    """The culprits' favourite fields, tested the right way (an integer), on every program start."""
    name = stream.choice(("integrity_level", "pid"))
    value = 0x4000 if name == "integrity_level" else stream.below(64)
    return Instance(instance_id, 0, _criteria(PROCESS, image_path=Criterion.prefix("/bin/"),
                                              **{name: Criterion.integer(value)}))


DECOYS = {_kernel_looking_integer: IPC, _high_fields: IPC, _deny_unknown_pipe: IPC, _process_hash: PROCESS,
          _process_integer: PROCESS}


def _template(name: str) -> TemplateType:
    return IPC if name == IPC.name else PROCESS


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
