"""One experiment, start to finish: validate, track, score, write results, log to MLflow.

Plain function of a composed config tree, callable from tests without Hydra's CLI.
"""

from __future__ import annotations

import logging
import math
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from trackbench.config import AppConfig, load_config
from trackbench.errors import TrackbenchError
from trackbench.settings import to_flat_dict
from trackbench.tracking.kinds import SUPPORTED_KINDS
from trackbench.tuning.report import RUN_ATTR, STATE_TAG, STUDY_TAG, TRIAL_TAG, TrialPruned, camera_reporter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExperimentResult:
    overall: dict[str, float]
    per_camera: dict[str, dict[str, float]]
    objective: float
    output_dir: Path
    run_id: str | None


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


def logged_params(cfg: AppConfig, workers: int) -> dict[str, Any]:
    """The resolved config, flattened, minus what does not describe this run: the option blocks
    of other tracker kinds, the other dataset source's block, and where MLflow itself lives."""
    unused = [f"tracker.{k}." for k in SUPPORTED_KINDS if k != cfg.tracker.tracker_kind]
    unused.append("dataset.files." if cfg.dataset.name == "synthetic" else "dataset.synthetic.")
    unused.extend(["mlflow.", "tuning."])
    params = {k: v for k, v in to_flat_dict(cfg).items() if not k.startswith(tuple(unused))}
    params["runner.workers_resolved"] = workers
    return params


def run_experiment(
    tree: Mapping[str, Any],
    output_dir: Path,
    *,
    config_yaml: str = "",
    parent_run_id: str | None = None,
    sweep_dir: str | None = None,
) -> ExperimentResult:
    """Run one job. Bad config or data raise TrackbenchError before/while running; an MLflow
    run that was started always ends FINISHED, FAILED or KILLED."""
    cfg = load_config(tree)
    from trackbench.datasets.factory import open_dataset
    from trackbench.runner import resolve_workers

    dataset = open_dataset(cfg.dataset)
    cameras = dataset.cameras()
    if not cameras:
        raise TrackbenchError(f"dataset {cfg.dataset.name}: no cameras selected")
    workers = resolve_workers(cfg.runner.workers, len(cameras))
    trial = _open_trial(cfg)  # (report, set_attr) when this job is an Optuna trial
    logger = None
    if cfg.mlflow.enabled:
        from trackbench.mlflow_log import SWEEP_TAG, RunLogger

        logger = RunLogger(cfg.mlflow)
        tags = {
            "tracker_kind": cfg.tracker.tracker_kind,
            "dataset": cfg.dataset.name,
            "trackbench_version": _version("trackbench"),
            "boxmot_version": _version("boxmot"),
            "output_dir": str(output_dir),
        }
        if (commit := _git_commit()) is not None:
            tags["git_commit"] = commit
        if sweep_dir:
            tags[SWEEP_TAG] = sweep_dir
        if trial is not None:
            tags.update({TRIAL_TAG: str(cfg.tuning.trial), STUDY_TAG: str(cfg.tuning.study_name)})
        if sweep_dir and parent_run_id is None:
            parent_run_id = logger.sweep_parent(sweep_dir)
    try:
        if logger is not None:
            logger.start(cfg.mlflow.run_name, tags, parent_run_id)
            logger.log_batch(params=logged_params(cfg, workers))
            if trial is not None:
                trial[1](RUN_ATTR, logger.run_id)
        on_camera = None if trial is None else camera_reporter(trial[0], cfg.objective.metric, cfg.objective.direction)
        result = _track_score_write(cfg, dataset, output_dir, config_yaml, on_camera)
        if logger is not None:
            logger.log_batch(metrics=mlflow_metrics(result), tags={STATE_TAG: "complete"} if trial else {})
            logger.log_artifacts(output_dir)
            logger.end("FINISHED")
    except TrialPruned as exc:  # not a failure: the study's pruner stopped this trial
        if logger is not None:
            logger.log_batch(tags={STATE_TAG: "pruned", "trackbench.pruned_at_step": str(exc.step)})
            logger.end("KILLED")
        raise
    except KeyboardInterrupt:
        if logger is not None:
            logger.end("KILLED", "interrupted (KeyboardInterrupt)")
        raise
    except BaseException as exc:
        if logger is not None:
            logger.end("FAILED", f"{type(exc).__name__}: {exc}")
        raise
    overall = result["overall"]
    objective = overall.get(cfg.objective.metric)
    if objective is None:
        raise TrackbenchError(f"objective.metric={cfg.objective.metric!r} is not a metric; see metrics.json")
    if math.isnan(objective):
        objective = -math.inf if cfg.objective.direction == "maximize" else math.inf
    return ExperimentResult(
        overall, result["per_camera"], float(objective), output_dir, None if logger is None else logger.run_id
    )


def _open_trial(cfg: AppConfig) -> Any:
    if cfg.tuning.trial is None:
        return None
    from trackbench.tuning.report import open_report

    return open_report(cfg.tuning.storage, cfg.tuning.study_name, cfg.tuning.trial)


def _track_score_write(
    cfg: AppConfig, dataset: Any, output_dir: Path, config_yaml: str, on_camera: Any = None
) -> dict[str, Any]:
    from trackbench import artifacts, plots
    from trackbench.runner import run

    output_dir.mkdir(parents=True, exist_ok=True)
    if config_yaml:
        artifacts.atomic_write_text(output_dir / "config.yaml", config_yaml)
    result = run(dataset, cfg, output_dir, on_camera)  # workers write tracklets/ and mot/ per camera
    timing = {
        "tracking_s": sum(o.tracking_seconds for o in result.cameras),
        "scoring_s": sum(o.scoring_seconds for o in result.cameras),
        "wall_s": result.wall_seconds,
    }
    metrics = {
        "overall": result.scores.overall,
        "per_camera": result.scores.per_camera,
        "scored_frames": cfg.eval.frames,
        "iou_threshold": cfg.eval.iou_threshold,
        "timing": timing,
    }
    artifacts.write_json(output_dir / "metrics.json", metrics)
    (output_dir / "plots").mkdir(exist_ok=True)
    plots.plot_camera_metrics(output_dir / "plots" / "metrics.png", result.scores.per_camera, result.scores.overall)
    plots.plot_timelines(output_dir / "plots" / "timeline.png", {o.camera_id: o.spans for o in result.cameras})
    return metrics


def mlflow_metrics(result: Mapping[str, Any]) -> dict[str, float]:
    """Overall metrics under plain names, per camera as ``cam/<camera_id>/<metric>``."""
    out = dict(result["overall"])
    for camera_id, metrics in result["per_camera"].items():
        out.update({f"cam/{camera_id}/{k}": v for k, v in metrics.items()})
    out.update({f"time/{k}": v for k, v in result["timing"].items()})
    return {k: v for k, v in out.items() if not (isinstance(v, float) and math.isnan(v))}
