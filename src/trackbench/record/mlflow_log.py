"""The only module that imports mlflow: one run per job, logged in batches, never left RUNNING.

SQLite (the default store) allows one writer at a time; parallel jobs see "database is
locked". Every store call here retries such errors with backoff, so parallel jobs on one
machine lose nothing. For many machines, use an ``mlflow server`` URI instead (docs/scale-out.md).

A process that dies without ending its run (SIGKILL, the OOM killer, a lost machine) cannot
mark it. So a live run refreshes a ``trackbench.heartbeat`` tag (unix time) from a daemon
thread, and :func:`sweep_stale_runs` marks RUNNING runs whose heartbeat is older than
``stale_after_s`` FAILED; every run start sweeps its experiment, ``trackbench-gc`` on demand.
An ``mlflow server`` that stays away longer than MLflow's own HTTP retries turns into one
TrackbenchError line; the run is then left to the sweep. (A single run's logger lives in a
run keeper process, run_keeper, which also ends the run FAILED if only the job is killed.)
A new SQLite store is opened by one process at a time (:func:`open_client`), and gets MLflow's
empty schema from a template kept in trackbench's cache, made once per MLflow version.

mlflow itself (about a second of imports, pandas among them) is imported where it is first
used, not with this module: importing trackbench never pays for it.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from trackbench.config import MlflowConfig
from trackbench.errors import TrackbenchError
from trackbench.record._store import (
    EXPERIMENT_NOTE,
    HEARTBEAT_TAG,
    NOTE_TAG,
    PARENT_TAG,
    ROLE_TAG,
    STALE_TAG,
    SWEEP_TAG,
    ServerUnreachable,
    _Heartbeat,
    _is_number,
    _now_tag,
    _param_value,
    _reason,
    _retry,
    _sigint_deferred,
    _unreachable,
    metric_key,
    stale_age,
)

# An Optuna trial's tags, for the experiment's run record (re-exported):
from trackbench.record._store import STATE_TAG as STATE_TAG
from trackbench.record._store import STUDY_TAG as STUDY_TAG
from trackbench.record._store import TRIAL_TAG as TRIAL_TAG
from trackbench.record.store_check import sqlite_file
from trackbench.record.ui_address import UI_VIEW, compare_address, run_address  # noqa: F401  (re-exported)

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

log = logging.getLogger(__name__)
T = TypeVar("T")

_BATCH = 100  # MLflow's limit on params / metrics per log_batch call


@functools.cache
def _client_class() -> type[MlflowClient]:
    """mlflow's client class: mlflow is imported here, once per process, on first use."""
    from mlflow.tracking import MlflowClient

    # mlflow installs its own INFO console handler on import (database creation chatter); keep the
    # console for our summary unless debug logging is on. The run's log file keeps our records.
    for name in ("mlflow", "alembic"):
        logging.getLogger(name).setLevel(logging.DEBUG if log.isEnabledFor(logging.DEBUG) else logging.WARNING)
    return MlflowClient


def open_client(tracking_uri: str) -> MlflowClient:
    """An MLflow client on ``tracking_uri``. For a SQLite file, one process at a time opens it:
    opening creates and migrates a new store, and two processes doing that to one new file at
    once break it (alembic's "duplicate column name" or "expected to match one row"). The lock
    is an ``flock`` on the database file itself (SQLite's own locks are ``fcntl`` locks, apart)."""
    client_class = _client_class()
    path = sqlite_file(tracking_uri) if tracking_uri.startswith("sqlite:///") else None
    if path is None or not path.parent.is_dir():
        return client_class(tracking_uri=tracking_uri)
    import fcntl

    with path.open("a") as held:  # an empty file is an empty SQLite database
        fcntl.flock(held, fcntl.LOCK_EX)
        try:
            if path.stat().st_size == 0:
                _seed_store(path)
            return client_class(tracking_uri=tracking_uri)  # the store is opened (and migrated) here
        finally:
            fcntl.flock(held, fcntl.LOCK_UN)


