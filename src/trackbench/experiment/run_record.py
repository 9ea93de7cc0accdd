"""What a job's MLflow run records: tags, params and description at its start (opened in the
background while the cameras track), its metrics at the end, and how it ends
(:func:`run_lifecycle`). Kept apart from :mod:`trackbench.record.mlflow_log` (the only mlflow
importer), which this drives."""

from __future__ import annotations

import contextlib
import math
import subprocess
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Protocol

from trackbench.config import AppConfig, postprocess_params
from trackbench.config.settings import to_flat_dict
from trackbench.datasets.factory import apply_split
from trackbench.errors import TrackbenchError, WorkerKilled, interruption
from trackbench.experiment import checkpoints
from trackbench.experiment.trial import RUN_ATTR, Trial, TrialPruned
from trackbench.plots import charts
from trackbench.record.abandoned import fail_abandoned
from trackbench.record.mlflow_log import STATE_TAG, STUDY_TAG, SWEEP_TAG, TRIAL_TAG, RunLogger, describe
from trackbench.tracking.kinds import PRECOMPUTED, SUPPORTED_KINDS

_PRECOMPUTED_PARAMS = ("tracker.tracker_kind", "tracker.results_dir")
# Per-window metrics logged as MLflow step metrics (step = window's first frame).
_POOLED_WINDOW_METRICS = ("hota", "mota", "idf1", "num_switches")
_CAMERA_WINDOW_METRICS: tuple[str, ...] = ()  # per camera: plots/windows.png and metrics.json
# What goes to MLflow as plain metrics; metrics.json has everything.
_OVERALL_METRICS = (
    *("hota", "deta", "assa", "loca", "mota", "motp", "idf1"),
    *("num_switches", "num_false_positives", "num_misses", "num_fragmentations", "mostly_tracked"),
)
_INTERVAL_METRICS = ("mota", "idf1")  # as <metric>_ci_low / _ci_high
_CAMERA_METRICS = ("hota", "mota", "idf1")
# Diagnosis in MLflow (docs/diagnosis.md): the worst animal's identity recall, MTBF, and the
# metric each oracle moves most.
_IDENTITY_METRICS = ("identity_recall_min", "mtbf_monotonic")
_FIX_METRICS = (("fp", "mota"), ("fn", "mota"), ("idsw", "idf1"))


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "unknown"


def _git_commit() -> str | None:
    try:
        here = Path(__file__).resolve().parent
        out = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() or None


def logged_params(cfg: AppConfig, workers: int, overridden: Collection[str] = ()) -> dict[str, Any]:
    """The resolved config, flattened, minus what does not describe this run or would crowd the
    MLflow UI: the tracker kind's own options unless this run sets them (``overridden`` keys,
    e.g. every key a sweep varies), the dataset's generator and split definitions (the dataset
    is an MLflow dataset input with a digest instead), nulls, where MLflow itself lives, and
    the process layout (``runner.workers`` and ``runner.reuse_workers``, which never change a
    score; ``runner.workers_resolved`` says how many camera workers ran).
    config.yaml, an artifact of every run, holds every value. Kind options are left out by
    default because MLflow's compare view draws its first axes from params that differ between
    runs, and another kind's options differ by being absent."""
    own = f"tracker.{cfg.tracker.tracker_kind}."
    unused = [f"tracker.{k}." for k in SUPPORTED_KINDS]
    unused += ["dataset.synthetic.", "dataset.splits.", "mlflow.", "tuning.", "runner.progress", "runner.start_method"]
    # How the run's processes were laid out, never what it scored: runner.workers_resolved says it once.
    unused += ["runner.workers", "runner.reuse_workers"]
    if cfg.dataset.name == "synthetic":
        unused.append("dataset.files.")
    flat = to_flat_dict(cfg)
    used = {f"postprocess.{k}" for k in postprocess_params(cfg.postprocess)}
    unused += [k for k in flat if k.startswith("postprocess.") and k not in used]  # another method's defaults
    if cfg.tracker.tracker_kind == PRECOMPUTED:  # no tracker ran: only where the results came from
        unused.append("runner.")
        flat = {k: v for k, v in flat.items() if not k.startswith("tracker.") or k in _PRECOMPUTED_PARAMS}
    else:
        unused.append("tracker.results_dir")
    set_here = {k.lstrip("+~") for k in overridden}
    params = {
        k: v
        for k, v in flat.items()
        if (not k.startswith(tuple(unused)) and v is not None) or (k.startswith(own) and k in set_here)
    }
    if cfg.dataset.name == "synthetic":
        params["dataset.synthetic.seed"] = cfg.dataset.synthetic.seed
    params["runner.workers_resolved"] = workers
    return params


