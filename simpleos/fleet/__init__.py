"""`simpleos fleet`: the 19 July 2024 rollout replayed over a fleet whose outcomes come from SimpleOS boots.

Public API: simulate() and compare() return the report dicts of
docs/fleet.md; Policy and the view classes are the interface a rollout
policy (a lab's student's, say) implements. Package map: spec (what a fleet
is), classes + emulate (real boots per machine class, local pool or Ray),
cohorts (the fleet as groups), rollout (minute by minute, the policy
deciding), recovery (technicians), report, compare, text and plot. Nothing
here may import simpleos.commands.
"""
from .policies.base import DONE, HALT, NEXT, WAIT, Policy, RoleView, RolloutView, StageView, sizes_from_fractions
from .policies.builtin import AllAtOnce, Canary, Rings
from .simulate import simulate
from .spec import FleetSpec

__all__ = ["simulate", "compare", "Policy", "RolloutView", "StageView", "RoleView", "NEXT", "WAIT", "HALT", "DONE",
           "AllAtOnce", "Rings", "Canary", "FleetSpec", "sizes_from_fractions"]


def compare(*args, **kwargs):
    """Every policy x model in one report (see simpleos.fleet.compare)."""
    from .compare import compare as run
    return run(*args, **kwargs)
