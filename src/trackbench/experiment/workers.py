"""The camera worker processes of a job: how they start, the pool a process keeps from job to
job (``runner.reuse_workers``: a sweep's trials), the forkserver a sweep's driver forks them
from, and how a job reads their results or stops them. The runner (:mod:`.runner`) uses them.
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing as mp
import os
import signal
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.managers import SyncManager
from typing import Any

from trackbench.errors import WorkerKilled
from trackbench.experiment import _forkserver as _forkserver_env
from trackbench.experiment._lifeline import die_with_parent
from trackbench.experiment.camera_worker import CameraJob, init_worker

_STOP_S = 3.0  # how long a terminated worker gets to exit before SIGKILL


def worker_context(method: str | None) -> mp.context.BaseContext:
    """``fork`` where available: workers inherit the imported tracker code (torch, boxmot)
    instead of importing it again, which costs seconds per job under ``spawn``."""
    if method is None:
        method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    # Inside a joblib/loky worker (Hydra's joblib launcher) the process-wide start method is
    # "loky", which a spawned child cannot restore; reset it for this job process.
    if method != "fork" and mp.get_start_method(allow_none=True) not in (None, "fork", "spawn", "forkserver"):
        mp.set_start_method(method, force=True)
    return mp.get_context(method)


# The pool a process's jobs share (runner.reuse_workers), by (workers, start method): forked
# once, at the first job, instead of per job; shut down when the process exits.
_SHARED: dict[tuple[int, str], ProcessPoolExecutor] = {}


def shared_pool(workers: int, ctx: mp.context.BaseContext) -> ProcessPoolExecutor:
    key = (workers, ctx.get_start_method())
    for other in [k for k in _SHARED if k != key]:  # one pool at a time
        _SHARED.pop(other).shutdown(wait=True)
    if key not in _SHARED:
        if not _SHARED:
            atexit.register(shutdown_shared)
        _SHARED[key] = ProcessPoolExecutor(
            workers, mp_context=ctx, initializer=init_worker, initargs=(None, parent_of(ctx), True)
        )
    return _SHARED[key]


def parent_of(ctx: mp.context.BaseContext) -> int | None:
    """The pid a child of ``ctx`` has as its parent: this process, or None for a forkserver's
    child (its parent is the server, which dies with this process)."""
    return None if ctx.get_start_method() == "forkserver" else os.getpid()


_FORKSERVER: list[bool] = []  # [True] once prepare_workers started this process's forkserver


def forkserver_started() -> bool:
    """Whether :func:`prepare_workers` started this process's forkserver."""
    return bool(_FORKSERVER)


def prepare_workers() -> None:
    """Start this process's multiprocessing forkserver now, importing the tracker and the
    scoring libraries (:mod:`trackbench.experiment._forkserver`) while this process goes on: a
    sweep's driver calls it at the sweep's start, before it imports MLflow. The camera workers
    its trials share are then forked from the server, with those imports done, and this
    process never imports torch. Where the platform has no forkserver, nothing changes."""
    if _FORKSERVER or "forkserver" not in mp.get_all_start_methods():
        return
    from multiprocessing import forkserver

    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["__main__", "trackbench.experiment._forkserver"])
    os.environ[_forkserver_env.ENV] = str(os.getpid())
    try:
        forkserver.ensure_running()
    finally:
        os.environ.pop(_forkserver_env.ENV, None)
    _FORKSERVER.append(True)


def forget_broken(pool: ProcessPoolExecutor) -> None:
    """A pool whose workers were stopped (an error, Ctrl-C) or died is not used again."""
    if getattr(pool, "_broken", False) or getattr(pool, "_shutdown_thread", False):
        for key, shared in list(_SHARED.items()):
            if shared is pool:
                del _SHARED[key]


def shutdown_shared() -> None:
    while _SHARED:
        _SHARED.popitem()[1].shutdown(wait=True, cancel_futures=True)


def manager(ctx: mp.context.BaseContext) -> SyncManager:
    """A started manager whose server process dies with this one."""
    started = SyncManager(ctx=ctx)
    started.start(die_with_parent, (parent_of(ctx),))
    return started


def worker_result(future: Future[Any], job: CameraJob, processes: list[mp.process.BaseProcess]) -> Any:
    """The camera's result (tracked, or tracked and scored); a worker that died by a signal is
    one :class:`WorkerKilled` line."""
    try:
        return future.result()
    except BrokenProcessPool:
        for process in processes:
            process.join(timeout=1.0)
        dead = [p for p in processes if p.exitcode is not None and p.exitcode < 0]
        if not dead:
            raise
        process = dead[0]
        signum = -int(process.exitcode or 0)
        name = signal.Signals(signum).name if signum in signal.valid_signals() else f"signal {signum}"
        raise WorkerKilled(
            f"a camera worker (pid {process.pid}) was killed by {name} before camera {job.camera.camera_id} was "
            "done; the run is stopped (runner.resume=<its folder> continues it)",
            signum,
        ) from None


def worker_processes(pool: ProcessPoolExecutor) -> list[mp.process.BaseProcess]:
    """The pool's worker processes as they are now (the executor does not expose them: read from
    its ``_processes``; empty if a Python version drops it)."""
    return list((getattr(pool, "_processes", None) or {}).values())


def cancel_pending(pool: ProcessPoolExecutor) -> Callable[..., bool]:
    """On an exception (Ctrl-C of this process alone, an ``on_camera`` error): cameras not
    started are cancelled and the workers stopped at once, not waited for to finish theirs
    (every file they write is replaced atomically; checkpoints stay resumable)."""

    def on_exit(exc_type: type | None, *rest: object) -> bool:
        if exc_type is not None:
            processes = worker_processes(pool)  # shutdown forgets them
            pool.shutdown(wait=False, cancel_futures=True)
            for process in processes:  # what Python 3.14's terminate_workers does
                with contextlib.suppress(Exception):
                    process.terminate()
            for process in processes:  # gone before the run is ended: nothing is written after it
                with contextlib.suppress(Exception):
                    process.join(timeout=_STOP_S)
                    if process.is_alive():
                        process.kill()
                        process.join(timeout=_STOP_S)
        return False  # never swallow the exception

    return on_exit
