"""Lab 8 visible tests: find the killer rule in your own set, and write the validator rule that stops it.

The public part needs no secret: the file named in labs/lab8/answer.toml must
crash the workspace's sensor, the workspace's validator must reject it (naming
the rule) and still accept the shipped files, and `verified` must survive the
whole set. "Your variant" needs the instructor's secret: the answer must be
this student's culprit, the content must be the set made for this student,
and the validator must accept this set's decoys. Without the secret those
tests say so and score nothing: the answer is never graded as correct without
it. Failure messages never say what the right answer is.
It ships in student trees, so it must NOT hold an answer.
"""
from __future__ import annotations

from pathlib import Path

from ...channel.templates import template_type_named
from ...errors import BadInput
from ..gradelib import Failed, Suite, expect, expect_equal, expect_fields
from ..tomlfile import read_toml
from ..variants import Variant, variant_for

tests = Suite(8)
FOLDER = "labs/lab8"
ANSWER = f"{FOLDER}/answer.toml"
CONTENT = f"{FOLDER}/content"


def content_files(ctx) -> list[str]:
    """The workspace's channel files, as paths relative to it."""
    folder = ctx.workspace / CONTENT
    expect(folder.is_dir(), f"expected {CONTENT}/ (your variant; lab start 8 DIR --student ID makes it)")
    return sorted(f"{CONTENT}/{p.name}" for p in folder.glob("*.sys"))


def answer(ctx) -> dict:
    """The answer: file (a name in the content folder), instance, field (1-based), template."""
    doc = read_toml(ctx.workspace_file(ANSWER), ANSWER)
    template = template_type_named(str(doc.get("template", "")))
    expect(template is not None, f"{ANSWER}: template: expected \"IPC\" or \"PROCESS\", got {doc.get('template')!r}")
    field = doc.get("field")
    if isinstance(field, str):
        named = template.field_named(field)
        field = named.number if named else None
    expect(isinstance(field, int) and 1 <= field <= template.fields_declared,
           f"{ANSWER}: field: expected a field number of {template.name} (1 to {template.fields_declared}) or its name")
    expect(isinstance(doc.get("instance"), int) and doc["instance"] > 0, f"{ANSWER}: instance: expected a rule id")
    name = Path(str(doc.get("file", ""))).name
    expect(f"{CONTENT}/{name}" in content_files(ctx), f"{ANSWER}: file: {name!r} is not one of {CONTENT}/*.sys")
    return {"file": name, "instance": doc["instance"], "field": field, "template": template.name}


def my_variant(ctx) -> Variant:
    """This student's variant, regenerated from the secret (Failed if there is no secret or student)."""
    if ctx.secret is None:
        raise Failed("not graded here: the instructor's variant secret is not available ($SIMPLEOS_LAB_SECRET); "
                     "the instructor's grader checks this part")
    if ctx.student is None:
        raise Failed(f"no student id: {FOLDER}/VARIANT is missing; grade with --student ID")
    try:
        return variant_for(ctx.secret, ctx.student)
    except BadInput as reason:
        raise Failed(f"not graded here: {reason}") from None


@tests.test(0, "your answer file", part="public")
def answer_file(ctx):
    answer(ctx)


@tests.test(5, "the file you named crashes your sensor", part="public", parent=answer_file)
def crashes(ctx):
    doc = ctx.boot_json("--channel", f"{CONTENT}/{answer(ctx)['file']}", "--max-boots", "1")
    expect_fields(doc, "boot with the file you named", verdict="bootloop")
    expect_equal((doc["boots"][0]["bugcheck"] or {}).get("module"), "sensor.sys", "the module of the bugcheck")


@tests.test(10, "your validator rejects it, naming the rule", part="public", parent=answer_file)
def rejects(ctx):
    named = answer(ctx)
    result = ctx.simpleos("channel", "validate", "--abi", f"{CONTENT}/{named['file']}")
    expect_equal(result.code, 1, f"exit status of channel validate --abi {named['file']}")
    expect(f"instance {named['instance']}:" in result.stderr,
           f"channel validate --abi: expected a problem of instance {named['instance']}, got {result.stderr.strip()!r}")


@tests.test(5, "your validator still accepts the shipped files", part="public")
def shipped(ctx):
    for name in ("C-00000291-good.sys", "C-00000292-process.sys"):
        result = ctx.simpleos("channel", "validate", "--abi", f"channel_files/{name}")
        expect_equal((result.code, result.stdout), (0, "valid (template + ABI)\n"), f"channel validate --abi {name}")


@tests.test(10, "verified survives your whole set", part="public")
def verified(ctx):
    channels = [arg for path in content_files(ctx) for arg in ("--channel", path)]
    doc = ctx.boot_json("--model", "verified", "--max-boots", "1", *channels)
    expect_fields(doc, "boot --model verified with all of your content", verdict="up")
    expect_fields(doc["sensor"], "its sensor counters", crashes=0)


@tests.test(15, "your answer is your culprit", part="your variant", parent=answer_file)
def culprit(ctx):
    variant = my_variant(ctx)
    mine = {Path(path).name: (ctx.workspace / path).read_bytes() for path in content_files(ctx)}
    expect(mine == variant.files, f"{CONTENT}/ is not the set of channel files made for {ctx.student}")
    named, right = answer(ctx), variant.culprit
    wrong = [part for part in ("file", "instance", "field", "template") if named[part] != getattr(right, part)]
    expect(not wrong, f"{ANSWER}: not your culprit (wrong: {', '.join(wrong)})")


@tests.test(5, "your validator accepts your decoys", part="your variant")
def decoys(ctx):
    for number, (_, data) in enumerate(sorted(my_variant(ctx).decoy_files.items()), 1):
        result = ctx.simpleos("channel", "validate", "--abi", ctx.write(f"harmless-{number}.sys", data))
        expect_equal(result.code, 0, f"channel validate --abi of harmless rules from your set "
                                     f"({result.stderr.strip()!r}); exit status")


tests.manual(10, "how you found it", "the debug and analyze session that led to the culprit: which stop, which "
                                     "register, which input")
tests.manual(10, "why it crashes", "why this criterion makes the interpreter dereference a number, and why "
                                   "the decoys do not")
tests.manual(10, "your rule", "what your validator rule rejects, why it is general (not this file), and "
                              "whether it belongs in template or ABI validation")
