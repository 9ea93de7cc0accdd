"""Hydra callback grouping a multirun's jobs under one MLflow parent run.

The parent is created once, in the launcher process, before any job starts; its id is written
to ``<sweep dir>/.mlflow_parent_run_id`` where every job (any launcher sharing the sweep dir)
reads it (:mod:`trackbench.sweeps.folder`). If the sweep dies, the parent is marked FAILED at
exit instead of staying RUNNING.

Relative paths of a multirun (``hydra.sweep.dir``, a ``sqlite:///`` store) mean the driver's
working directory for every launcher: Ray runs jobs in the directory its head was started in,
so the callback rewrites them to absolute paths before any job is shipped.
"""

from __future__ import annotations

import atexit
import gc
import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf, open_dict, read_write

from trackbench.config import load_config
from trackbench.config.metric_names import default_direction
from trackbench.config.tree import plain_tree
from trackbench.errors import TrackbenchError
from trackbench.experiment._cores import auto_in_flight, available_cores
from trackbench.experiment.app import PLOTS, Plotting, add_attribution
from trackbench.experiment.run_record import mlflow_metrics
from trackbench.experiment.workers import prepare_workers
from trackbench.plots.charts import plot_sweep
from trackbench.record.mlflow_log import NOTE_TAG, ROLE_TAG, SWEEP_TAG, RunLogger
from trackbench.record.naming import sweep_title, swept_keys
from trackbench.record.queries import child_runs
from trackbench.record.ui_address import compare_address, runs_table_address
from trackbench.sweeps import learned_drawing
from trackbench.sweeps import report as sweep_report
from trackbench.sweeps._job_runs import JobRuns, clock_margin_ms
from trackbench.sweeps.folder import PARENT_FILE, SWEPT_FILE, parent_run_id
from trackbench.sweeps.frames import check_one_frame_set
from trackbench.sweeps.stopping import stopped_by
from trackbench.sweeps.tuning.location import LEARNED_DIR, LEARNED_NOTE
from trackbench.sweeps.tuning.study import prunes
from trackbench.tracking.kinds import PRECOMPUTED

if TYPE_CHECKING:
    from trackbench.config import AppConfig, MlflowConfig

log = logging.getLogger(__name__)
REPORT_EVERY_S = 5.0  # the driver refreshes the parent run's standing at most this often (and at the end)
OPTUNA_SWEEPER = "hydra_plugins.trackbench_optuna_sweeper."  # its studies draw what they learned (learned_drawing)


_SQLITE = "sqlite:///"


def absolute_sqlite_uri(uri: str, cwd: Path) -> str:
    """``sqlite:///mlflow.db`` (relative to the working directory) as ``sqlite:////abs/mlflow.db``."""
    if not uri.startswith(_SQLITE) or uri.startswith(_SQLITE + "/") or uri == _SQLITE + ":memory:":
        return uri
    return _SQLITE + str(cwd / uri[len(_SQLITE) :])


def _set_override(overrides: list, key: str, value: str) -> None:
    """Replace ``key=...`` in a Hydra override list (or append it); the value is quoted."""
    quoted = "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    overrides[:] = [o for o in overrides if str(o).split("=", 1)[0].lstrip("+~") != key]
    overrides.append(f"{key}={quoted}")


def resolve_paths(config: DictConfig, cwd: Path) -> None:
    """Make the sweep dir and a relative SQLite store absolute against ``cwd``, in ``config``
    and in the overrides every job's config is composed from (Hydra's load_sweep_config)."""
    sweep_dir = Path(str(config.hydra.sweep.dir))
    uri = str(config.mlflow.tracking_uri)
    absolute_uri = absolute_sqlite_uri(uri, cwd)
    with read_write(config), open_dict(config):
        if not sweep_dir.is_absolute():
            config.hydra.sweep.dir = str(cwd / sweep_dir)
            _set_override(config.hydra.overrides.hydra, "hydra.sweep.dir", str(cwd / sweep_dir))
        if absolute_uri != uri:
            config.mlflow.tracking_uri = absolute_uri
            _set_override(config.hydra.overrides.task, "mlflow.tracking_uri", absolute_uri)


