"""How many camera workers a job gets: what it asked for, at most one per camera and per core."""

from __future__ import annotations

import os


def resolve_workers(requested: int | None, n_cameras: int) -> int:
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(requested or available, n_cameras))