def _seed_store(path: Path) -> None:
    """Give the new, empty SQLite file ``path`` MLflow's empty schema, copied from a template
    (:func:`_store_template`) instead of replaying every migration (~1 s). MLflow then opens it
    as an existing store of its own version and adds its Default experiment, as it does for a
    store it migrated itself. Any failure leaves the file empty: MLflow creates the store."""
    try:
        template = _store_template()
        with template.open("rb") as source, path.open("r+b") as store:
            shutil.copyfileobj(source, store)
    except Exception as exc:  # a cache we cannot write or read: MLflow's own way, a second slower
        log.debug("new store %s: no schema template (%s); MLflow creates it", path, exc)
        with contextlib.suppress(OSError), path.open("r+b") as store:
            store.truncate(0)


def cache_dir() -> Path:
    """trackbench's cache: ``$XDG_CACHE_HOME/trackbench``, else ``~/.cache/trackbench``."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "trackbench"


@functools.cache
def _store_template() -> Path:
    """An empty SQLite store with every table MLflow's migrations create, and nothing else (no
    experiment: the store it seeds adds its own Default one, with its own artifact folder).
    Made once per MLflow version and schema revision, in :func:`cache_dir`, and kept there."""
    import mlflow
    from mlflow.store.db import utils

    folder = cache_dir() / "mlflow-stores"
    target = folder / f"empty-{mlflow.__version__}-{utils._get_latest_schema_revision()}.db"
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=folder, prefix=".building-", suffix=".db")
    os.close(fd)
    try:
        engine = utils.create_sqlalchemy_engine(f"sqlite:///{name}")
        try:
            utils._initialize_tables(engine)  # what SqlAlchemyStore runs on an empty database
        finally:
            engine.dispose()
        os.replace(name, target)  # whole or absent, whoever else builds it at the same time
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(name)
    return target


class RunLogger:
    """A single MLflow run driven through the client API (no global active-run state)."""

    def __init__(self, cfg: MlflowConfig) -> None:
        self.client = open_client(cfg.tracking_uri)
        self.cfg = cfg
        self.run_id: str | None = None
        self._experiment_id: str | None = None  # once found or created (an experiment's id never changes)
        self._heartbeat: _Heartbeat | None = None
        self._lost: ServerUnreachable | None = None  # set once the server stopped answering

    def _call(self, call: Callable[[], T], what: str) -> T:
        """A store call (SQLite lock retries included); a server that stays away past MLflow's
        HTTP retries becomes one ServerUnreachable line naming the run and what happens to it."""
        try:
            return _retry(call, what)
        except Exception as exc:
            if not _unreachable(exc):
                raise
            run = (
                f"; run {self.run_id} is marked FAILED by the stale-run sweep (trackbench-gc, or any later "
                "trackbench run on this experiment) once the server is back"
                if self.run_id
                else ""
            )
            self._lost = ServerUnreachable(
                f"MLflow server {self.cfg.tracking_uri} did not answer ({what}: {_reason(exc)}) "
                f"within MLflow's HTTP retries (MLFLOW_HTTP_REQUEST_MAX_RETRIES/_BACKOFF_FACTOR/_TIMEOUT){run}"
            )
            raise self._lost from None

    def experiment_id(self) -> str:
        """The experiment's id, asked of the store once (by name, created if missing)."""
        if self._experiment_id is None:
            self._experiment_id = self._call(self._get_or_create_experiment, "experiment")
        return self._experiment_id

    def _get_or_create_experiment(self) -> str:
        from mlflow.exceptions import MlflowException

        found = self.client.get_experiment_by_name(self.cfg.experiment_name)
        if found is not None:
            return found.experiment_id
        try:
            return self.client.create_experiment(self.cfg.experiment_name)
        except MlflowException as exc:  # another job created it first
            if "already exists" not in str(exc).lower() and "unique" not in str(exc).lower():
                raise
            existing = self.client.get_experiment_by_name(self.cfg.experiment_name)
            if existing is None:
                raise
            return str(existing.experiment_id)

    def sweep_parent(self, sweep_dir: str) -> str | None:
        """The parent run the sweep callback created for ``sweep_dir``, found by its tags
        (for jobs on machines that do not share the sweep directory)."""
        experiment_id = self.experiment_id()
        query = f"tags.`{SWEEP_TAG}` = '{sweep_dir}' and tags.`{ROLE_TAG}` = 'sweep'"
        found = self._call(lambda: self.client.search_runs([experiment_id], query, max_results=1), "search")
        return found[0].info.run_id if found else None

    def start(self, run_name: str | None, tags: Mapping[str, str], parent_run_id: str | None = None) -> str:
        all_tags = dict(tags)
        if parent_run_id:
            all_tags[PARENT_TAG] = parent_run_id
        experiment_id = self.experiment_id()
        self._call(lambda: sweep_stale_runs(self.client, [experiment_id], self.cfg.stale_after_s), "stale-run sweep")
        all_tags[HEARTBEAT_TAG] = _now_tag()
        # Ctrl-C between the store creating the run and us holding its id would leave it
        # RUNNING forever; hold SIGINT back until the id is ours (then end() can mark it).
        with _sigint_deferred():
            run = self._call(
                lambda: self.client.create_run(experiment_id, tags=all_tags, run_name=run_name), "create run"
            )
            self.run_id = run.info.run_id
        self._heartbeat = _Heartbeat(self.client, self.run_id, self.cfg.heartbeat_s)
        self._heartbeat.start()
        return self.run_id

    def log_batch(
        self,
        params: Mapping[str, Any] = {},
        metrics: Mapping[str, float] = {},
        tags: Mapping[str, str] = {},
        steps: Sequence[tuple[str, float, int]] = (),
    ) -> None:
        """Params, metrics (step 0), tags and step metrics ``(key, value, step)`` in batches."""
        from mlflow.entities import Metric, Param, RunTag

        assert self.run_id is not None
        run_id = self.run_id
        now = int(time.time() * 1000)
        p = [Param(k, _param_value(v)) for k, v in params.items()]
        m = [Metric(metric_key(k), float(v), now, 0) for k, v in metrics.items() if _is_number(v)]
        m += [Metric(metric_key(k), float(v), now, int(step)) for k, v, step in steps]
        t = [RunTag(k, str(v)) for k, v in tags.items()]
        for i in range(0, max(len(p), len(m), len(t)), _BATCH):
            chunk = (m[i : i + _BATCH], p[i : i + _BATCH], t[i : i + _BATCH])
            call = functools.partial(self.client.log_batch, run_id, metrics=chunk[0], params=chunk[1], tags=chunk[2])
            self._call(call, "log")

    def log_artifacts(self, folder: Path, artifact_path: str | None = None) -> None:
        assert self.run_id is not None
        run_id = self.run_id
        self._call(lambda: self.client.log_artifacts(run_id, str(folder), artifact_path), "artifacts")

    def log_file(self, path: Path, artifact_path: str | None = None) -> None:
        assert self.run_id is not None
        self._call(lambda: self.client.log_artifact(self.run_id, str(path), artifact_path), "artifact")

    def address(self) -> str:
        """Where the MLflow UI shows this run."""
        return run_address(self.cfg.tracking_uri, self.experiment_id(), self.run_id)

    def end(self, status: str = "FINISHED", error: str | None = None) -> None:
        if self.run_id is None:
            return
        if self._heartbeat is not None:
            self._heartbeat.stop()
            self._heartbeat = None
        if self._lost is not None:  # a second wait for a server that is gone helps nobody
            log.info("run %s left for the stale-run sweep: %s", self.run_id, self._lost)
            return
        run_id = self.run_id
        if error:
            self._call(lambda: self.client.set_tag(run_id, "error", error[:5000]), "tag")
        self._call(lambda: self.client.set_terminated(run_id, status), "terminate")


