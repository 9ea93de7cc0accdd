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

from trackbench.config import FRAME_MEANINGS, AppConfig, load_config
from trackbench.errors import TrackbenchError
from trackbench.settings import to_flat_dict
from trackbench.tracking.kinds import PRECOMPUTED, SUPPORTED_KINDS

log = logging.getLogger(__name__)
_PRECOMPUTED_PARAMS = ("tracker.tracker_kind", "tracker.results_dir")
# Per-window metrics logged as MLflow step metrics (step = window's first frame).
_POOLED_WINDOW_METRICS = ("hota", "mota", "idf1", "num_switches")
_CAMERA_WINDOW_METRICS = ("hota",)
# What goes to MLflow as plain metrics; metrics.json has everything.
_OVERALL_METRICS = (
    *("hota", "deta", "assa", "loca", "mota", "motp", "idf1", "idp", "idr", "precision", "recall"),
    *("num_switches", "num_false_positives", "num_misses", "num_fragmentations"),
    *("mostly_tracked", "partially_tracked", "mostly_lost", "num_objects", "num_predictions"),
)
_CAMERA_METRICS = ("hota", "mota", "idf1")


@dataclass(frozen=True)
class ExperimentResult:
    overall: dict[str, float]
    per_camera: dict[str, dict[str, float]]
    objective: float
    output_dir: Path
    run_id: str | None
    scoring: str = ""  # what was scored, for the console


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
    unused.append("mlflow.")
    flat = to_flat_dict(cfg)
    if cfg.tracker.tracker_kind == PRECOMPUTED:  # no tracker ran: only where the results came from
        unused.append("runner.")
        flat = {k: v for k, v in flat.items() if not k.startswith("tracker.") or k in _PRECOMPUTED_PARAMS}
    else:
        unused.append("tracker.results_dir")
    params = {k: v for k, v in flat.items() if not k.startswith(tuple(unused))}
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
    if cfg.tracker.tracker_kind == PRECOMPUTED:
        from trackbench.precomputed import check_results

        check_results(cfg.tracker.results_dir, cameras)
    workers = resolve_workers(cfg.runner.workers, len(cameras))
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
        if sweep_dir and parent_run_id is None:
            parent_run_id = logger.sweep_parent(sweep_dir)
    try:
        if logger is not None:
            logger.start(cfg.mlflow.run_name, tags, parent_run_id)
            logger.log_batch(params=logged_params(cfg, workers))
        result = _track_score_write(cfg, dataset, output_dir, config_yaml)
        if logger is not None:
            logger.log_batch(metrics=mlflow_metrics(result), steps=mlflow_step_metrics(result))
            logger.log_artifacts(output_dir)
            logger.end("FINISHED")
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
    meaning = FRAME_MEANINGS[cfg.eval.frames]
    if cfg.tracker.tracker_kind == PRECOMPUTED:
        meaning = f"the rows of the result files in {cfg.tracker.results_dir}"
    scoring = (
        f"scored: {cfg.eval.matching} CLEAR matching, IoU >= {cfg.eval.iou_threshold:g}, "
        f"windows of {cfg.eval.window_frames} frames; eval.frames={cfg.eval.frames}: {meaning}"
    )
    return ExperimentResult(
        overall, result["per_camera"], float(objective), output_dir, None if logger is None else logger.run_id, scoring
    )


def _track_score_write(cfg: AppConfig, dataset: Any, output_dir: Path, config_yaml: str) -> dict[str, Any]:
    from trackbench import artifacts, plots
    from trackbench.runner import run

    output_dir.mkdir(parents=True, exist_ok=True)
    if config_yaml:
        artifacts.atomic_write_text(output_dir / "config.yaml", config_yaml)
    result = run(dataset, cfg, output_dir)  # workers write tracklets/ and mot/ per camera
    timing = {
        "tracking_s": sum(o.tracking_seconds for o in result.cameras),
        "scoring_s": sum(o.scoring_seconds for o in result.cameras),
        "wall_s": result.wall_seconds,
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
        "windows": windows,
        "scored_frames": cfg.eval.frames,
        "matching": cfg.eval.matching,
        "iou_threshold": cfg.eval.iou_threshold,
        "timing": timing,
    }
    artifacts.write_json(output_dir / "metrics.json", metrics)
    (output_dir / "plots").mkdir(exist_ok=True)
    title = f"{cfg.tracker.tracker_kind} on {cfg.dataset.name}"
    plots.plot_camera_metrics(output_dir / "plots" / "metrics.png", scores.per_camera, scores.overall, title)
    plots.plot_windows(output_dir / "plots" / "windows.png", windows["per_camera"], windows["pooled"], title)
    plots.plot_timelines(output_dir / "plots" / "timeline.png", {o.camera_id: o.spans for o in result.cameras})
    return metrics


def mlflow_metrics(result: Mapping[str, Any]) -> dict[str, float]:
    """Headline overall metrics under plain names, a few per camera as ``cam/<camera_id>/<metric>``
    (every metric stays in metrics.json)."""
    out = {k: v for k, v in result["overall"].items() if k in _OVERALL_METRICS}
    for camera_id, metrics in result["per_camera"].items():
        out.update({f"cam/{camera_id}/{k}": metrics[k] for k in _CAMERA_METRICS})
    out.update({f"time/{k}": v for k, v in result["timing"].items()})
    return {k: v for k, v in out.items() if not (isinstance(v, float) and math.isnan(v))}


def mlflow_step_metrics(result: Mapping[str, Any]) -> list[tuple[str, float, int]]:
    """Per-window metrics as ``(key, value, step)``, step = the window's first frame: pooled
    over cameras as ``window/<metric>``, per camera as ``cam/<camera_id>/window/<metric>``."""
    out = []
    windows = result["windows"]
    for w in windows["pooled"]:
        out.extend((f"window/{k}", w[k], w["first_frame"]) for k in _POOLED_WINDOW_METRICS)
    for camera_id, camera_windows in windows["per_camera"].items():
        for w in camera_windows:
            out.extend((f"cam/{camera_id}/window/{k}", w[k], w["first_frame"]) for k in _CAMERA_WINDOW_METRICS)
    return [(k, float(v), step) for k, v, step in out if not math.isnan(v)]
