"""``python -m trackbench.sweeps._draw_learned``: the process :mod:`.learned_drawing` starts. It
reads its job (the study's spec, the objectives' names, the folder, the title) as JSON on stdin,
dies with the sweep's driver, and writes what the study learned."""

from __future__ import annotations

import json
import logging
import signal
import sys
from pathlib import Path

from trackbench.experiment._lifeline import die_with_parent
from trackbench.sweeps.learned_drawing import spec_of
from trackbench.tuning.learned import write_learned
from trackbench.tuning.study import Study


def main() -> None:
    job = json.loads(sys.stdin.read())
    die_with_parent(int(job["parent"]))
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C reaches the whole group: end quietly, as the driver says
    warnings = logging.StreamHandler()  # Optuna's records propagate here (tuning.study), its INFO ones too
    warnings.setLevel(logging.WARNING)
    logging.getLogger().addHandler(warnings)
    study = Study(spec_of(job["spec"]), on_stale=lambda record: None)  # reads the trials; runs none
    write_learned(study, tuple(job["names"]), Path(job["folder"]), str(job["title"]))


if __name__ == "__main__":
    main()