def sweep_stale_runs(client: MlflowClient, experiment_ids: list[str], stale_after_s: float) -> list[str]:
    """Mark FAILED every RUNNING run of the experiments whose heartbeat is older than
    ``stale_after_s`` (its process died without ending it), with the reason in the ``error``
    and ``trackbench.stale`` tags. Returns the run ids marked."""
    from mlflow.entities import RunTag

    marked = []
    running = _retry(
        lambda: client.search_runs(experiment_ids, "attributes.status = 'RUNNING'", max_results=5000), "search"
    )
    now = time.time()
    for run in running:
        age = stale_age(run.data.tags, now, stale_after_s)
        if age is None:
            continue
        last = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(now - age))
        reason = (
            f"no heartbeat for {age:.0f} s (last {last}; stale after {stale_after_s:g} s): its process died "
            f"without ending the run (killed, e.g. SIGKILL or out of memory, or its machine was lost); marked "
            f"FAILED by the stale-run sweep on {socket.gethostname()}"
        )
        run_id = run.info.run_id
        tags = [RunTag(STALE_TAG, reason), RunTag("error", reason)]
        _retry(functools.partial(client.log_batch, run_id, tags=tags), "tag")
        _retry(functools.partial(client.set_terminated, run_id, "FAILED"), "terminate")
        log.warning("run %s marked FAILED: %s", run_id, reason)
        marked.append(run_id)
    return marked