def _jobs_here(config: DictConfig, cfg: AppConfig) -> bool:
    """Whether the sweep's jobs run in this process and share kept camera workers: the basic
    launcher, which trackbench's Optuna sweeper keeps unless its cores rule runs trials in
    parallel (:func:`trackbench.experiment._cores.sweep_plan`; the sweeper applies it only with
    ``n_jobs=auto``, no pruner and ``runner.workers`` unset)."""
    launcher = str(OmegaConf.select(config, "hydra.launcher._target_", default=""))
    if not launcher.endswith(".BasicLauncher") or not cfg.runner.reuse_workers or cfg.runner.start_method:
        return False
    if cfg.tracker.tracker_kind == PRECOMPUTED or cfg.runner.progress == "always":  # "auto": no bar in a sweep
        return False
    sweeper = OmegaConf.select(config, "hydra.sweeper", default=None)
    if not str(OmegaConf.select(config, "hydra.sweeper._target_", default="")).startswith(OPTUNA_SWEEPER):
        return True
    if str(OmegaConf.select(sweeper, "n_jobs", default="auto")) != "auto":
        return True
    pruning = prunes(OmegaConf.select(sweeper, "pruner", default=None))
    trials = int(OmegaConf.select(sweeper, "n_trials", default=1) or 1)
    workers_set = cfg.runner.workers is not None
    return auto_in_flight(available_cores(), trials, workers_set=workers_set, pruning=pruning) == 1


def app_config(config: DictConfig) -> AppConfig:
    """The validated AppConfig of a composed config (its ``hydra`` node left out)."""

    app_keys = [str(k) for k in config if k != "hydra"]
    return load_config(plain_tree(OmegaConf.masked_copy(config, app_keys), throw_on_missing=False))


def _parent_logger(config: DictConfig) -> RunLogger | None:
    """A logger on the sweep's parent run, in a job process (None without one)."""
    if not OmegaConf.select(config, "mlflow.enabled", default=False):
        return None
    logger = RunLogger(app_config(config).mlflow)
    sweep_dir = str(Path(str(config.hydra.sweep.dir)))
    logger.run_id = parent_run_id(sweep_dir) or logger.sweep_parent(sweep_dir)  # another machine: by its tags
    return logger if logger.run_id else None


def _ranking(config: DictConfig) -> tuple[str, str]:
    """The metric the leaderboard ranks by, and its direction: the objective's (its first metric's)."""

    metrics = OmegaConf.select(config, "objective.metrics", default=None)
    if not metrics:
        metric = str(OmegaConf.select(config, "objective.metric", default="idf1"))
        return metric, str(OmegaConf.select(config, "objective.direction", default="maximize"))
    directions = OmegaConf.select(config, "objective.directions", default=None)
    return str(metrics[0]), str(directions[0]) if directions else default_direction(str(metrics[0]))


def _now_ms() -> int:
    return int(time.time() * 1000)


def _learned_lines(config: DictConfig) -> list[str]:
    """What the study learned (the Optuna sweeper's summary in the sweep folder), once written."""

    path = Path(str(config.hydra.sweep.dir)) / LEARNED_DIR / LEARNED_NOTE
    return path.read_text().splitlines() if path.exists() else []


# Per sweep folder: the monotonic time before which this process does not report its standing again,
# the job runs as this process last read them, and the leaderboard its last comparison plot drew.
_next_report: dict[str, float] = {}
_job_runs: dict[str, JobRuns] = {}
_plotted: dict[str, list[tuple[str, Any]]] = {}


