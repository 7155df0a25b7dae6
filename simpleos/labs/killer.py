"""The generator of Lab 8's variants: what the killer rule and its decoys look like (instructor only).

A set is four channel files (two IPC, two PROCESS) in which exactly one rule
crashes the sensor: a string test (equals or prefix) on an input the sensor
passes as an *integer* -- a pid, a timestamp, a mode -- after a criterion that
matches every event of its type, so the interpreter reaches it at the first
event and dereferences a number (#PF at compare_string+0xa, CR2 = the number).
The template validator of a student tree does not check a criterion's kind
against its field's type; Lab 8 asks the student to add that rule. The other
rules are decoys, valid for the project's validators and harmless on the
machine, chosen to look suspicious: integers compared with kernel-looking
addresses, criteria up to field 20, deny rules on names nothing uses, and
integer tests of the very fields culprits use.

Every choice comes from variants.Stream (HMAC-SHA256 of the secret and the
student id). This file is excluded from student trees (edition.py) and shipped
in the Gradescope autograder. It must NOT read anything: secret and id in,
files out.
"""
from __future__ import annotations

from ..channel.format import ChannelFile, Criterion, Instance, serialize
from ..channel.templates import IPC, PROCESS, TemplateType
from .variants import Culprit, Stream, Variant

CHANNEL_OF = {IPC.name: 291, PROCESS.name: 292}
KERNEL_LOOKING = 0xFFFF840500000074  # the READ_ADDRESS of 19 July 2024
PIPE = "\\\\.\\pipe\\"


def generate(secret: bytes, label: str) -> Variant:
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
