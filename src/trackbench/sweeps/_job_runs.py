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

# Runs are read back this far before the last read. A run ended on another machine (Ray) is
# stamped by that machine's clock, which may lag this one's: a minute. Jobs on this machine
# (basic and joblib launchers) share its clock; a few seconds cover a run stamped just before
# a read began and committed after it. (A fast study ends hundreds of runs a minute: the
# minute's margin made every read re-read them.)
CLOCK_MARGIN_MS = 60_000
LOCAL_MARGIN_MS = 5_000

Fetch = Callable[[int | None], list[dict[str, Any]]]  # (ended since, ms; None: all) -> runs


class JobRuns:
    """The job runs of one sweep (rows as :func:`trackbench.record.queries.child_runs` gives
    them), by run id."""

    def __init__(self, margin_ms: int = CLOCK_MARGIN_MS) -> None:
        self._rows: dict[str, dict[str, Any]] = {}
        self._read_at: int | None = None  # ms since the epoch, when the last read began
        self._margin_ms = margin_ms

    def refresh(self, fetch: Fetch, now_ms: int, *, full: bool = False) -> list[dict[str, Any]]:
        """Every job run, latest started first (then by run id): read whole the first time and
        with ``full``, else only what ended since the last read (less the margin) and what is
        running. ``now_ms``: the time this read begins."""
        since = None if full or self._read_at is None else self._read_at - self._margin_ms
        fetched = fetch(since)
        if since is None:
            self._rows = {}
        self._rows.update({row["run_id"]: row for row in fetched})
        self._read_at = now_ms
        return sorted(self._rows.values(), key=lambda r: (-int(r.get("start_time") or 0), r["run_id"]))


def clock_margin_ms(launcher_target: str) -> int:
    """The read-back margin for jobs started by the launcher ``launcher_target`` (its
    ``_target_``): a minute where jobs may run on other machines (Ray), else a few seconds."""
    return CLOCK_MARGIN_MS if "ray" in launcher_target.lower() else LOCAL_MARGIN_MS
