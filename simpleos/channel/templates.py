"""Template types: what each kind of channel-file rule may look at.

A *template type* says, for one kind of event, which fields a rule's
criteria refer to (the type definition) and how many inputs the sensor's
compiled code actually hands the content interpreter (the sensor's ABI).
For IPC the two numbers disagree (21 declared, 20 supplied): that gap is
Channel File 291. This module only describes types; it must NOT parse files,
validate content or know about the emulated machine.
"""
from __future__ import annotations

from ..record import dataclass

STRING = "string"
INTEGER = "integer"


@dataclass(frozen=True)
class Field:
    """One declared field of a template type: its 0-based index, name and value type."""

    index: int
    name: str
    value_type: str  # STRING (input is a pointer to a NUL-terminated string) or INTEGER (input is the value)

    @property
    def is_string(self) -> bool:
        """True when the sensor passes this input as a pointer to a string."""
        return self.value_type == STRING

    @property
    def number(self) -> int:
        """The 1-based field number used in prose ("field 21")."""
        return self.index + 1


@dataclass(frozen=True)
class TemplateType:
    """A template type: its number in the file header, its event and its fields."""

    number: int
    name: str
    event: str
    inputs_supplied: int  # compiled into the sensor: length of the input array
    fields: tuple[Field, ...]  # the type definition: what content may refer to

    @property
    def fields_declared(self) -> int:
        """How many fields the type definition declares (criteria per instance)."""
        return len(self.fields)

    def field(self, index: int) -> Field | None:
        """The declared field at a 0-based index, or None past the definition."""
        return self.fields[index] if 0 <= index < len(self.fields) else None

    @property
    def string_mask(self) -> int:
        """Bit i set when supplied input i is a string (compiled into the sensor as a table)."""
        return sum(1 << f.index for f in self.fields[:self.inputs_supplied] if f.is_string)

    def field_named(self, name: str) -> Field | None:
        """The declared field with this name, or None."""
        return next((f for f in self.fields if f.name == name), None)


def _fields(*specs: tuple[str, str]) -> tuple[Field, ...]:
    """Number a list of (name, value_type) pairs from 0."""
    return tuple(Field(i, name, value_type) for i, (name, value_type) in enumerate(specs))


PROCESS = TemplateType(
    number=1,
    name="PROCESS",
    event="process exec",
    inputs_supplied=8,
    fields=_fields(
        ("image_path", STRING),
        ("command_line", STRING),
        ("pid", INTEGER),
        ("parent_image_path", STRING),
        ("user", STRING),
        ("integrity_level", INTEGER),
        ("image_hash_prefix", STRING),
        ("signer", STRING),
    ),
)

IPC = TemplateType(
    number=2,
    name="IPC",
    event="named pipe create",
    inputs_supplied=20,
    fields=_fields(
        ("pipe_name", STRING),
        ("creator_image_path", STRING),
        ("creator_pid", INTEGER),
        ("creator_command_line", STRING),
        ("parent_image_path", STRING),
        ("user", STRING),
        ("session_id", INTEGER),
        ("integrity_level", INTEGER),
        ("open_mode", INTEGER),
        ("pipe_mode", INTEGER),
        ("max_instances", INTEGER),
        ("out_buffer_size", INTEGER),
        ("in_buffer_size", INTEGER),
        ("default_timeout", INTEGER),
        ("owner_sid", STRING),
        ("remote_client_flag", INTEGER),
        ("creator_start_time", INTEGER),
        ("creator_image_hash_prefix", STRING),
        ("creator_signer", STRING),
        ("creator_tree_depth", INTEGER),
        ("field_21", STRING),  # exists only in the type definition: the sensor never supplies it
    ),
)

TEMPLATE_TYPES: dict[int, TemplateType] = {t.number: t for t in (PROCESS, IPC)}

TEMPLATE_PROCESS = PROCESS.number
TEMPLATE_IPC = IPC.number

# The channels this sensor knows, and the template type each one carries:
# 291 named pipes (the July 2024 channel), 292 process starts.
CHANNEL_TEMPLATES: dict[int, int] = {291: TEMPLATE_IPC, 292: TEMPLATE_PROCESS}
INPUTS_SUPPLIED: dict[int, int] = {t.number: t.inputs_supplied for t in TEMPLATE_TYPES.values()}
FIELDS_DECLARED: dict[int, int] = {t.number: t.fields_declared for t in TEMPLATE_TYPES.values()}
PROCESS_INPUTS_SUPPLIED = PROCESS.inputs_supplied
PROCESS_FIELDS_DECLARED = PROCESS.fields_declared
IPC_INPUTS_SUPPLIED = IPC.inputs_supplied
IPC_FIELDS_DECLARED = IPC.fields_declared


def template_type(number: int) -> TemplateType | None:
    """The template type with this header number, or None if unknown."""
    return TEMPLATE_TYPES.get(number)


def template_type_named(name: str) -> TemplateType | None:
    """The template type with this name (case-insensitive), or None."""
    return next((t for t in TEMPLATE_TYPES.values() if t.name == name.upper()), None)


def describe_known_types() -> str:
    """A short list of known types for error messages, e.g. "1 PROCESS, 2 IPC"."""
    return ", ".join(f"{t.number} {t.name}" for t in TEMPLATE_TYPES.values())
