"""A sweep's job runs as this process last saw them, refreshed by what changed.

The sweep's standing is refreshed every few seconds while the jobs run. Reading every job run
each time made a refresh cost grow with the sweep (a 200-trial study read 200 runs, with all
their metrics and tags, every few seconds). :class:`JobRuns` reads them all once, then only the
runs that ended since its last read and those still running; the final standing reads them
all again, so it never rests on this copy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# Runs are read back this far before the last read: a run ended on another machine (Ray) is
# stamped by that machine's clock, which may lag this one's.
CLOCK_MARGIN_MS = 60_000

Fetch = Callable[[int | None], list[dict[str, Any]]]  # (ended since, ms; None: all) -> runs


class JobRuns:
    """The job runs of one sweep (rows as :func:`trackbench.record.mlflow_log.child_runs` gives
    them), by run id."""

    def __init__(self) -> None:
        self._rows: dict[str, dict[str, Any]] = {}
        self._read_at: int | None = None  # ms since the epoch, when the last read began

    def refresh(self, fetch: Fetch, now_ms: int, *, full: bool = False) -> list[dict[str, Any]]:
        """Every job run, latest started first (then by run id): read whole the first time and
        with ``full``, else only what ended since the last read (less :data:`CLOCK_MARGIN_MS`)
        and what is running. ``now_ms``: the time this read begins."""
        since = None if full or self._read_at is None else self._read_at - CLOCK_MARGIN_MS
        fetched = fetch(since)
        if since is None:
            self._rows = {}
        self._rows.update({row["run_id"]: row for row in fetched})
        self._read_at = now_ms
        return sorted(self._rows.values(), key=lambda r: (-int(r.get("start_time") or 0), r["run_id"]))