def mlflow_version() -> str:
    import mlflow

    return mlflow.__version__


def run_metrics_file(tracking_uri: str, run_id: str) -> dict[str, Any]:
    """A run's ``metrics.json`` artifact (downloaded from the store)."""
    import json
    import os
    import tempfile

    from mlflow.exceptions import MlflowException

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    client = open_client(tracking_uri)
    try:
        run = client.get_run(run_id)
    except MlflowException as exc:
        raise TrackbenchError(f"no run {run_id!r} in {tracking_uri}") from exc
    with tempfile.TemporaryDirectory() as tmp:
        try:
            path = client.download_artifacts(run.info.run_id, "metrics.json", tmp)
        except (MlflowException, OSError) as exc:
            raise TrackbenchError(f"run {run_id}: no metrics.json artifact ({exc})") from exc
        return json.loads(Path(path).read_text())


def download_run_files(tracking_uri: str, run_id: str, names: Sequence[str], dest: Path) -> list[str]:
    """Those of a run's top-level artifacts ``names`` (files or folders) it has, downloaded into
    ``dest``; returns the names found (a run logged before a file existed lacks it)."""
    import os

    from mlflow.exceptions import MlflowException

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    client = open_client(tracking_uri)
    try:
        run = client.get_run(run_id)
        present = {Path(f.path).name for f in client.list_artifacts(run.info.run_id)}
    except MlflowException as exc:
        raise TrackbenchError(f"no run {run_id!r} in {tracking_uri}") from exc
    found = [name for name in names if name in present]
    dest.mkdir(parents=True, exist_ok=True)
    for name in found:
        try:
            client.download_artifacts(run.info.run_id, name, str(dest))
        except (MlflowException, OSError) as exc:
            raise TrackbenchError(f"run {run_id}: cannot download {name} ({exc})") from exc
    return found


def log_folder_to_run(tracking_uri: str, run_id: str, folder: Path, artifact_path: str) -> None:
    """Log ``folder``'s files as artifacts of an existing (usually finished) run under ``artifact_path``."""
    from mlflow.exceptions import MlflowException

    client = open_client(tracking_uri)
    try:
        client.get_run(run_id)
    except MlflowException as exc:
        raise TrackbenchError(f"no run {run_id!r} in {tracking_uri}") from exc
    _retry(lambda: client.log_artifacts(run_id, str(folder), artifact_path), "artifacts")


def describe(logger: RunLogger, note: str, dataset: Mapping[str, str]) -> None:
    """The run's description (MLflow's note), the experiment's if it has none, and the dataset
    as an MLflow dataset input (name, digest, source), which fills the UI's Dataset column."""
    from mlflow.entities import Dataset, DatasetInput, InputTag

    assert logger.run_id is not None
    client, run_id = logger.client, logger.run_id
    experiment_id = logger.experiment_id()
    experiment = _retry(lambda: client.get_experiment(experiment_id), "experiment")
    if NOTE_TAG not in experiment.tags:
        _retry(lambda: client.set_experiment_tag(experiment_id, NOTE_TAG, EXPERIMENT_NOTE), "tag")
    entry = Dataset(
        name=dataset["name"],
        digest=dataset["digest"],
        source_type="local",
        source=dataset["source"],
        profile=dataset.get("profile"),
    )
    context = InputTag(key="mlflow.data.context", value="eval")
    _retry(lambda: client.log_inputs(run_id, datasets=[DatasetInput(entry, tags=[context])]), "dataset")
    _retry(lambda: client.set_tag(run_id, NOTE_TAG, note), "tag")
