"""The labs of the course: number, name, points, goal, time and prerequisites (the lab registry).

Data only: what `simpleos lab list` prints, what docs/teaching.md explains, and
what the grader and `lab start` look up. A lab's points are split three ways:
the visible tests (simpleos/labs/suites/labN.py, in every student tree), the
instructor's hidden tests (instructor/labN/hidden/, `grade --tests`), and the
written questions graded by hand. It must NOT contain tests or answers.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import BadInput


@dataclass(frozen=True)
class Lab:
    """One assignment."""

    number: int
    slug: str
    name: str
    goal: str
    visible_points: int
    hidden_points: int
    manual_points: int
    hours: str
    prerequisites: str
    per_student: bool = False       # needs `lab start --student ID` (variants from the instructor secret)

    @property
    def points(self) -> int:
        """All the lab is worth: machine-graded (visible + hidden) and by hand."""
        return self.visible_points + self.hidden_points + self.manual_points

    @property
    def folder(self) -> str:
        """The handout folder in the project and in a workspace."""
        return f"labs/lab{self.number}"


LABS: tuple[Lab, ...] = (
    Lab(1, "rings", "Make a ring-3 program fault, every way",
        "eight ring-3 programs, each stopped by the CPU (or the kernel) in a different way",
        40, 40, 20, "2-3 h", "x86-64 assembly basics; docs/memory-layout.md"),
    Lab(2, "syscall", "Add a system call",
        "gethostname(buf, size), number 504: from `syscall` into the kernel and back, with EFAULT",
        40, 40, 20, "2-3 h", "Lab 1; Python; docs/syscalls.md"),
    Lab(3, "bounds", "The bounds check, by hand",
        "fix the bug of 19 July 2024 in the sensor's content interpreter, as the fixed build",
        45, 35, 20, "3-4 h", "Labs 1-2; docs/channel-files.md, drivers/sensor/README.md"),
    Lab(4, "verifier", "A validator rule the verifier enforces",
        "an ABI validation rule that rejects deny-everything content before the sensor loads it",
        40, 40, 20, "2 h", "Lab 3; docs/channel-files.md"),
    Lab(5, "reincarnation", "Tune the reincarnation server",
        "measure restart policies of the microkernel model instead of arguing about them",
        30, 30, 40, "2-3 h", "Lab 3; docs/models.md"),
    Lab(6, "models", "Write an isolation model",
        "two more rows of `compare`, each from one new file in simpleos/isolation/",
        40, 30, 30, "3-4 h", "Labs 3 and 5; docs/models.md"),
    Lab(7, "rollout", "Design a rollout policy",
        "a policy for `simpleos fleet` that stops bad content early, even on one rare role, and never "
        "halts good content: crash probability against crash cost",
        40, 30, 30, "3-4 h", "Labs 5-6; Python; a little probability; docs/fleet.md"),
    Lab(8, "killer", "Find the killer rule",
        "your own set of channel files crashes your sensor: find the culprit with debug and analyze, "
        "then write the validator rule that stops it",
        50, 20, 30, "3-5 h", "Labs 3-4; docs/debugger.md", per_student=True),
    Lab(9, "fuzz", "Fuzz your own validator",
        "the fuzzer hunts for content that crashes the sensor and passes your validator: close every hole "
        "it finds and still accept the good content",
        40, 30, 30, "2-3 h", "Labs 4 and 8; docs/fuzzing.md"),
    Lab(10, "visibility", "What only ring 0 can see",
        "the same rootkit under two models: why one sensor finds the hidden beacon and the other cannot; "
        "then the cross-check that catches a second hiding technique",
        40, 30, 30, "3 h", "Labs 3 and 6; docs/models.md, docs/debugger.md"),
)


def lab_numbered(number: int) -> Lab:
    """The lab with this number; BadInput if there is none."""
    for lab in LABS:
        if lab.number == number:
            return lab
    raise BadInput(f"no lab {number} (labs: {', '.join(str(lab.number) for lab in LABS)})")


def describe(lab: Lab) -> str:
    """One `lab list` line: number, name, points, one-line goal."""
    return f"{lab.number}  {lab.slug:<13} {lab.points:>3} points  {lab.name}: {lab.goal}"
