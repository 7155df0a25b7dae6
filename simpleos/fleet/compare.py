"""`fleet compare`: every policy under every isolation model, one table and one picture.

The same fleet (size, roles, seed) and the same update are simulated once
per policy x model; the machine classes of all runs are booted together,
each once. The result holds every run's full report, so the table, the
--json output and the picture all come from the same numbers. This module
runs the grid; it must NOT format it (text.py, plot.py do).
"""
from __future__ import annotations

from ..errors import BadInput
from ..isolation import model_names
from .policies.builtin import BUILTIN_POLICIES
from .simulate import plan, run_plans

DEFAULT_POLICIES = tuple(BUILTIN_POLICIES)


def compare(channel=None, *, policies=None, models=None, policy_options: dict | None = None, workers=None,
            backend: str = "local", ray_address=None, progress=False, **options) -> dict:
    """Simulate each policy under each model; {"channel", "machines", "seed", "runs": [report, ...]}."""
    policies = list(policies or DEFAULT_POLICIES)
    models = list(models or model_names())
    for model in models:
        if model not in model_names():
            raise BadInput(f"unknown model {model!r} (choose from {', '.join(model_names())})")
    if options.get("mix") is not None or options.get("model") is not None:
        raise BadInput("fleet compare runs every model itself: give --models, not --model or --mix")
    plans = [plan(channel, policy=policy, policy_options=_options_for(policy, policy_options or {}),
                  model=model, **options)
             for policy in policies for model in models]
    runs = run_plans(plans, workers=workers, backend=backend, ray_address=ray_address, progress=progress)
    first = runs[0]
    return {"channel": first["channel"], "machines": first["machines"], "seed": first["seed"],
            "policies": policies, "models": models, "runs": runs}


def _options_for(policy: str, options: dict) -> dict:
    """The shared policy flags that this built-in policy has (bake applies to rings and canary, not all-at-once)."""
    cls = BUILTIN_POLICIES.get(policy)
    if cls is None:
        return options
    return {key: value for key, value in options.items() if key in cls.__dataclass_fields__}
