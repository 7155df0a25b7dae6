"""Lab 8's per-student variants: different culprits, an answer only the secret can check, real crashes."""
import pytest

from simpleos.channel import abi_validate
from simpleos.channel.format import parse
from simpleos.labs.runner import grade
from simpleos.labs.variants import Stream, variant_for

from labtrees import INSTRUCTOR, SECRET, reference, workspace

STUDENTS = [f"s{i:03d}" for i in range(40)]


def test_two_students_get_different_culprits_and_different_sets():
    alice, bob = variant_for(SECRET, "alice"), variant_for(SECRET, "bob")
    assert alice.culprit != bob.culprit and alice.files != bob.files
    culprits = {variant_for(SECRET, s).culprit for s in STUDENTS}
    assert len(culprits) == len(STUDENTS)
    assert {c.template for c in culprits} == {"IPC", "PROCESS"} and len({c.field for c in culprits}) > 5


def test_a_variant_depends_on_the_secret_and_is_the_same_every_time():
    assert variant_for(SECRET, "alice").files == variant_for(SECRET, "alice").files
    assert variant_for(b"another term", "alice").culprit != variant_for(SECRET, "alice").culprit
    assert Stream(SECRET, "alice").below(1 << 40) != Stream(b"another term", "alice").below(1 << 40)


@pytest.mark.parametrize("student", STUDENTS[:10])
def test_the_projects_validators_reject_exactly_the_culprit(student):
    variant = variant_for(SECRET, student)
    for name, data in variant.files.items():
        problems = abi_validate(parse(data))
        if name == variant.culprit.file:
            assert len(problems) == 1 and problems[0].startswith(f"instance {variant.culprit.instance}: criterion "
                                                                 f"on field {variant.culprit.field} ")
        else:
            assert problems == []
    assert all(abi_validate(parse(data)) == [] for data in variant.decoy_files.values())


def test_the_right_answer_scores_and_a_neighbours_does_not(tmp_path):
    tree = workspace(tmp_path / "alice", 8, "alice", [reference(8)])
    mine = grade(8, tree, secret=SECRET)
    assert {r.test.name: r.status for r in mine.results}["lab8 your answer is your culprit"] == "OK"
    as_bob = grade(8, tree, student="bob", secret=SECRET)
    answer = next(r for r in as_bob.results if r.test.name == "lab8 your answer is your culprit")
    assert answer.status == "FAIL" and answer.message == "labs/lab8/content/ is not the set of channel files made for bob"


def test_without_the_secret_the_answer_is_not_graded_as_correct(tmp_path):
    tree = workspace(tmp_path / "alice", 8, "alice", [reference(8)])
    report = grade(8, tree, [INSTRUCTOR], secret=None)
    status = {r.test.name: (r.status, r.message) for r in report.results}
    assert status["lab8 your answer is your culprit"][0] == "FAIL"
    assert status["lab8 your answer is your culprit"][1].startswith("not graded here: the instructor's variant secret")
    public = [r for r in report.results if r.test.part == "public"]
    assert all(r.status == "OK" for r in public)
    assert report.score == sum(r.test.points for r in public)


def test_the_secret_comes_from_the_environment_or_the_instructor_area(tmp_path, monkeypatch):
    from simpleos.labs.variants import SECRET_ENV, SECRET_FILE_ENV, load_secret
    monkeypatch.delenv(SECRET_ENV, raising=False)
    monkeypatch.delenv(SECRET_FILE_ENV, raising=False)
    assert load_secret(tmp_path) is None
    (tmp_path / "instructor").mkdir()
    (tmp_path / "instructor/variant-secret").write_text("from the file\n")
    assert load_secret(tmp_path) == b"from the file"
    monkeypatch.setenv(SECRET_ENV, "from the environment")
    assert load_secret(tmp_path) == b"from the environment"
