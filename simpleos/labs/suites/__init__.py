"""The visible tests of each lab: labN.py defines `tests`, a gradelib Suite.

They ship in every student tree (`make grade LAB=N` runs them), so they check
what the handout promises and hold no answer; the instructor's hidden tests
(instructor/labN/hidden/) check the rest. Each suite talks to the workspace
only through its command line (Context.simpleos), so it grades outcomes --
fates, traps, verdicts, JSON, log lines -- and not internal structures.
"""
