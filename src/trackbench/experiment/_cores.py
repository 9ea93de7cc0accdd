"""How many camera workers a job gets, and how a sweep spreads its trials over the cores."""

from __future__ import annotations

import os

MAX_IN_FLIGHT = 8  # parallel TPE trials beyond this mostly sample blind (constant liar or not)
TRIALS_PER_SLOT = 25  # a slot must serve this many trials to pay for its process's start-up (docs/sweeps.md)


def available_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def resolve_workers(requested: int | None, n_cameras: int) -> int:
    """What a job asked for, at most one per camera and per core."""
    return max(1, min(requested or available_cores(), n_cameras))


def sweep_plan(cores: int, n_trials: int) -> tuple[int, int]:
    """(trials in flight, camera workers per trial) for a study of ``n_trials`` on ``cores``.

    A trial scores its cameras in its own process one after another, so trials in parallel
    keep the cores busier than cameras in parallel: one trial per core, each with one worker
    (a job caps its workers at its camera count). Fewer trials in flight when the study is
    short (a slot's process start-up, 7-9 s, must be shared by ``TRIALS_PER_SLOT`` trials) and
    never more than ``MAX_IN_FLIGHT``; the cores left over go to each trial's cameras."""
    in_flight = max(1, min(cores, n_trials // TRIALS_PER_SLOT, MAX_IN_FLIGHT))
    return in_flight, max(1, cores // in_flight)


def auto_in_flight(cores: int, todo: int, *, workers_set: bool, pruning: bool) -> int:
    """Trials in flight for an Optuna study with ``n_jobs=auto``: :func:`sweep_plan`'s where a
    study can be repeated bit for bit (nothing ``pruning``: no pruner, or a nop one;
    ``runner.workers`` unset), else one. A pruner's decision on one trial depends on which
    other trial reported first."""
    if workers_set or pruning:
        return 1
    return sweep_plan(cores, todo)[0]
