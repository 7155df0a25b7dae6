"""An example student policy for `simpleos fleet --policy FILE.py`: rings whose alarm watches each role alone.

The built-in alarm compares a whole ring's missing check-ins with the
baseline. A bug that crashes only kiosks, which are 0.1% of the fleet,
hides there: 85 silent kiosks among 85,000 machines is 0.1%, under the
0.5% threshold. This policy asks the same question per role: 85 silent
kiosks out of 85 kiosks is 100%. Run it:

    simpleos fleet --channel channel_files/C-00000291-kiosk-bad.sys \\
        --scenario examples/fleet/kiosk-one-in-a-thousand.toml --policy examples/fleet/role_aware_rings.py

A policy is a class with two methods (docs/fleet.md, "Writing a policy"):
stages(machines) plans the rings, decide(view) answers NEXT, WAIT, HALT or
DONE once a simulated minute. Dataclass fields are its parameters: a TOML
file or the Python API can set them by name.
"""
from dataclasses import dataclass

from simpleos.fleet import DONE, HALT, NEXT, WAIT, Policy, sizes_from_fractions


@dataclass
class RoleAwareRings(Policy):
    """1% / 9% / 90% rings; halt when any role of a released ring goes silent beyond the baseline."""
    name = "role-aware-rings"
    rings: tuple = (0.01, 0.09, 0.90)
    bake_minutes: int = 60
    role_excess: float = 0.2          # a fifth of one role's machines silent beyond the baseline...
    role_min_machines: int = 3        # ...and at least this many

    def stages(self, machines: int) -> list[int]:
        """The ring sizes."""
        return sizes_from_fractions(machines, self.rings)

    def decide(self, view) -> str:
        """Release, watch every role of every released ring, release the next after the bake."""
        if view.released == 0:
            return NEXT
        for stage in view.stages[:view.released]:
            for role in stage.by_role.values():
                excess = role.missing - view.baseline_rate * role.fetched
                if role.fetched and excess >= max(min(self.role_min_machines, role.fetched),
                                                  self.role_excess * role.fetched):
                    return HALT
        if view.minutes_since_release() < self.bake_minutes:
            return WAIT
        return DONE if view.all_released else NEXT
