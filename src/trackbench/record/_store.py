"""The record's mlflow-free parts: tag names, retries of a busy store, a deferred Ctrl-C,
metric keys and values as MLflow takes them, the heartbeat thread and a run's staleness.

:mod:`trackbench.record.mlflow_log` (the only module that imports mlflow) uses them and
re-exports the public ones.
"""

from __future__ import annotations

import contextlib
import logging
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol, TypeVar

from trackbench.errors import TrackbenchError

log = logging.getLogger("trackbench.record.mlflow_log")  # its records read as the record's
T = TypeVar("T")


class _TagClient(Protocol):
    """What the heartbeat needs of an MLflow client."""

    def set_tag(self, run_id: str, key: str, value: Any) -> Any: ...


PARENT_TAG = "mlflow.parentRunId"
SWEEP_TAG = "trackbench.sweep_dir"  # on the sweep's parent run and on every job of it
ROLE_TAG = "trackbench.role"  # "sweep" on a sweep's parent run
HEARTBEAT_TAG = "trackbench.heartbeat"  # unix time of the run's last sign of life
STALE_TAG = "trackbench.stale"  # why the stale-run sweep marked the run FAILED
STATE_TAG = "trackbench.trial_state"  # on an Optuna trial's run: complete | pruned
TRIAL_TAG = "trackbench.trial"  # ... the trial's number
STUDY_TAG = "trackbench.study"  # ... its study's name
# How MLflow's HTTP client words a request that never got an answer (after its own retries).
_UNREACHABLE = ("failed with exception", "failed with timeout exception", "max retries exceeded")


class ServerUnreachable(TrackbenchError):
    """The tracking server did not answer within MLflow's retry budget."""


def _unreachable(exc: BaseException) -> bool:
    return any(marker in str(exc).lower() for marker in _UNREACHABLE)


def _reason(exc: BaseException) -> str:
    """The root cause out of MLflow's one-paragraph message, e.g. 'Connection refused'."""
    text = " ".join(str(exc).split())
    for marker in ("Connection refused", "Read timed out", "Name or service not known", "timed out"):
        if marker in text:
            return marker
    return text[:160]


def _retry(call: Callable[[], T], what: str, attempts: int = 40) -> T:
    delay = 0.05
    for attempt in range(attempts):
        try:
            return call()
        except Exception as exc:  # sqlalchemy's OperationalError arrives wrapped or bare
            message = str(exc).lower()
            transient = "locked" in message or "busy" in message or "unique constraint" in message
            if not transient or attempt == attempts - 1:
                raise
            log.debug("mlflow %s: %s; retrying in %.2fs", what, exc, delay)
            time.sleep(delay)
            delay = min(delay * 1.5, 1.0)
    raise AssertionError("unreachable")


@contextlib.contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Ctrl-C and SIGTERM held back until the block ends, then handled as they would have been."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        yield  # not ours to defer (a thread), or ignored anyway (a run keeper: the job ends its run)
        return
    received: list[int] = []
    held = (signal.SIGINT, signal.SIGTERM)
    previous = {s: signal.signal(s, lambda signum, frame: received.append(signum)) for s in held}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    for signum in dict.fromkeys(received):
        signal.raise_signal(signum)  # the handler it would have met (KeyboardInterrupt, Terminated)


NOTE_TAG = "mlflow.note.content"  # the description MLflow shows on a run's or an experiment's page
EXPERIMENT_NOTE = (
    "trackbench runs: which tracker, with which settings, tracks best. Open the runs table "
    "(Model training / Runs), add the columns hota, mota, idf1 and tracker.tracker_kind; a sweep's "
    "jobs sit under their parent run, whose artifacts hold the leaderboard and comparison plot."
)


def metric_key(name: str) -> str:
    """MLflow accepts letters, digits, ``_ - . / space``; anything else becomes ``_``."""
    return re.sub(r"[^A-Za-z0-9_\-./ ]", "_", name)


class _Heartbeat:
    """A daemon thread that refreshes the run's heartbeat tag every ``interval`` seconds. A
    failed refresh (server away) is only logged: the job itself decides whether it goes on."""

    def __init__(self, client: _TagClient, run_id: str, interval: float) -> None:
        self._client, self._run_id, self._interval = client, run_id, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="trackbench-heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=1.0)  # a refresh stuck in MLflow's retries must not hold us

    def _beat(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                _retry(lambda: self._client.set_tag(self._run_id, HEARTBEAT_TAG, _now_tag()), "heartbeat")
            except Exception as exc:
                log.debug("heartbeat of run %s not refreshed: %s", self._run_id, exc)


def _now_tag() -> str:
    return f"{time.time():.3f}"


def stale_age(tags: Mapping[str, str], now: float, stale_after_s: float) -> float | None:
    """Seconds since a RUNNING run's last heartbeat if that is more than ``stale_after_s``,
    else None. A run without a readable heartbeat (not started by trackbench) is never stale."""
    try:
        beat = float(tags[HEARTBEAT_TAG])
    except (KeyError, ValueError):
        return None
    age = now - beat
    return age if age > stale_after_s else None


def _param_value(value: Any) -> str:
    text = "null" if value is None else str(list(value) if isinstance(value, tuple) else value)
    return text[:6000]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
