"""What the forkserver of a sweep's driver imports before it forks camera workers.

A sweep's driver (the basic launcher: every trial in this process) starts a multiprocessing
forkserver at the sweep's start (:func:`trackbench.experiment.workers.prepare_workers`). The
server imports this module, and through it the tracker (boxmot, torch: ~1.9 s) and the
scoring libraries, on the core the driver leaves idle while it imports MLflow and opens the
parent run; the camera workers the trials share are forked from it, with every import done.
The driver itself never imports torch.

Importing this module does its work only in the process the driver started as its forkserver
(named by ``TRACKBENCH_FORKSERVER_FOR``, the driver's pid, which is this process's parent);
anywhere else it does nothing.
"""

from __future__ import annotations

import gc
import logging
import os

ENV = "TRACKBENCH_FORKSERVER_FOR"


def _warm_up() -> None:
    """The forkserver's imports. It dies with the driver (so do the workers forked from it,
    by their own parent-death signal). A failed import is left to the first camera worker,
    which raises it where the job reports it."""
    from trackbench.experiment._lifeline import die_with_parent

    die_with_parent(int(os.environ.pop(ENV)))
    try:
        from trackbench.scoring.clear import preload as preload_scoring
        from trackbench.tracking import adapter

        adapter.preload()
        preload_scoring()
    except Exception as exc:  # reported by the worker that needs it
        logging.getLogger(__name__).debug("forkserver preload failed: %s", exc)
    gc.freeze()  # what the workers inherit stays out of the collector's walks


if os.environ.get(ENV) == str(os.getppid()):
    _warm_up()
