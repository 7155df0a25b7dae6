"""The lab system: SimpleOS's assignments as a course (docs/teaching.md).

`simpleos lab start N DIR` makes a student's workspace (the project's tree at
lab N's starting point, answers taken out); `simpleos grade N` builds and
grades a workspace's own code through its own command line, gradelib style,
with an instructor's hidden tests on top; variants.py makes per-student
content for the "find the killer rule" lab from an instructor secret.

This package ships in every student tree, so it must NOT contain answers,
hidden tests, rubrics or secrets: those live in the repository's instructor/
area, which `lab start` never copies. Nothing here decides a grade by wall-clock
time: guest code runs under the machine's instruction budgets.
"""