class RunLog(Protocol):
    """A started run's logger: :class:`trackbench.record.mlflow_log.RunLogger` in this process, or its
    stand-in whose calls a run keeper process makes (:mod:`trackbench.record.run_keeper`)."""

    @property
    def run_id(self) -> str | None: ...

    def experiment_id(self) -> str: ...

    def address(self) -> str: ...

    def log_batch(
        self,
        *,
        params: Mapping[str, Any] = ...,
        metrics: Mapping[str, float] = ...,
        tags: Mapping[str, str] = ...,
        steps: Sequence[tuple[str, float, int]] = ...,
    ) -> None: ...

    def log_file(self, path: Path, artifact_path: str | None = None) -> None: ...

    def log_artifacts(self, folder: Path, artifact_path: str | None = None) -> None: ...

    def end(self, status: str = "FINISHED", error: str | None = None) -> None: ...


class Drawable(Protocol):
    """The run's plots, drawn where the run is kept (app.Plotting)."""

    def draw(self) -> None: ...


class Waiting(Protocol):
    """Work started elsewhere: :meth:`result` waits for it and raises its error."""

    def result(self) -> object: ...


class Opening(Protocol):
    """The MLflow run being opened beside the tracking (run_keeper's ThreadOpening or KeptRun):
    :meth:`start` begins, :meth:`check` raises its start-up error if it has arrived, :meth:`result`
    waits for the started run's logger; :meth:`draw` draws the plots there."""

    def start(self) -> None: ...

    def check(self) -> None: ...

    def result(self) -> RunLog: ...

    def draw(self, job: Drawable) -> Waiting: ...


@dataclass(frozen=True)
class RunSetup:
    """Everything a job's run needs at its start; :meth:`open` starts it and returns the logger.

    Run by a run keeper process forked at the job's start (a single run), or in a background
    thread once the camera workers exist (a multirun's job; forking while another thread
    imports would hand the workers half-imported modules), see run_keeper: it imports mlflow, finds the
    sweep's parent, starts the run, logs params and description, and imports the plotting
    library for the end of the run. If a step after the start fails, the run is ended FAILED."""

    cfg: AppConfig
    output_dir: Path
    workers: int
    overridden: Collection[str]
    trial: Trial | None  # (report, set_attr) of an Optuna trial
    sweep_dir: str | None
    parent_run_id: str | None
    resumed_run: str | None  # the interrupted run this one resumes
    default_name: str | None  # the name when mlflow.run_name is not set

    @property
    def run_name(self) -> str:
        return self.cfg.mlflow.run_name or self.default_name or self.cfg.tracker.tracker_kind

    def tags(self) -> dict[str, str]:
        cfg = self.cfg
        tags = {
            "tracker_kind": cfg.tracker.tracker_kind,
            "dataset": cfg.dataset.name,
            "trackbench.split": cfg.dataset.split,
            "trackbench_version": _version("trackbench"),
            "boxmot_version": _version("boxmot"),
            "output_dir": str(self.output_dir),
        }
        if (commit := _git_commit()) is not None:
            tags["git_commit"] = commit
        if self.sweep_dir:
            tags[SWEEP_TAG] = self.sweep_dir
        if cfg.runner.resume is not None:
            tags["trackbench.resumed_from"] = str(self.output_dir)
            if self.resumed_run:
                tags["trackbench.resumed_run_id"] = self.resumed_run
        if self.trial is not None:
            tags.update({TRIAL_TAG: str(cfg.tuning.trial), STUDY_TAG: str(cfg.tuning.study_name)})
        return tags

    def open(self) -> RunLogger:
        cfg = self.cfg
        logger = RunLogger(cfg.mlflow)
        parent = self.parent_run_id
        if self.sweep_dir and parent is None:
            parent = logger.sweep_parent(self.sweep_dir)
        if not self.sweep_dir:  # a sweep's jobs sit under the sweep's parent run, which sits under this one
            parent = parent or cfg.mlflow.parent_run_id
        run_id = logger.start(self.run_name, self.tags(), parent)
        try:
            logger.log_batch(params=logged_params(cfg, self.workers, self.overridden))
            describe(logger, run_note(cfg, self.sweep_dir), dataset_record(cfg))
            if self.trial is not None:
                self.trial[1](RUN_ATTR, run_id)
            if cfg.tracker.tracker_kind != PRECOMPUTED and cfg.tracker.backend == "python":
                checkpoints.write_run_id(self.output_dir, run_id)  # a resumption of this run names it
            if self.resumed_run:
                error = f"interrupted; resumed as run {run_id}"
                fail_abandoned(cfg.mlflow, self.resumed_run, error, alone=True)
        except BaseException as exc:
            logger.end("FAILED", f"{type(exc).__name__}: {exc}")
            raise
        charts.load()  # matplotlib, for the end of the run

        return logger


