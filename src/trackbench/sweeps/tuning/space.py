"""A search space as plain frozen records, independent of Optuna and of Hydra's syntax."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# A float counts as "on a bound" within this fraction of its range: sampled floats never hit
# the bound exactly, but a best value in the outer 1% says the range was too narrow.
BOUND_FRACTION = 0.01


@dataclass(frozen=True)
class FloatParam:
    low: float
    high: float
    log: bool = False
    step: float | None = None


@dataclass(frozen=True)
class IntParam:
    low: int
    high: int  # inclusive
    step: int = 1
    log: bool = False


@dataclass(frozen=True)
class CategoricalParam:
    choices: tuple[Any, ...]


Param = FloatParam | IntParam | CategoricalParam


def contains(param: Param, value: Any) -> bool:
    """Whether ``value`` is one of the values ``param`` can take."""
    if isinstance(param, CategoricalParam):
        return value in param.choices
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if not param.low <= value <= param.high:
        return False
    if isinstance(param, IntParam):
        return value == int(value) and (int(value) - param.low) % param.step == 0
    if param.step is not None:
        k = (value - param.low) / param.step
        return abs(k - round(k)) < 1e-9
    return True


def on_bound(space: Mapping[str, Param], best: Mapping[str, Any]) -> dict[str, str]:
    """``{name: "low" | "high"}`` for every numeric parameter whose best value lies on (for
    floats: within :data:`BOUND_FRACTION` of) a bound of its range."""
    out: dict[str, str] = {}
    for name, param in space.items():
        value = best.get(name)
        if isinstance(param, CategoricalParam) or value is None:
            continue
        span = param.high - param.low
        tol = 0 if isinstance(param, IntParam) or param.step is not None else BOUND_FRACTION * span
        top = param.high if isinstance(param, FloatParam) else param.low + (span // param.step) * param.step
        if span <= 0:
            continue
        if value <= param.low + tol:
            out[name] = "low"
        elif value >= top - tol:
            out[name] = "high"
    return out
