"""``python -m trackbench.sweeps._draw_learned``: the process :mod:`.learned_drawing` starts. It
dies with the sweep's driver, imports what it draws with, then reads its job (the study's spec,
the objectives' names, the folder, the title) as one JSON line on stdin and writes what the study learned.
An empty line or input (the driver dismissed it) ends it without drawing."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
from pathlib import Path

from trackbench.experiment._lifeline import die_with_parent
from trackbench.sweeps.learned_drawing import spec_of
from trackbench.sweeps.tuning.learned import preload, write_learned
from trackbench.sweeps.tuning.study import Study


def main() -> None:
    die_with_parent(os.getppid())
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C reaches the whole group: end quietly, as the driver says
    preload()  # while the driver runs the study
    text = sys.stdin.readline()  # one line: forked camera workers may hold the pipe open
    if not text.strip():
        return
    job = json.loads(text)
    warnings = logging.StreamHandler()  # Optuna's records propagate here (tuning.study), its INFO ones too
    warnings.setLevel(logging.WARNING)
    logging.getLogger().addHandler(warnings)
    study = Study(spec_of(job["spec"]), on_stale=lambda record: None)  # reads the trials; runs none
    write_learned(study, tuple(job["names"]), Path(job["folder"]), str(job["title"]))


if __name__ == "__main__":
    main()