class RunEnding:
    """What :func:`run_lifecycle` ends: the run's logger once the job has waited for its start."""

    def __init__(self, opening: Opening | None) -> None:
        self._opening = opening
        self.logger: RunLog | None = None

    def open(self) -> RunLog:
        """Wait for the run's start; the logger returned is ended FINISHED when the block completes."""
        assert self._opening is not None
        self.logger = self._opening.result()
        return self.logger

    def opened(self) -> RunLog | None:
        """The logger, if the run's start has finished (None: no run, or its start failed)."""
        if self.logger is None and self._opening is not None:
            try:
                self.logger = self._opening.result()
            except BaseException:
                return None
        return self.logger


@contextlib.contextmanager
def run_lifecycle(opening: Opening | None, output_dir: Path) -> Iterator[RunEnding]:
    """The MLflow run's end, whatever ends the job, the exception re-raised as it came: FINISHED
    when the block completes; KILLED with the pruned tags when the study's pruner stops the trial
    (its checkpoints are removed first: a pruned trial is not resumed); KILLED on Ctrl-C, SIGTERM
    or a killed worker; FAILED on any other error. ``opening`` None: no MLflow run (the pruned
    trial's checkpoints still go)."""
    run = RunEnding(opening)
    try:
        yield run
        if run.logger is not None:
            run.logger.end("FINISHED")
    except TrialPruned as exc:  # not a failure: the study's pruner stopped this trial
        checkpoints.remove(output_dir)  # a pruned trial is not resumed
        if (logger := run.opened()) is not None:
            logger.log_batch(tags={STATE_TAG: "pruned", "trackbench.pruned_at_step": str(exc.step)})
            logger.end("KILLED")
        raise
    except (KeyboardInterrupt, WorkerKilled) as exc:  # Ctrl-C, SIGTERM, a worker killed
        if (logger := run.opened()) is not None:
            logger.end("KILLED", interruption(exc))
        raise
    except BaseException as exc:
        if (logger := run.opened()) is not None:
            logger.end("FAILED", str(exc) if isinstance(exc, TrackbenchError) else f"{type(exc).__name__}: {exc}")
        raise


def dataset_record(cfg: AppConfig) -> dict[str, str]:
    """The dataset as MLflow records it: a name, a digest of everything that defines it (the
    split applied; for MOT folders also each file's size), where it lives, a short profile."""
    import hashlib
    import json
    from dataclasses import asdict

    d = apply_split(cfg.dataset)
    definition: dict[str, Any] = asdict(d)
    source = d.root or f"trackbench:{d.name}"
    if d.name == "mot" and d.root:
        root = Path(d.root)
        definition["files"] = sorted(
            (str(p.relative_to(root)), p.stat().st_size) for p in root.glob("*/*/*.txt") if p.is_file()
        )
    digest = hashlib.sha256(json.dumps(definition, sort_keys=True, default=str).encode()).hexdigest()[:16]
    name = f"{d.name}:{d.split}" if d.split != "all" else d.name
    profile: dict[str, object] = {"cameras": list(d.cameras) if d.cameras else "all", "split": d.split}
    if d.name == "synthetic":
        s = d.synthetic
        profile.update(n_cameras=s.n_cameras, n_fish=s.n_fish, n_frames=s.n_frames, seed=s.seed)
    return {"name": name, "digest": digest, "source": source, "profile": json.dumps(profile)}


