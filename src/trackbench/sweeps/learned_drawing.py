"""What a study learned, drawn in a process of its own while the sweep's driver completes its
best job.

The drawing needs only the study's storage, and costs about 2 s at a study's end, most of it
imports: Optuna's importance and plots, scikit-learn for fANOVA's forest, matplotlib. So the
process is started with the sweep (:func:`prepare`, from the sweep callback): it imports them
while the driver opens the parent run on one core, then waits for its job. The sweeper hands it
the job once the study is over (:func:`start`); what is left, the forest and three figures, takes
~0.6 s while the callback completes the best job, then waits for it (:func:`finish`) before the
final standing, which quotes its note. A drawing that fails is a warning: the study itself is
saved. A drawing nobody waited for is waited for at exit; a prepared process given no job (the
sweep failed) is dismissed at exit, and dies with the driver if the driver is killed.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import json
import logging
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from trackbench.sweeps.tuning.study import StudySpec

log = logging.getLogger(__name__)
_PENDING: dict[str, subprocess.Popen[str]] = {}  # per learned/ folder, its drawing process
_PREPARED: list[subprocess.Popen[str]] = []  # a process started ahead, waiting for its job


def _spawn() -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "trackbench.sweeps._draw_learned"]
    return subprocess.Popen(command, stdin=subprocess.PIPE, text=True)  # the job (storage URL) stays off `ps`


def prepare() -> None:
    """Start the drawing process ahead of its job, so that its imports are done by the study's
    end. At most one waits at a time; one never given a job is dismissed at exit."""
    if not _PREPARED:
        _PREPARED.append(_spawn())
        atexit.register(dismiss)


def dismiss() -> None:
    """Let a prepared process that got no job go: its input ends, and it exits without drawing."""
    while _PREPARED:
        proc = _PREPARED.pop()
        with contextlib.suppress(OSError):
            assert proc.stdin is not None
            proc.stdin.write("\n")  # no job (an end of input may never come: see _send)
            proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # stuck in an import: not worth waiting for
            proc.kill()
            proc.wait()


def start(spec: StudySpec, names: Sequence[str], folder: Path, title: str) -> None:
    """Start drawing ``spec``'s study into ``folder`` (``learned/``: plots, CSVs, the note), in
    the prepared process if one waits, else in a new one."""
    finish(folder)  # one drawing per folder at a time
    job = {"spec": dataclasses.asdict(spec), "names": list(names), "folder": str(folder), "title": title}
    proc = _PREPARED.pop() if _PREPARED else None
    if proc is None or proc.poll() is not None:  # none prepared, or it died (e.g. killed by hand)
        proc = _spawn()
    _send(proc, json.dumps(job))
    _PENDING[str(folder)] = proc
    atexit.register(finish, folder)


def _send(proc: subprocess.Popen[str], job: str) -> None:
    """The job as one line. Processes forked since the drawing process started (camera workers)
    hold a copy of its input pipe, so it reads a line, never waits for the input to end."""
    assert proc.stdin is not None
    try:
        proc.stdin.write(job + "\n")
        proc.stdin.close()
    except BrokenPipeError:  # it ended between the check and the write: its exit status says how
        pass


def finish(folder: Path) -> None:
    """Wait for ``folder``'s drawing, if one runs; interrupted, stop it first."""
    proc = _PENDING.pop(str(folder), None)
    if proc is None:
        return
    try:
        code = proc.wait()
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    if code != 0:
        log.warning("what the study learned could not be drawn: its process exited with status %d", code)


def spec_of(fields: dict[str, Any]) -> StudySpec:
    """The :class:`StudySpec` :func:`start` sent (JSON made its tuples lists)."""
    return StudySpec(**{**fields, "directions": tuple(fields.get("directions") or ())})
