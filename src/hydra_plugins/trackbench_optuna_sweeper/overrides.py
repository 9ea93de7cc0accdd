"""Hydra's sweep syntax (``interval``, ``range``, ``choice``) to a search space, and back."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import IntervalSweep, Override, RangeSweep, Transformer

from trackbench.errors import TrackbenchError
from trackbench.sweeps.tuning.space import CategoricalParam, FloatParam, IntParam, Param


def parse(lines: Iterable[str]) -> tuple[dict[str, Param], dict[str, str]]:
    """``(search space, fixed overrides)`` by key; a later line for a key replaces an earlier one."""
    space: dict[str, Param] = {}
    fixed: dict[str, str] = {}
    for override in OverridesParser.create().parse_overrides(list(lines)):
        key = override.get_key_element()
        space.pop(key, None)
        fixed.pop(key, None)
        if override.is_sweep_override():
            space[key] = _param(override)
        else:
            fixed[key] = override.input_line or f"{key}={override.get_value_element_as_str()}"
    return space, fixed


def _param(override: Override) -> Param:
    value = override.value()
    key = override.get_key_element()
    if override.is_choice_sweep() or (isinstance(value, RangeSweep) and value.shuffle):
        return CategoricalParam(tuple(override.sweep_iterator(transformer=Transformer.identity)))
    if isinstance(value, RangeSweep):
        start, stop, step = value.start, value.stop, value.step
        if start is None or stop is None or step is None:
            raise TrackbenchError(f"hydra.sweeper.params.{key}: range() needs a start, a stop and a step")
        n = math.ceil((stop - start) / step - 1e-9) - 1  # range() excludes stop
        if n < 0:
            raise TrackbenchError(f"hydra.sweeper.params.{key}: empty range({start}, {stop}, step={step})")
        if all(isinstance(v, int) for v in (start, stop, step)):
            return IntParam(int(start), int(start + n * step), int(step))
        return FloatParam(float(start), float(start + n * step), step=float(step))
    if isinstance(value, IntervalSweep):
        log = "log" in value.tags
        if value.start is None or value.end is None:
            raise TrackbenchError(f"hydra.sweeper.params.{key}: interval() needs both ends")
        if isinstance(value.start, int) and isinstance(value.end, int):
            return IntParam(value.start, value.end, log=log)
        return FloatParam(float(value.start), float(value.end), log=log)
    raise TrackbenchError(f"hydra.sweeper.params.{key}: {override.input_line!r} is not interval, range or choice")


_PLAIN = re.compile(r"^[\w.\-/]+$")


def value_text(value: Any) -> str:
    """A sampled value as Hydra override text that parses back to the same value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in ("true", "false", "null") and not _is_number(text):
        return text
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def bare_key(key: str) -> str:
    """``+a.b`` / ``++a.b`` / ``~a.b`` -> ``a.b``."""
    return key.lstrip("+~")
