"""Lab 7: your rollout policy. `simpleos fleet --channel FILE --policy labs/lab7/policy.py` runs it.

It starts as 19 July 2024: the whole fleet in one stage, released at once,
and nobody watching what happens next. Make it a policy you would trust
with the next content update: plan the stages, decide every simulated
minute what to do, and halt when the machines that took the update go
quiet -- without halting when they do not. docs/fleet.md ("Writing a
policy") is the interface; labs/lab7/README.md is the task.
"""
from dataclasses import dataclass

from simpleos.fleet import DONE, NEXT, Policy


@dataclass
class Lab7Policy(Policy):
    """Everyone at once, no alarm: the policy of 19 July 2024."""
    name = "lab7"

    def stages(self, machines: int) -> list[int]:
        """One stage: the whole fleet."""
        return [machines]

    def decide(self, view) -> str:
        """Release the only stage at once, then say there is nothing more to release."""
        if view.released == 0:
            return NEXT
        return DONE
