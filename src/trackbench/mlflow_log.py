"""The only module that imports mlflow: one run per job, logged in batches, never left RUNNING.

SQLite (the default store) allows one writer at a time; parallel jobs see "database is
locked". Every store call here retries such errors with backoff, so parallel jobs on one
machine lose nothing. For many machines, use an ``mlflow server`` URI instead (README).
"""

from __future__ import annotations

import contextlib
import logging
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import mlflow
from mlflow.entities import Metric, Param, RunTag
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from trackbench.config import MlflowConfig
from trackbench.errors import TrackbenchError

log = logging.getLogger(__name__)
T = TypeVar("T")

# mlflow installs its own INFO console handler on import (database creation chatter); keep the
# console for our summary unless debug logging is on. The run's log file keeps our records.
for _name in ("mlflow", "alembic"):
    logging.getLogger(_name).setLevel(logging.DEBUG if log.isEnabledFor(logging.DEBUG) else logging.WARNING)

_BATCH = 100  # MLflow's limit on params / metrics per log_batch call
PARENT_TAG = "mlflow.parentRunId"
SWEEP_TAG = "trackbench.sweep_dir"  # on the sweep's parent run and on every job of it
ROLE_TAG = "trackbench.role"  # "sweep" on a sweep's parent run


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
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        raise KeyboardInterrupt


def metric_key(name: str) -> str:
    """MLflow accepts letters, digits, ``_ - . / space``; anything else becomes ``_``."""
    return re.sub(r"[^A-Za-z0-9_\-./ ]", "_", name)


class RunLogger:
    """A single MLflow run driven through the client API (no global active-run state)."""

    def __init__(self, cfg: MlflowConfig) -> None:
        self.client = MlflowClient(tracking_uri=cfg.tracking_uri)
        self.cfg = cfg
        self.run_id: str | None = None

    def experiment_id(self) -> str:
        def get_or_create() -> str:
            found = self.client.get_experiment_by_name(self.cfg.experiment_name)
            if found is not None:
                return found.experiment_id
            try:
                return self.client.create_experiment(self.cfg.experiment_name)
            except MlflowException as exc:  # another job created it first
                if "already exists" not in str(exc).lower() and "unique" not in str(exc).lower():
                    raise
                return self.client.get_experiment_by_name(self.cfg.experiment_name).experiment_id

        return _retry(get_or_create, "experiment")

    def sweep_parent(self, sweep_dir: str) -> str | None:
        """The parent run the sweep callback created for ``sweep_dir``, found by its tags
        (for jobs on machines that do not share the sweep directory)."""
        experiment_id = self.experiment_id()
        query = f"tags.`{SWEEP_TAG}` = '{sweep_dir}' and tags.`{ROLE_TAG}` = 'sweep'"
        found = _retry(lambda: self.client.search_runs([experiment_id], query, max_results=1), "search")
        return found[0].info.run_id if found else None

    def start(self, run_name: str | None, tags: Mapping[str, str], parent_run_id: str | None = None) -> str:
        all_tags = dict(tags)
        if parent_run_id:
            all_tags[PARENT_TAG] = parent_run_id
        experiment_id = self.experiment_id()
        # Ctrl-C between the store creating the run and us holding its id would leave it
        # RUNNING forever; hold SIGINT back until the id is ours (then end() can mark it).
        with _sigint_deferred():
            run = _retry(lambda: self.client.create_run(experiment_id, tags=all_tags, run_name=run_name), "create run")
            self.run_id = run.info.run_id
        return self.run_id

    def log_batch(
        self,
        params: Mapping[str, Any] = {},
        metrics: Mapping[str, float] = {},
        tags: Mapping[str, str] = {},
    ) -> None:
        assert self.run_id is not None
        now = int(time.time() * 1000)
        p = [Param(k, _param_value(v)) for k, v in params.items()]
        m = [Metric(metric_key(k), float(v), now, 0) for k, v in metrics.items() if _is_number(v)]
        t = [RunTag(k, str(v)) for k, v in tags.items()]
        for i in range(0, max(len(p), len(m), len(t)), _BATCH):
            chunk = (m[i : i + _BATCH], p[i : i + _BATCH], t[i : i + _BATCH])
            _retry(
                lambda c=chunk: self.client.log_batch(self.run_id, metrics=c[0], params=c[1], tags=c[2]),
                "log",
            )

    def log_artifacts(self, folder: Path) -> None:
        assert self.run_id is not None
        _retry(lambda: self.client.log_artifacts(self.run_id, str(folder)), "artifacts")

    def log_file(self, path: Path, artifact_path: str | None = None) -> None:
        assert self.run_id is not None
        _retry(lambda: self.client.log_artifact(self.run_id, str(path), artifact_path), "artifact")

    def end(self, status: str = "FINISHED", error: str | None = None) -> None:
        if self.run_id is None:
            return
        if error:
            _retry(lambda: self.client.set_tag(self.run_id, "error", error[:5000]), "tag")
        _retry(lambda: self.client.set_terminated(self.run_id, status), "terminate")


def fail_abandoned(cfg: MlflowConfig, run_id: str, error: str, spare_parent: str | None = None) -> None:
    """Mark a run whose process died FAILED, if it is still RUNNING, and its sweep parent too
    (the sweep that ran it died with it) unless that parent is ``spare_parent``."""
    client = MlflowClient(tracking_uri=cfg.tracking_uri)
    run = _retry(lambda: client.get_run(run_id), "get run")
    ids = [run_id]
    parent = run.data.tags.get(PARENT_TAG)
    if parent and parent != spare_parent:
        ids.append(parent)
    for rid in ids:
        if _retry(lambda r=rid: client.get_run(r), "get run").info.status != "RUNNING":
            continue
        _retry(lambda r=rid: client.set_tag(r, "error", error[:5000]), "tag")
        _retry(lambda r=rid: client.set_terminated(r, "FAILED"), "terminate")


def _param_value(value: Any) -> str:
    text = "null" if value is None else str(list(value) if isinstance(value, tuple) else value)
    return text[:6000]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def mlflow_version() -> str:
    return mlflow.__version__


def finished_runs(tracking_uri: str, experiment: str, sweep_dir: str | None = None) -> list[dict[str, Any]]:
    """Finished job runs of an experiment (sweep parents left out) as flat dicts of
    ``run`` (short id), tags, params and metrics; optionally only one sweep's jobs."""
    client = MlflowClient(tracking_uri=tracking_uri)
    found = client.get_experiment_by_name(experiment)
    if found is None:
        raise TrackbenchError(f"no experiment named {experiment!r} in {tracking_uri}")
    filters = ["attributes.status = 'FINISHED'"]
    if sweep_dir:
        filters.append(f"tags.`{SWEEP_TAG}` = '{Path(sweep_dir)}'")  # spelled as the jobs tag it
    out = []
    for run in client.search_runs([found.experiment_id], " and ".join(filters), max_results=5000):
        if run.data.tags.get(ROLE_TAG) == "sweep" or not run.data.metrics:
            continue
        out.append({"run": run.info.run_id[:8], **run.data.tags, **run.data.params, **run.data.metrics})
    return out
