"""A single run's MLflow run opened and kept by a forked process: the start-up overlap on a
second core.

Importing mlflow and opening its store cost ~4.5 s of CPU. In a thread of the job's process
(:class:`ThreadOpening`) that time shares the interpreter with the imports and the tracking;
a process forked at the job's start (:class:`KeptRun`) spends it on another core while the
job imports torch and tracks. The keeper opens the run (``RunSetup.open``), then serves the
job's logger calls and draws the plots; the job holds a logger with RunLogger's methods.

Fork copies only the calling thread, so the keeper is forked from a process with no other
thread (:func:`can_keep`): the CLI's single runs. A multirun's jobs (a sweep's trials, warm in
a launcher's worker that already imported mlflow) open their run in a thread.

Ctrl-C reaches the whole process group: the keeper ignores it and the job ends the run
KILLED through it. If the job's process dies without ending the run (SIGKILL of it alone,
e.g. the OOM killer), the keeper sees its parent gone and ends the run FAILED. If both die,
the heartbeat stops and the stale-run sweep marks the run (mlflow_log).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import os
import pickle
import signal
import threading
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trackbench.errors import TrackbenchError
from trackbench.record._background import Background

if TYPE_CHECKING:
    from trackbench.experiment.run_record import Drawable, RunLog, RunSetup
    from trackbench.record.mlflow_log import RunLogger

log = logging.getLogger(__name__)
_PARENT_CHECK_S = 1.0  # how often a waiting keeper looks whether the job's process is alive
ORPHANED = "the job's process ended without ending its run (killed?)"


def can_keep() -> bool:
    """Whether this process may fork a keeper: fork exists and no other thread is running."""
    return "fork" in mp.get_all_start_methods() and threading.active_count() == 1


class ThreadOpening:
    """The run opened in a daemon thread of the job's process (started once the camera
    workers exist: forking while another thread imports would hand them half-imported
    modules); the plots are drawn in another thread."""

    def __init__(self, setup: RunSetup) -> None:
        self._opening = Background(setup.open, "trackbench-mlflow-run")

    def start(self) -> None:
        self._opening.start()

    def check(self) -> None:
        self._opening.check()

    def result(self) -> RunLogger:
        return self._opening.result()

    def draw(self, job: Drawable) -> Background[None]:
        return start_drawing(job)


def start_drawing(job: Drawable) -> Background[None]:
    """``job.draw()`` (the run's plots) started in a daemon thread."""
    drawing = Background(job.draw, "trackbench-plots")
    drawing.start()
    return drawing


class KeptRun:
    """The job's side of a keeper process: :meth:`start` forks it (before the camera workers
    and before torch is imported), :meth:`check` raises its start-up error once that has
    arrived, :meth:`result` waits for the open run and returns its logger."""

    def __init__(self, setup: RunSetup) -> None:
        self._setup = setup
        self._conn: Connection | None = None
        self._process: BaseProcess | None = None
        self._logger: _KeptLogger | None = None
        self._error: BaseException | None = None
        self._calls = 0

    def start(self) -> None:
        if self._process is not None:
            return
        ctx = mp.get_context("fork")
        mine, theirs = ctx.Pipe()
        # Ctrl-C between the fork and the keeper ignoring it would kill the keeper with a traceback.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        try:
            process = ctx.Process(
                target=_keep, args=(theirs, self._setup, os.getpid()), name="trackbench-mlflow", daemon=True
            )
            process.start()
            self._process, self._conn = process, mine
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        theirs.close()

    def check(self) -> None:
        if self._logger is None and self._error is None and self._pipe().poll(0):
            self._receive_opening()
        if self._error is not None:
            raise self._error

    def result(self) -> _KeptLogger:
        self.start()
        if self._logger is None and self._error is None:
            self._receive_opening()
        if self._error is not None:
            raise self._error
        assert self._logger is not None
        return self._logger

    def draw(self, job: Drawable) -> _Drawing:
        self.call("draw", job)
        return _Drawing(self)

    def _receive_opening(self) -> None:
        kind, *body = self._receive()
        if kind == "error":
            self._error = body[0]
            self.close()
        else:
            self._logger = _KeptLogger(self, *body)

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """``method`` of the keeper's logger; its exception is raised here."""
        if self._conn is None:
            raise TrackbenchError(f"MLflow: the logging process has ended; cannot {method}")
        self._calls += 1
        number = self._calls
        self._conn.send((number, method, args, kwargs))
        while True:  # a reply left unread by an interrupted call comes first: skip it
            reply_to, kind, value = self._receive()
            if reply_to == number:
                break
        if kind == "error":
            raise value
        return value

    def _pipe(self) -> Connection:
        if self._conn is None:
            raise TrackbenchError("MLflow: the logging process has ended")
        return self._conn

    def _receive(self) -> tuple[Any, ...]:
        try:
            message: tuple[Any, ...] = self._pipe().recv()
            return message
        except (EOFError, OSError):
            assert self._process is not None  # started: a pipe exists
            self._process.join(timeout=5)
            code = self._process.exitcode
            self.close()
            raise TrackbenchError(
                f"MLflow: the logging process (pid {self._process.pid}) ended unexpectedly (exit code {code}); "
                "its run, if it started, is marked FAILED by the stale-run sweep"
            ) from None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._process is not None:  # started
            self._process.join(timeout=30)


class _KeptLogger:
    """RunLogger's interface, each call done by the keeper."""

    def __init__(self, kept: KeptRun, run_id: str, experiment_id: str, address: str) -> None:
        self._kept = kept
        self.run_id = run_id
        self._experiment_id = experiment_id
        self._address = address
        self._ended = False

    def experiment_id(self) -> str:
        return self._experiment_id

    def address(self) -> str:
        return self._address

    def log_batch(self, **kwargs: Any) -> None:
        self._kept.call("log_batch", **kwargs)

    def log_file(self, path: Path, artifact_path: str | None = None) -> None:
        self._kept.call("log_file", path, artifact_path)

    def log_artifacts(self, folder: Path, artifact_path: str | None = None) -> None:
        self._kept.call("log_artifacts", folder, artifact_path)

    def end(self, status: str = "FINISHED", error: str | None = None) -> None:
        if self._ended:  # once (a failed end is not retried: the stale-run sweep has it)
            return
        self._ended = True
        try:
            self._kept.call("end", status, error)
        finally:
            self._kept.close()


class _Drawing:
    def __init__(self, kept: KeptRun) -> None:
        self._kept = kept

    def result(self) -> None:
        self._kept.call("drawn")


def _keep(conn: Connection, setup: RunSetup, parent: int) -> None:
    """The keeper process: open the run, serve calls until ``end`` or the job's death."""
    # Ctrl-C and SIGTERM (to the whole group, e.g. by systemd) are the job's: it ends the run KILLED
    # through us; if the job dies instead, we see it gone and end the run FAILED.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    logger = None
    try:
        logger = setup.open()
        opened = ("open", logger.run_id, logger.experiment_id(), logger.address())  # known since start()
    except BaseException as exc:
        if logger is not None:  # open, then the server went away: ended, or left for the stale-run sweep
            with contextlib.suppress(BaseException):
                logger.end("FAILED", f"{type(exc).__name__}: {exc}")
        _send(conn, ("error", _portable(exc)))
        return
    _send(conn, opened)
    served = _Served(logger)
    while not served.ended:
        try:
            while not conn.poll(_PARENT_CHECK_S):
                if os.getppid() != parent:
                    raise EOFError
            number, method, args, kwargs = conn.recv()
        except (EOFError, OSError):
            served.orphaned()
            return
        try:
            _send(conn, (number, "ok", served.call(method, args, kwargs)))
        except BaseException as exc:
            _send(conn, (number, "error", _portable(exc)))
    served.wait_drawing()


class _Served:
    """The keeper's logger and its plot drawing."""

    _METHODS = frozenset({"log_batch", "log_file", "log_artifacts", "end", "draw", "drawn"})

    def __init__(self, logger: RunLog) -> None:
        self.logger = logger
        self.ended = False
        self._drawing: Background[None] | None = None

    def call(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if method not in self._METHODS:
            raise TrackbenchError(f"MLflow logging process: no call {method!r}")
        if method == "draw":
            self._drawing = start_drawing(args[0])
            return None
        if method == "drawn":
            return None if self._drawing is None else self._drawing.result()
        if method == "end":
            self.ended = True
            self.wait_drawing()  # no half-drawn plot is left by the exit
        return getattr(self.logger, method)(*args, **kwargs)

    def wait_drawing(self) -> None:
        if self._drawing is not None:
            try:
                self._drawing.result()
            except BaseException as exc:  # already reported to the job, or the job is gone
                log.debug("plots: %s", exc)

    def orphaned(self) -> None:
        self.wait_drawing()
        try:
            self.logger.end("FAILED", ORPHANED)
        except BaseException as exc:
            log.warning("run %s not ended (%s); the stale-run sweep will mark it", self.logger.run_id, exc)


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling, else a TrackbenchError with its type and message."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return TrackbenchError(f"{type(exc).__name__}: {exc}")


def _send(conn: Connection, message: tuple[Any, ...]) -> None:
    with contextlib.suppress(OSError):  # the job is gone (broken pipe); orphaned() ends the run
        conn.send(message)


def opening_for(setup: RunSetup, keep: bool) -> KeptRun | ThreadOpening:
    """A KeptRun (started now) when ``keep`` and this process can fork one, else a ThreadOpening."""
    if keep and can_keep():
        kept = KeptRun(setup)
        kept.start()
        return kept
    return ThreadOpening(setup)
