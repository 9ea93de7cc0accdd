"""A sweep's objective compares jobs, so every job must score the same frame set.

Checked once, in the launcher process, before any job starts (``MlflowSweepCallback``): the
values ``eval.frames`` and ``tracker.backend`` take across the sweep are read from the command
line's sweep overrides (``eval.frames=detected,reported``) and from ``hydra.sweeper.params``
(grid and Optuna alike: ``choice(...)``), falling back to the composed value. Any sweeper or
launcher that goes through Hydra's multirun gets the check; the keys it cannot enumerate (an
``interval``) are left to each job's own config validation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser

from trackbench.errors import TrackbenchError


def swept_values(key: str, task_overrides: Iterable[str], sweeper_params: Mapping[str, Any] | None) -> list[str] | None:
    """The values ``key`` takes across a sweep's jobs, or None if the sweep does not set it.
    A command-line override wins over ``hydra.sweeper.params``, as in Hydra's sweepers."""
    parser = OverridesParser.create()
    lines = [line for line in task_overrides if _key_of(line) == key]
    if not lines and sweeper_params and key in sweeper_params:
        lines = [f"{key}={sweeper_params[key]}"]
    if not lines:
        return None
    (override,) = parser.parse_overrides(lines[-1:])
    if override.is_sweep_override():
        try:
            return list(override.sweep_string_iterator())
        except Exception:  # an interval or another non-enumerable sweep: not a frame set
            return None
    return [str(override.value())]


def _key_of(line: str) -> str:
    return line.split("=", 1)[0].lstrip("+~")


def check_one_frame_set(
    frames: str, backend: str, task_overrides: Iterable[str], sweeper_params: Mapping[str, Any] | None
) -> None:
    """Refuse, in one line, a sweep whose jobs would score different frame sets; ``frames`` and
    ``backend`` are the composed (non-swept) values."""
    task_overrides = list(task_overrides)
    all_frames = swept_values("eval.frames", task_overrides, sweeper_params) or [frames]
    backends = swept_values("tracker.backend", task_overrides, sweeper_params) or [backend]
    if len(set(all_frames)) > 1:
        raise TrackbenchError(
            f"a sweep's objective must compare jobs scored on one frame set, but eval.frames takes "
            f"{', '.join(dict.fromkeys(all_frames))} across its jobs; run one sweep per eval.frames"
        )
    if "cpp" in backends and all_frames[0] != "reported":
        raise TrackbenchError(
            f"this sweep runs tracker.backend=cpp with eval.frames={all_frames[0]}, but the C++ trackers give only "
            "the rows boxmot reports, so its jobs would score different frame sets; use eval.frames=reported"
        )
