"""Why this process's command was stopped, for the sweep's parent run it leaves open.

Ctrl-C or SIGTERM stop a sweep's driver in the middle of a job: the job ends its own run KILLED,
and the exception leaves Hydra without the callbacks' end of the sweep. The sweep callback ends
its parent run at the process's exit (``atexit``); the command notes here why it stopped, so
that the parent run ends KILLED with that reason, as the job's run does, rather than FAILED.
"""

from __future__ import annotations

from trackbench.errors import interruption

_reason: list[str] = []  # this process's interruption, once noted


def note_stopped(exc: BaseException) -> None:
    """The command was stopped by ``exc`` (KeyboardInterrupt, :class:`~trackbench.errors.Terminated`)."""
    _reason[:] = [interruption(exc)]


def stopped_by() -> str | None:
    """The noted reason (``terminated (SIGTERM)``, ``interrupted (Ctrl-C: ...)``), or None."""
    return _reason[0] if _reason else None
