"""One experiment, start to finish: validate, track, score, write results, log to MLflow.

Plain function of a composed config tree, callable from tests without Hydra's CLI.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from trackbench import artifacts
from trackbench.artifacts import read_tracklets, timeline_spans
from trackbench.artifacts.events import read_events
from trackbench.artifacts.identity import read_identity
from trackbench.config import FRAME_MEANINGS, AppConfig, load_config, postprocess_note, postprocess_params
from trackbench.config.metric_names import TIMING_METRICS
from trackbench.config.settings import to_flat_dict
from trackbench.datasets.base import BoxTable
from trackbench.datasets.factory import open_dataset
from trackbench.datasets.motfile import read_results
from trackbench.errors import TrackbenchError
from trackbench.experiment import checkpoints
from trackbench.experiment._cores import resolve_workers
from trackbench.experiment.camera_worker import TrackerCpu, n_frames
from trackbench.experiment.precomputed import check_results
from trackbench.experiment.run_record import RunSetup, mlflow_metrics, mlflow_step_metrics, run_lifecycle
from trackbench.experiment.runner import run
from trackbench.experiment.trial import CameraReporter, Trial, TrialOpener
from trackbench.plots import charts as plots
from trackbench.plots.diagnosis import plot_camera_diagnosis
from trackbench.record.mlflow_log import STATE_TAG
from trackbench.record.run_keeper import opening_for
from trackbench.record.store_check import check_tracking_uri, prepare_sqlite
from trackbench.record.ui_address import runs_table_address
from trackbench.scoring import bootstrap, summarize
from trackbench.scoring.attribution import RUN_FIXES
from trackbench.scoring.diagnosis import diagnose, diagnosis_json
from trackbench.scoring.score import scored_camera
from trackbench.tracking.kinds import PRECOMPUTED

if TYPE_CHECKING:
    from trackbench.artifacts import Span
    from trackbench.datasets.base import Dataset
    from trackbench.experiment.run_record import Opening
    from trackbench.experiment.runner import CameraHook, CameraOutcome, PrefixHook
    from trackbench.scoring import Scores
    from trackbench.types import CameraInfo

    Hooks = tuple[CameraHook | None, PrefixHook | None]  # the runner's on_camera and on_prefix

log = logging.getLogger(__name__)
PLOTS = "plots"  # the run's plots folder (and artifact path)
CHECKPOINTS = "checkpoints"  # removed once the results are written; never an artifact
WARNINGS_TAG = "trackbench.warnings"  # input that ran but is suspect (e.g. a camera without detections)


@dataclass(frozen=True)
class ExperimentResult:
    overall: dict[str, float]
    per_camera: dict[str, dict[str, float]]
    objective: float
    output_dir: Path
    run_id: str | None
    scoring: str = ""  # what was scored, for the console
    address: str = ""  # where the MLflow UI shows the run
    table: str = ""  # the experiment's runs table in the MLflow UI, best objective first
    identity: Mapping[str, Any] | None = None  # metrics.json's "identity" and "attribution"
    attribution: Mapping[str, Any] | None = None
    objectives: tuple[float, ...] = ()  # one per objective.metrics (multi-objective studies)


def run_experiment(
    tree: Mapping[str, Any],
    output_dir: Path,
    *,
    config_yaml: str = "",
    parent_run_id: str | None = None,
    sweep_dir: str | None = None,
    default_run_name: str | None = None,
    overridden: Collection[str] = (),
    keep_run: bool = False,
    open_trial: TrialOpener | None = None,
) -> ExperimentResult:
    """Run one job. Bad config, data or MLflow store raise TrackbenchError before any MLflow run
    is opened or any camera tracked; a run that was started always ends FINISHED, FAILED or KILLED.
    ``keep_run`` (the CLI's single runs, in a cold process): open and log the MLflow run from a forked process
    (run_keeper) when this process can fork one, instead of a thread; and with one worker, track
    in a worker process while this one imports the scoring code. ``open_trial`` opens the Optuna
    trial a job of a study (``tuning.trial``) reports to; the ``trackbench`` command hands it in."""
    cfg = load_config(tree)  # every key, the objective metric among them
    if sweep_dir is not None and cfg.runner.progress == "auto":
        # A sweep's jobs draw no tracking bar of their own: the sweep reports its trials, and
        # a job with a bar could not share the kept camera workers (docs/sweeps.md).
        cfg = replace(cfg, runner=replace(cfg.runner, progress="never"))

    if cfg.mlflow.enabled:  # before any work: a store that cannot be used is one line, not a late traceback
        check_tracking_uri(cfg.mlflow.tracking_uri, timeout_s=cfg.mlflow.connect_timeout_s)
    dataset = open_dataset(cfg.dataset)
    cameras = dataset.cameras()
    if not cameras:
        raise TrackbenchError(f"dataset {cfg.dataset.name}: no cameras selected")
    resumed_run = None
    if cfg.runner.resume is not None:  # results go to the interrupted run's folder; its config.yaml stays
        if cfg.tracker.tracker_kind == PRECOMPUTED:
            raise TrackbenchError("runner.resume: tracker=precomputed tracks nothing; run it again instead")
        output_dir = Path(cfg.runner.resume).resolve()
        checkpoints.check_resumable(output_dir, to_flat_dict(cfg), cfg.tracker.backend)
        resumed_run = checkpoints.read_run_id(output_dir)
        config_yaml = ""
    warnings = validate_inputs(cfg, dataset, cameras)  # every camera's files: before any run or tracking
    workers = resolve_workers(cfg.runner.workers, len(cameras))
    trial = _open_trial(cfg, open_trial)  # (report, set_attr) when this job is an Optuna trial
    opening: Opening | None = None
    if cfg.mlflow.enabled:  # the MLflow run starts while the cameras track (start-up overlap)
        prepare_sqlite(cfg.mlflow.tracking_uri)  # the store's folder, once every input is known good

        setup = RunSetup(
            cfg, output_dir, workers, overridden, trial, sweep_dir, parent_run_id, resumed_run, default_run_name
        )
        opening = opening_for(setup, keep_run and trial is None)  # a kept run starts now, before the imports
    with run_lifecycle(opening, output_dir) as run:  # FINISHED, FAILED, KILLED or pruned
        total = sum(n_frames(c) for c in cameras)
        objective = (cfg.objective.names[0], cfg.objective.senses[0], total)
        # Optuna cannot prune a multi-objective trial, and CPU time is known only at the end: nothing to report
        scored_only = len(cfg.objective.names) == 1 and objective[0] not in TIMING_METRICS
        reporter = None
        if trial is not None and scored_only and cfg.tuning.report_cameras:  # pooled as the final objective is
            reporter = CameraReporter(trial[0], lambda scores: summarize(scores).overall, *objective)
        on_prefix = reporter.prefix if reporter is not None and cfg.tuning.report_frames else None
        on_camera = reporter if opening is None else _checking(opening, reporter)  # an MLflow failure stops the run
        hooks = (on_camera, on_prefix)  # at the next camera, not at its end
        result, plotting = _track_score_write(
            _attribution_resolved(cfg, sweep_dir), dataset, output_dir, config_yaml, hooks, opening, keep_run
        )
        draw = cfg.runner.plots == "all" or (cfg.runner.plots == "best" and sweep_dir is None)
        if opening is None:
            if draw:
                plotting.draw()
        else:
            logger = run.open()  # ended FINISHED when this block completes
            drawing = opening.draw(plotting) if draw else None  # while the other results go to MLflow
            tags = {STATE_TAG: "complete"} if trial else {}
            if warnings:
                tags[WARNINGS_TAG] = "\n".join(warnings)
            logger.log_batch(metrics=mlflow_metrics(result), steps=mlflow_step_metrics(result), tags=tags)
            for path in sorted(output_dir.iterdir()):  # everything but the plots, being drawn meanwhile
                if path.is_file():
                    logger.log_file(path)
                elif path.name not in (PLOTS, CHECKPOINTS):
                    logger.log_artifacts(path, path.name)
            if drawing is not None:
                drawing.result()
                logger.log_artifacts(output_dir / PLOTS, PLOTS)
    ended = run.logger  # the MLflow run, if one was opened
    overall = result["overall"]
    goals = zip(cfg.objective.names, cfg.objective.senses, strict=True)
    objectives = tuple(objective_value(result, metric, direction) for metric, direction in goals)
    meaning = FRAME_MEANINGS[cfg.eval.frames]
    if cfg.tracker.tracker_kind == PRECOMPUTED:
        meaning = f"the rows of the result files in {cfg.tracker.results_dir}"
    scoring = (
        f"scored: {cfg.eval.matching} CLEAR matching, IoU >= {cfg.eval.iou_threshold:g}, "
        f"windows of {cfg.eval.window_frames} frames; eval.frames={cfg.eval.frames}: {meaning}"
    )
    if note := postprocess_note(cfg.postprocess):
        scoring += f"\n{note}"
    address = table = ""
    if ended is not None:
        address = ended.address()
        first, ascending = cfg.objective.names[0], cfg.objective.senses[0] == "minimize"  # the first objective
        table = runs_table_address(cfg.mlflow.tracking_uri, ended.experiment_id(), first, ascending)
    return ExperimentResult(
        overall,
        result["per_camera"],
        objectives[0],
        output_dir,
        None if ended is None else ended.run_id,
        scoring,
        address,
        table,
        result.get("identity"),
        result.get("attribution"),
        objectives,
    )


def objective_value(metrics: Mapping[str, Any], metric: str, direction: str) -> float:
    """One objective metric of metrics.json (overall, or measured in ``timing``); NaN as the
    worst value (load_config checked the name)."""
    value = metrics["timing"][metric] if metric in TIMING_METRICS else metrics["overall"][metric]
    if math.isnan(value):
        return -math.inf if direction == "maximize" else math.inf
    return float(value)


def validate_inputs(cfg: AppConfig, dataset: Dataset, cameras: tuple[CameraInfo, ...]) -> tuple[str, ...]:
    """Every camera's input checked before any tracking: its det, gt and seqinfo files (parsed
    once: the workers reuse the parse) and, for ``tracker=precomputed``, its result file. Raises
    the first problem as one TrackbenchError line; returns the warnings, each logged once."""
    warnings = tuple(w for c in cameras for w in dataset.validate(c.camera_id))
    if cfg.tracker.tracker_kind == PRECOMPUTED:  # the result files replace the detections
        warnings = check_results(cfg.tracker.results_dir, dataset, cameras)
    for warning in warnings:
        log.warning("trackbench: warning: %s", warning)
    return warnings


def _open_trial(cfg: AppConfig, open_trial: TrialOpener | None) -> Trial | None:
    t = cfg.tuning
    if t.trial is None or t.storage is None or t.study_name is None:  # load_config: all three or none
        return None
    if open_trial is None:
        raise TrackbenchError("tuning.trial: a trial of an Optuna study runs through the trackbench command")
    return open_trial(t.storage, t.study_name, t.trial)


def _attribution_resolved(cfg: AppConfig, sweep_dir: str | None) -> AppConfig:
    """``cfg`` with ``eval.attribution=best`` made ``all`` (a single run) or ``none`` (a sweep's
    job: the sweep adds its best job's at its end, :func:`add_attribution`)."""
    if cfg.eval.attribution != "best":
        return cfg
    return replace(cfg, eval=replace(cfg.eval, attribution="none" if sweep_dir else "all"))


def add_attribution(folder: Path) -> dict[str, Any]:
    """A finished run's error attribution, computed from its folder (config.yaml, ``mot/``, the
    dataset's ground truth) as the run would have (its ``mot/`` rows are the rows it scored,
    written exactly), into its metrics.json; returns the metrics."""
    import yaml

    cfg = load_config(yaml.safe_load((folder / "config.yaml").read_text()))
    metrics = json.loads((folder / "metrics.json").read_text())
    dataset = open_dataset(cfg.dataset)
    ev = cfg.eval
    diagnosed = {}
    for camera in metrics["per_camera"]:
        gt = dataset.ground_truth(camera)
        path = folder / "mot" / f"{camera}.txt"
        hyp = read_results(path) if path.stat().st_size else BoxTable.empty()
        scored = scored_camera(gt, hyp, ev.iou_threshold, matching=ev.matching)
        diagnosed[camera] = diagnose(scored, gt, hyp, ev.iou_threshold, ev.matching, RUN_FIXES)
    metrics["attribution"] = diagnosis_json(diagnosed)["attribution"]
    artifacts.write_json(folder / "metrics.json", metrics)
    return metrics


@dataclass(frozen=True)
class Plotting:
    """A run's plots, from its results (drawn where the MLflow run is kept, or here): three for
    the run, and per camera its identity timeline and error map from the run's ``identity/`` and
    ``errors/`` files (docs/diagnosis.md)."""

    folder: Path
    title: str
    per_camera: dict[str, dict[str, float]]
    overall: dict[str, float]
    windows: dict[str, Any]  # metrics.json's "windows"
    spans: dict[str, tuple[Span, ...]]  # per camera, the tracklets' spans (timeline)

    @staticmethod
    def of_folder(folder: Path, title: str) -> Plotting:
        """The plots of a finished run's folder (its metrics.json and tracklets/), for drawing later."""

        metrics = json.loads((folder / "metrics.json").read_text())
        tracklets = read_tracklets(folder / "tracklets")
        cameras = list(metrics["per_camera"])
        spans = {c: timeline_spans([t for t in tracklets if t.camera_id == c]) for c in cameras}
        return Plotting(folder / PLOTS, title, metrics["per_camera"], metrics["overall"], metrics["windows"], spans)

    def draw(self) -> None:
        self.folder.mkdir(exist_ok=True)
        plots.plot_camera_metrics(self.folder / "metrics.png", self.per_camera, self.overall, self.title)
        plots.plot_windows(self.folder / "windows.png", self.windows["per_camera"], self.windows["pooled"], self.title)
        plots.plot_timelines(self.folder / "timeline.png", self.spans, self.title)
        self.draw_diagnosis()

    def draw_diagnosis(self) -> None:
        """Each camera's ``identity_<camera>.png`` and ``errors_<camera>.png``, where its files exist."""
        run = self.folder.parent
        cameras = [c for c in self.per_camera if (run / "errors" / f"{c}.csv").is_file()]
        if not cameras:
            return
        for camera in cameras:
            holders, boxes = read_identity(run / "identity" / f"{camera}.csv")
            n = len(holders)
            gt = BoxTable(holders.frames, holders.gt_ids, boxes, np.ones(n), np.zeros(n, bool))
            plot_camera_diagnosis(self.folder, camera, holders, read_events(run / "errors" / f"{camera}.csv"), gt)


def _track_score_write(
    cfg: AppConfig,
    dataset: Dataset,
    output_dir: Path,
    config_yaml: str,
    hooks: Hooks = (None, None),
    opening: Opening | None = None,
    cold: bool = False,
) -> tuple[dict[str, Any], Plotting]:
    """Track and score (workers write tracklets/ and mot/ per camera), then metrics.json;
    returns the metrics and the plots to draw. ``opening`` (the MLflow run's start) runs
    meanwhile; the results are written only once it has succeeded. ``hooks``: the runner's
    ``on_camera`` and ``on_prefix``. ``cold``: a process that has not imported the scoring
    code yet (the CLI's single run): one worker tracks in a worker process meanwhile."""

    output_dir.mkdir(parents=True, exist_ok=True)
    if config_yaml:
        artifacts.atomic_write_text(output_dir / "config.yaml", config_yaml)
    on_camera, on_prefix = hooks
    started = None if opening is None else opening.start
    result = run(dataset, cfg, output_dir, on_camera, started, on_prefix, worker_process=cold)
    if opening is not None:
        opening.result()
    frames = sum(o.n_frames for o in result.cameras)
    # Summed over cameras (CPU time spent, whichever worker did it) vs wall clock of the runner:
    # with several workers the sums exceed the wall time.
    timing = {
        "tracking_summed_s": sum(o.tracking_seconds for o in result.cameras),
        "scoring_summed_s": sum(o.scoring_seconds for o in result.cameras),
        "diagnosis_summed_s": sum(o.diagnosis_seconds for o in result.cameras),  # events, identity, attribution
        "runner_wall_s": result.wall_seconds,
        "frames": frames,
        "fps": frames / result.wall_seconds if result.wall_seconds > 0 else math.nan,
        "workers": result.workers,
        "per_camera_fps": {
            o.camera_id: o.n_frames / o.tracking_seconds if o.tracking_seconds > 0 else math.nan for o in result.cameras
        },
        # The tracker's own CPU time per camera-frame (README "Accuracy against speed"): pooled
        # as total CPU time over total frames tracked. Not deterministic, hence here.
        "tracker_ms_per_frame": TrackerCpu(
            sum(o.tracker_cpu.seconds for o in result.cameras), sum(o.tracker_cpu.frames for o in result.cameras)
        ).ms_per_frame,
        "per_camera_tracker_ms_per_frame": {o.camera_id: o.tracker_cpu.ms_per_frame for o in result.cameras},
    }
    scores = result.scores
    windows = {
        "window_frames": cfg.eval.window_frames,
        "per_camera": {c: [w.to_json() for w in ws] for c, ws in scores.windows.items()},
        "pooled": [w.to_json() for w in scores.pooled_windows],
    }
    metrics = {
        "overall": scores.overall,
        "per_camera": scores.per_camera,
        "intervals": run_intervals(cfg, scores),
        "windows": windows,
        "scored_frames": cfg.eval.frames,
        "matching": cfg.eval.matching,
        "iou_threshold": cfg.eval.iou_threshold,
        "timing": timing,
    }
    if cfg.postprocess.method != "none":  # without it, metrics.json is what it was before post-processing existed
        metrics["postprocess"] = postprocess_params(cfg.postprocess)
    diagnoses = {o.camera_id: o.diagnosis for o in result.cameras if o.diagnosis is not None}
    if len(diagnoses) == len(result.cameras):
        metrics.update(diagnosis_json(diagnoses))
    artifacts.publish(output_dir)  # mot/, tracklets/ and errors/ appear with metrics.json, never without
    artifacts.write_json(output_dir / "metrics.json", metrics)

    checkpoints.remove(output_dir)  # complete: nothing to resume
    title = f"{cfg.tracker.tracker_kind} on {cfg.dataset.name}"
    spans = {o.camera_id: o.spans for o in result.cameras}
    return metrics, Plotting(output_dir / PLOTS, title, scores.per_camera, scores.overall, windows, spans)


def run_intervals(cfg: AppConfig, scores: Scores) -> dict[str, dict[str, float]]:
    """Bootstrap intervals of the headline metrics (docs/guide/uncertainty.md)."""
    b = cfg.eval.bootstrap
    blocks = bootstrap.blocks(scores.windows)
    if b.samples == 0 or not blocks:
        return {}
    found = bootstrap.intervals(blocks, scores.overall, samples=b.samples, seed=b.seed, level=b.level)
    return {m: {"value": i.value, "low": i.low, "high": i.high, "level": b.level} for m, i in found.items()}


def _checking(opening: Opening, on_camera: CameraHook | None) -> CameraHook:
    """``on_camera`` that first raises the MLflow run's start-up error, if there is one."""

    def hook(outcome: CameraOutcome) -> None:
        opening.check()
        if on_camera is not None:
            on_camera(outcome)

    return hook
