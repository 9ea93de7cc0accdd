"""Child processes that never outlive their job (camera workers, the progress manager).

On Linux a child asks the kernel for SIGKILL when the process that forked it dies
(``PR_SET_PDEATHSIG``), so a job killed by SIGKILL or the OOM killer leaves no worker tracking
on. SIGTERM returns to its default action in a child: stopping a worker is the job's call.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int | None) -> None:
    """In a freshly forked child of ``parent``: SIGKILL it when ``parent`` dies; exit now if it
    already has (the fork and this call raced with the parent's death). ``None``: the child of
    a forkserver, which itself dies with the job (its parent is the server, not the job)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if parent is not None and os.getppid() != parent:
        os._exit(1)