def run_note(cfg: AppConfig, sweep_dir: str | None) -> str:
    """The run's description in the MLflow UI."""
    t, e = cfg.tracker, cfg.eval
    what = (
        f"scored result files from {t.results_dir}"
        if t.tracker_kind == PRECOMPUTED
        else f"{t.tracker_kind} ({t.backend} backend), coast {t.max_coast_frames}, n_init {t.n_init}, "
        f"iou {t.iou_threshold}, det_thresh {t.det_thresh}"
    )
    return (
        f"{what} on {cfg.dataset.name} (split {cfg.dataset.split}). Scored with {e.matching} CLEAR matching at "
        f"IoU {e.iou_threshold}, tracklet frames={e.frames}, windows of {e.window_frames} frames"
        + (f"; job of the sweep {sweep_dir}" if sweep_dir else "")
        + ". Every metric and the full config are in the artifacts (metrics.json, config.yaml)."
    )


def mlflow_metrics(result: Mapping[str, Any]) -> dict[str, float]:
    """Headline overall metrics under plain names, a few per camera as ``cam/<camera_id>/<metric>``
    (every metric stays in metrics.json)."""
    out = {k: v for k, v in result["overall"].items() if k in _OVERALL_METRICS}
    for camera_id, metrics in result["per_camera"].items():
        out.update({f"cam/{camera_id}/{k}": metrics[k] for k in _CAMERA_METRICS})
    for metric in _INTERVAL_METRICS:
        if metric in result.get("intervals", {}):
            out[f"{metric}_ci_low"] = result["intervals"][metric]["low"]
            out[f"{metric}_ci_high"] = result["intervals"][metric]["high"]
    out.update(diagnosis_metrics(result))
    timing = result["timing"]
    out["fps"] = timing["fps"]  # camera-frames tracked and scored per wall-clock second
    # A run page keeps to ~45 metrics (tests/e2e/test_cli.py) and MLflow's compare view shows a run's
    # first ~17 metrics by name: each camera's speed (fps, tracker time) stays in metrics.json's timing.
    out.update({f"time/{k}": timing[k] for k in ("tracking_summed_s", "scoring_summed_s", "runner_wall_s")})
    if "tracker_ms_per_frame" in timing:  # the tracker's CPU time per camera-frame (an objective may name it)
        out["tracker_ms_per_frame"] = timing["tracker_ms_per_frame"]
    return {k: v for k, v in out.items() if not (isinstance(v, float) and math.isnan(v))}


def diagnosis_metrics(result: Mapping[str, Any]) -> dict[str, float]:
    """A few pooled identity numbers as ``identity/<name>`` and the attribution each oracle is
    read by as ``fix/<type>/<metric>`` (FP and FN are MOTA's terms, switches IDF1's). The run
    page keeps to ~45 metrics; every number, per camera and pooled, is in metrics.json."""
    out: dict[str, float] = {}
    overall = result.get("identity", {}).get("overall", {})
    out.update({f"identity/{k}": overall[k] for k in _IDENTITY_METRICS if k in overall})
    table = result.get("attribution", {}).get("overall", {})
    out.update({f"fix/{kind}/{m}": table[kind][m] for kind, m in _FIX_METRICS if kind in table})
    return out


def mlflow_step_metrics(result: Mapping[str, Any]) -> list[tuple[str, float, int]]:
    """Per-window metrics as ``(key, value, step)``, step = the window's first frame: pooled
    over cameras as ``window/<metric>`` (per camera they are in metrics.json and the plot)."""
    out: list[tuple[str, float, int]] = []
    windows = result["windows"]
    for w in windows["pooled"]:
        out.extend((f"window/{k}", w[k], w["first_frame"]) for k in _POOLED_WINDOW_METRICS)
    for camera_id, camera_windows in windows["per_camera"].items():
        for w in camera_windows:
            out.extend((f"cam/{camera_id}/window/{k}", w[k], w["first_frame"]) for k in _CAMERA_WINDOW_METRICS)
    return [(k, float(v), step) for k, v, step in out if not math.isnan(v)]
