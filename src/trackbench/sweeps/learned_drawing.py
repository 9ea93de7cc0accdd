"""What a study learned, drawn in a process of its own while the sweep's driver completes its
best job.

The drawing needs only the study's storage, and costs about 2 s at a study's end: importing
scikit-learn for fANOVA's forest, fitting it, three figures. The sweeper starts it once the
study is over (:func:`start`). The callback completes the best job meanwhile, then waits for it
(:func:`finish`) before the final standing, which quotes its note. A drawing that fails is a
warning: the study itself is saved. A drawing nobody waited for is waited for at exit.
"""

from __future__ import annotations

import atexit
import dataclasses
import json
import logging
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from trackbench.tuning.study import StudySpec

log = logging.getLogger(__name__)
_PENDING: dict[str, subprocess.Popen[str]] = {}  # per learned/ folder, its drawing process


def start(spec: StudySpec, names: Sequence[str], folder: Path, title: str) -> None:
    """Start drawing ``spec``'s study into ``folder`` (``learned/``: plots, CSVs, the note)."""
    finish(folder)  # one drawing per folder at a time
    job = {
        "spec": dataclasses.asdict(spec),
        "names": list(names),
        "folder": str(folder),
        "title": title,
        "parent": os.getpid(),
    }
    command = [sys.executable, "-m", "trackbench.sweeps._draw_learned"]
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, text=True)  # the storage URL stays off `ps`
    assert proc.stdin is not None
    proc.stdin.write(json.dumps(job))
    proc.stdin.close()
    _PENDING[str(folder)] = proc
    atexit.register(finish, folder)


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
