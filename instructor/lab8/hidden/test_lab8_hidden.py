"""Lab 8 hidden tests: the validator rule is a rule, not a list of this student's files.

Probe variants (made from the same secret for probe ids) put the killer rule in
other template types and fields; the student's validator must reject each
killer rule it has never seen, and accept decoys it has never seen.
"""
from simpleos.labs.gradelib import Failed, Suite, expect, expect_equal
from simpleos.labs.suites.lab8 import my_variant
from simpleos.labs.variants import variant_for

tests = Suite(8)
PART = "hidden: killer rules you have not seen"


def probes(ctx, count=3):
    """Probe variants whose culprits differ in (template, field) from each other and from the student's,
    with both template types among them."""
    mine = my_variant(ctx).culprit
    seen, chosen = {(mine.template, mine.field)}, []
    for k in range(1, 500):
        probe = variant_for(ctx.secret, f"probe-{k}")
        key = (probe.culprit.template, probe.culprit.field)
        missing = {"IPC", "PROCESS"} - {p.culprit.template for p in chosen}
        if key in seen or (len(chosen) == count - 1 and missing and probe.culprit.template not in missing):
            continue
        seen.add(key)
        chosen.append(probe)
        if len(chosen) == count:
            return chosen
    raise Failed("could not choose probe variants")


@tests.test(15, "your validator rejects killer rules it has not seen", part=PART)
def other_culprits(ctx):
    for probe in probes(ctx):
        culprit = probe.culprit
        path = ctx.write(culprit.file, probe.files[culprit.file])
        result = ctx.simpleos("channel", "validate", "--abi", path)
        expect(result.code == 1 and f"instance {culprit.instance}:" in result.stderr,
               f"a killer rule in another variant ({culprit.template}, field {culprit.field} "
               f"{culprit.field_name()}, rule {culprit.instance}): expected your validator to reject it, got exit "
               f"{result.code} {result.stderr.strip()!r}")


@tests.test(5, "your validator accepts decoys it has not seen", part=PART)
def other_decoys(ctx):
    for probe in probes(ctx, 2):
        for number, (_, data) in enumerate(sorted(probe.decoy_files.items()), 1):
            result = ctx.simpleos("channel", "validate", "--abi", ctx.write(f"{probe.label}-{number}.sys", data))
            expect_equal(result.code, 0, f"channel validate --abi of harmless rules from another variant "
                                         f"({result.stderr.strip()!r}); exit status")