class MlflowSweepCallback(Callback):
    def __init__(self) -> None:
        self._logger: RunLogger | None = None
        self._experiment = ""

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        resolve_paths(config, Path.cwd())

        try:
            cfg = app_config(config)
            node = OmegaConf.select(config, "hydra.sweeper.params")
            params = OmegaConf.to_container(node, resolve=False) if node is not None else None
            searched = {str(k): v for k, v in params.items()} if isinstance(params, dict) else None
            check_one_frame_set(cfg.eval.frames, cfg.tracker.backend, config.hydra.overrides.task, searched)
        except TrackbenchError as exc:  # before any job or MLflow run: one line, as the app's errors
            print(f"trackbench: error: {exc}", file=sys.stderr)
            sys.exit(2)
        if _jobs_here(config, cfg):
            prepare_workers()  # the trials' camera workers: their imports on the core the parent run leaves idle
        if str(OmegaConf.select(config, "hydra.sweeper._target_", default="")).startswith(OPTUNA_SWEEPER):
            learned_drawing.prepare()  # its imports on the core the parent run leaves idle
        if not cfg.mlflow.enabled:
            return
        sweep_dir = Path(str(config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        task = list(config.hydra.overrides.task)
        params = list(OmegaConf.select(config, "hydra.sweeper.params", default=None) or {})
        (sweep_dir / SWEPT_FILE).write_text("\n".join(swept_keys(task, params)) + "\n")
        self._logger = RunLogger(cfg.mlflow)
        run_id = self._logger.start(
            sweep_title(task, params, time.strftime("%Y-%m-%d %H:%M"), cfg.tracker.tracker_kind),
            {SWEEP_TAG: str(sweep_dir), ROLE_TAG: "sweep", "overrides": " ".join(task)},
            cfg.mlflow.parent_run_id,
        )
        (sweep_dir / PARENT_FILE).write_text(run_id)
        atexit.register(self._abandon)
        gc.freeze()  # mlflow is imported now: later collections leave its objects alone (runner.settle_imports)

    def __getstate__(self) -> dict[str, Any]:
        # Launchers ship the callbacks to their job processes (joblib, Ray); the parent run and
        # its heartbeat thread stay with the driver.
        return {"_logger": None, "_experiment": ""}

    def on_job_end(self, config: DictConfig, job_return: Any, **kwargs: Any) -> None:
        """The standing so far, from the driver (basic launcher), or from the job's own process
        (joblib, Ray), which finds the parent run in the sweep folder: at most every few seconds
        per process (a parallel launcher's process serves many jobs), and once more from the
        driver at the end. A single run has no sweep."""
        if str(OmegaConf.select(config, "hydra.mode", default="")).rpartition(".")[2] != "MULTIRUN":
            return
        sweep = str(config.hydra.sweep.dir)
        now = time.monotonic()
        if now < _next_report.get(sweep, 0.0):
            return
        try:
            logger = self._logger or _parent_logger(config)
        except Exception as exc:  # the standing is a report; never let it fail the job
            log.warning("sweep report: no parent run: %s", exc)
            return
        if logger is None:
            return
        self._report(config, logger)
        took = time.monotonic() - now
        _next_report[sweep] = time.monotonic() + max(REPORT_EVERY_S, 10 * took)  # <= ~10% of the sweep

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        learned = Path(str(config.hydra.sweep.dir)) / LEARNED_DIR
        if self._logger is None:
            learned_drawing.finish(learned)
            return
        # The best job first: what the study learned is drawn meanwhile, in its own process
        # (the Optuna sweeper started it); the final standing quotes its note.
        runs = self._runs(config, self._logger, full=True)
        draw = OmegaConf.select(config, "runner.plots", default="best") == "best"
        attribute = OmegaConf.select(config, "eval.attribution", default="best") == "best"
        if runs and (draw or attribute):
            self._complete_best(config, runs, self._logger.cfg, draw=draw, attribute=attribute)
        learned_drawing.finish(learned)
        if learned.is_dir():
            try:
                self._logger.log_artifacts(learned, LEARNED_DIR)
            except Exception as exc:  # a report; never fail the sweep for it
                log.warning("what the study learned not logged to the parent run: %s", exc)
        self._report(config, self._logger, final=True, runs=runs)
        self._logger.end("FINISHED")
        if runs:
            uri = str(config.mlflow.tracking_uri)
            ids = [r["run_id"] for r in sorted(runs, key=lambda r: r["name"])]
            print(f"sweep compare view: {compare_address(uri, self._experiment, ids)}")
            metric = str(OmegaConf.select(config, "objective.metric", default="idf1"))
            ascending = OmegaConf.select(config, "objective.direction", default="maximize") == "minimize"
            table = runs_table_address(uri, self._experiment, metric, ascending)
            print(f"mlflow runs table, sorted by the objective: {table}")
        self._logger = None

    def _runs(self, config: DictConfig, logger: RunLogger, *, full: bool) -> list[dict[str, Any]]:
        """The sweep's job runs: those that changed since the last read, or all of them (``full``)."""
        sweep = str(config.hydra.sweep.dir)
        if sweep not in _job_runs:
            target = str(OmegaConf.select(config, "hydra.launcher._target_", default=""))
            _job_runs[sweep] = JobRuns(clock_margin_ms(target))
        try:
            return _job_runs[sweep].refresh(
                lambda since: child_runs(logger, ended_since_ms=since), _now_ms(), full=full
            )
        except Exception as exc:  # the standing is a report; never let it fail the sweep
            log.warning("sweep report: the job runs could not be read: %s", exc)
            return []

    def _report(
        self, config: DictConfig, logger: RunLogger, *, final: bool = False, runs: list[dict[str, Any]] | None = None
    ) -> list[dict[str, Any]]:
        """The sweep's standing on its parent run: best job, counts, leaderboard, plot. The best
        objective is logged with step = jobs finished, so its chart shows the sweep's progress.
        A refresh reads the job runs that changed since the last one; the ``final`` standing reads
        every job run. The driver redraws the plot only if the jobs it shows (names and values)
        changed since it last drew it, else logs the one it keeps again (the same pixels); a job's
        process (a parallel launcher) always draws."""
        sweep = str(config.hydra.sweep.dir)
        if runs is None:
            runs = self._runs(config, logger, full=final)
        try:
            metric, direction = _ranking(config)
            self._experiment = logger.experiment_id()
            s = sweep_report.standing(runs, metric, direction)
            tags = {f"trackbench.jobs_{k}": str(v) for k, v in s["counts"].items()}
            if s["best"] is not None:
                best = s["best"]
                tags.update(
                    {
                        "trackbench.best_run": best["name"],
                        "trackbench.best_run_id": best["run_id"],
                        f"trackbench.best_{metric}": f"{best['metrics'][metric]:.6g}",
                    }
                )
            best = [(f"best_{metric}", s["best"]["metrics"][metric], s["counts"]["finished"])] if s["best"] else []
            rows = sweep_report.leaderboard_rows(s["ranked"], metric)
            title = f"sweep {Path(str(config.hydra.sweep.dir))}: {metric}, best first"
            tags[NOTE_TAG] = sweep_report.note(rows, s["counts"], metric, learned=_learned_lines(config))
            logger.log_batch(tags=tags, steps=best)
            # Jobs of a parallel launcher report at once: each writes its own folder, then logs it.
            folder = Path(tempfile.mkdtemp(prefix="trackbench-report-"))
            try:
                (folder / "leaderboard.csv").write_text(sweep_report.as_csv(rows))
                (folder / "leaderboard.md").write_text(sweep_report.as_markdown(rows, title))
                kept = Path(sweep) / "report"  # the driver keeps the last standing in the sweep folder
                shown = [(str(r["run"]), r[metric]) for r in rows[: sweep_report.PLOTTED]]
                # The driver's kept plot is the one it last drew: the same jobs shown, it stands.
                same = self._logger is not None and shown == _plotted.get(sweep)
                if rows and same and (kept / "comparison.png").is_file():
                    shutil.copy2(kept / "comparison.png", folder / "comparison.png")
                elif rows:
                    plot_sweep(folder / "comparison.png", rows[: sweep_report.PLOTTED], metric, title)
                    _plotted[sweep] = shown
                for path in sorted(folder.iterdir()):
                    logger.log_file(path, "report")
                if self._logger is not None:
                    shutil.rmtree(kept, ignore_errors=True)
                    shutil.copytree(folder, kept)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        except Exception as exc:  # the standing is a report; never let it fail the sweep
            log.warning("sweep report on the parent run failed: %s", exc)
        return runs

    def _complete_best(
        self, config: DictConfig, runs: list[dict[str, Any]], mlflow: MlflowConfig, *, draw: bool, attribute: bool
    ) -> None:
        """What the best job left to the sweep, from its folder, logged to its run: its error
        attribution (``eval.attribution=best``: its jobs computed none) and its plots
        (``runner.plots=best``: its jobs drew none). A job folder on another machine (Ray) is left
        without them, with a log line."""
        metric = str(OmegaConf.select(config, "objective.metric", default="idf1"))
        direction = str(OmegaConf.select(config, "objective.direction", default="maximize"))
        best = sweep_report.standing(runs, metric, direction)["best"]
        if best is None:
            return
        folder = Path(best["tags"].get("output_dir", ""))
        try:
            if not (folder / "metrics.json").is_file():
                raise FileNotFoundError(f"{folder / 'metrics.json'} is not on this machine")
            logger = RunLogger(mlflow)
            logger.run_id = best["run_id"]
            if attribute:
                fixes = {k: v for k, v in mlflow_metrics(add_attribution(folder)).items() if k.startswith("fix/")}
                logger.log_batch(metrics=fixes)
                logger.log_file(folder / "metrics.json")
                print(f"error attribution of the best job ({best['name']}): {folder / 'metrics.json'}")
            if draw:
                title = f"{best['tags'].get('tracker_kind', '?')} on {best['tags'].get('dataset', '?')}"
                Plotting.of_folder(folder, title).draw()
                logger.log_artifacts(folder / PLOTS, PLOTS)
                print(f"plots of the best job ({best['name']}): {folder / PLOTS}")
        except Exception as exc:  # a report; never fail the sweep for it
            log.warning("the best job %s not completed: %s", best["name"], exc)

    def _abandon(self) -> None:
        """The parent run of a sweep that exits before its end: KILLED with the reason if the
        command was stopped (Ctrl-C, SIGTERM), else FAILED."""
        if self._logger is not None:
            reason = stopped_by()
            if reason is not None:
                self._logger.end("KILLED", reason)
            else:
                self._logger.end("FAILED", "the sweep ended before all jobs finished")
            self._logger = None
