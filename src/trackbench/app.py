"""One experiment, start to finish: validate, track, score, write results, log to MLflow.

Plain function of a composed config tree, callable from tests without Hydra's CLI.
"""

from __future__ import annotations

import logging
import math
import subprocess
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from trackbench.config import FRAME_MEANINGS, AppConfig, load_config
from trackbench.errors import TrackbenchError
from trackbench.settings import to_flat_dict
from trackbench.tracking.kinds import PRECOMPUTED, SUPPORTED_KINDS
from trackbench.tuning.report import RUN_ATTR, STATE_TAG, STUDY_TAG, TRIAL_TAG, TrialPruned, camera_reporter

log = logging.getLogger(__name__)
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


@dataclass(frozen=True)
class ExperimentResult:
    overall: dict[str, float]
    per_camera: dict[str, dict[str, float]]
    objective: float
    output_dir: Path
    run_id: str | None
    scoring: str = ""  # what was scored, for the console
    address: str = ""  # where the MLflow UI shows the run


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
    is an MLflow dataset input with a digest instead), nulls, and where MLflow itself lives.
    config.yaml, an artifact of every run, holds every value. Kind options are left out by
    default because MLflow's compare view draws its first axes from params that differ between
    runs, and another kind's options differ by being absent."""
    own = f"tracker.{cfg.tracker.tracker_kind}."
    unused = [f"tracker.{k}." for k in SUPPORTED_KINDS]
    unused += ["dataset.synthetic.", "dataset.splits.", "mlflow.", "tuning.", "runner.progress", "runner.start_method"]
    if cfg.dataset.name == "synthetic":
        unused.append("dataset.files.")
    flat = to_flat_dict(cfg)
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


def run_experiment(
    tree: Mapping[str, Any],
    output_dir: Path,
    *,
    config_yaml: str = "",
    parent_run_id: str | None = None,
    sweep_dir: str | None = None,
    default_run_name: str | None = None,
    overridden: Collection[str] = (),
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
    resumed_run = None
    if cfg.runner.resume is not None:  # results go to the interrupted run's folder; its config.yaml stays
        from trackbench import checkpoints

        if cfg.tracker.tracker_kind == PRECOMPUTED:
            raise TrackbenchError("runner.resume: tracker=precomputed tracks nothing; run it again instead")
        output_dir = Path(cfg.runner.resume).resolve()
        checkpoints.check_resumable(output_dir, to_flat_dict(cfg), cfg.tracker.backend)
        resumed_run = checkpoints.read_run_id(output_dir)
        config_yaml = ""
    workers = resolve_workers(cfg.runner.workers, len(cameras))
    trial = _open_trial(cfg)  # (report, set_attr) when this job is an Optuna trial
    logger = None
    if cfg.mlflow.enabled:
        from trackbench.mlflow_log import SWEEP_TAG, RunLogger

        logger = RunLogger(cfg.mlflow)
        tags = {
            "tracker_kind": cfg.tracker.tracker_kind,
            "dataset": cfg.dataset.name,
            "trackbench.split": cfg.dataset.split,
            "trackbench_version": _version("trackbench"),
            "boxmot_version": _version("boxmot"),
            "output_dir": str(output_dir),
        }
        if (commit := _git_commit()) is not None:
            tags["git_commit"] = commit
        if sweep_dir:
            tags[SWEEP_TAG] = sweep_dir
        if cfg.runner.resume is not None:
            tags["trackbench.resumed_from"] = str(output_dir)
            if resumed_run:
                tags["trackbench.resumed_run_id"] = resumed_run
        if trial is not None:
            tags.update({TRIAL_TAG: str(cfg.tuning.trial), STUDY_TAG: str(cfg.tuning.study_name)})
        if sweep_dir and parent_run_id is None:
            parent_run_id = logger.sweep_parent(sweep_dir)
        if not sweep_dir:  # a sweep's jobs sit under the sweep's parent run, which sits under this one
            parent_run_id = parent_run_id or cfg.mlflow.parent_run_id
    try:
        if logger is not None:
            logger.start(cfg.mlflow.run_name or default_run_name or cfg.tracker.tracker_kind, tags, parent_run_id)
            logger.log_batch(params=logged_params(cfg, workers, overridden))
            from trackbench.mlflow_log import describe

            describe(logger, run_note(cfg, sweep_dir), dataset_record(cfg))
            if trial is not None:
                trial[1](RUN_ATTR, logger.run_id)
            if cfg.tracker.tracker_kind != PRECOMPUTED and cfg.tracker.backend == "python":
                from trackbench.checkpoints import write_run_id

                write_run_id(output_dir, logger.run_id)  # a resumption of this run names it
            if resumed_run:
                from trackbench.mlflow_log import fail_abandoned

                fail_abandoned(
                    cfg.mlflow, resumed_run, f"interrupted; resumed as run {logger.run_id}", spare_parents=True
                )
        on_camera = None if trial is None else camera_reporter(trial[0], cfg.objective.metric, cfg.objective.direction)
        result = _track_score_write(cfg, dataset, output_dir, config_yaml, on_camera)
        if logger is not None:
            logger.log_batch(
                metrics=mlflow_metrics(result),
                steps=mlflow_step_metrics(result),
                tags={STATE_TAG: "complete"} if trial else {},
            )
            logger.log_artifacts(output_dir)
            logger.end("FINISHED")
    except TrialPruned as exc:  # not a failure: the study's pruner stopped this trial
        from trackbench import checkpoints

        checkpoints.remove(output_dir)  # a pruned trial is not resumed
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
    meaning = FRAME_MEANINGS[cfg.eval.frames]
    if cfg.tracker.tracker_kind == PRECOMPUTED:
        meaning = f"the rows of the result files in {cfg.tracker.results_dir}"
    scoring = (
        f"scored: {cfg.eval.matching} CLEAR matching, IoU >= {cfg.eval.iou_threshold:g}, "
        f"windows of {cfg.eval.window_frames} frames; eval.frames={cfg.eval.frames}: {meaning}"
    )
    address = ""
    if logger is not None:
        from trackbench.mlflow_log import run_address

        address = run_address(cfg.mlflow.tracking_uri, logger.experiment_id(), logger.run_id)
    return ExperimentResult(
        overall,
        result["per_camera"],
        float(objective),
        output_dir,
        None if logger is None else logger.run_id,
        scoring,
        address,
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
    frames = sum(o.n_frames for o in result.cameras)
    # Summed over cameras (CPU time spent, whichever worker did it) vs wall clock of the runner:
    # with several workers the sums exceed the wall time.
    timing = {
        "tracking_summed_s": sum(o.tracking_seconds for o in result.cameras),
        "scoring_summed_s": sum(o.scoring_seconds for o in result.cameras),
        "runner_wall_s": result.wall_seconds,
        "frames": frames,
        "fps": frames / result.wall_seconds if result.wall_seconds > 0 else math.nan,
        "workers": result.workers,
        "per_camera_fps": {
            o.camera_id: o.n_frames / o.tracking_seconds if o.tracking_seconds > 0 else math.nan for o in result.cameras
        },
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
    artifacts.write_json(output_dir / "metrics.json", metrics)
    (output_dir / "plots").mkdir(exist_ok=True)
    title = f"{cfg.tracker.tracker_kind} on {cfg.dataset.name}"
    plots.plot_camera_metrics(output_dir / "plots" / "metrics.png", scores.per_camera, scores.overall, title)
    plots.plot_windows(output_dir / "plots" / "windows.png", windows["per_camera"], windows["pooled"], title)
    plots.plot_timelines(output_dir / "plots" / "timeline.png", {o.camera_id: o.spans for o in result.cameras})
    from trackbench import checkpoints

    checkpoints.remove(output_dir)  # complete: nothing to resume
    return metrics


def dataset_record(cfg: AppConfig) -> dict[str, str]:
    """The dataset as MLflow records it: a name, a digest of everything that defines it (the
    split applied; for MOT folders also each file's size), where it lives, a short profile."""
    import hashlib
    import json
    from dataclasses import asdict

    from trackbench.datasets.factory import apply_split

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
    profile = {"cameras": list(d.cameras) if d.cameras else "all", "split": d.split}
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


def run_intervals(cfg: AppConfig, scores: Any) -> dict[str, dict[str, float]]:
    """Bootstrap intervals of the headline metrics (README "Uncertainty")."""
    from trackbench.scoring import bootstrap

    b = cfg.eval.bootstrap
    blocks = bootstrap.blocks(scores.windows)
    if b.samples == 0 or not blocks:
        return {}
    found = bootstrap.intervals(blocks, scores.overall, samples=b.samples, seed=b.seed, level=b.level)
    return {m: {"value": i.value, "low": i.low, "high": i.high, "level": b.level} for m, i in found.items()}


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
    timing = result["timing"]
    out["fps"] = timing["fps"]  # camera-frames tracked and scored per wall-clock second
    out.update({f"cam/{c}/fps": v for c, v in timing["per_camera_fps"].items()})  # that camera's tracking only
    out.update({f"time/{k}": timing[k] for k in ("tracking_summed_s", "scoring_summed_s", "runner_wall_s")})
    return {k: v for k, v in out.items() if not (isinstance(v, float) and math.isnan(v))}


def mlflow_step_metrics(result: Mapping[str, Any]) -> list[tuple[str, float, int]]:
    """Per-window metrics as ``(key, value, step)``, step = the window's first frame: pooled
    over cameras as ``window/<metric>`` (per camera they are in metrics.json and the plot)."""
    out = []
    windows = result["windows"]
    for w in windows["pooled"]:
        out.extend((f"window/{k}", w[k], w["first_frame"]) for k in _POOLED_WINDOW_METRICS)
    for camera_id, camera_windows in windows["per_camera"].items():
        for w in camera_windows:
            out.extend((f"cam/{camera_id}/window/{k}", w[k], w["first_frame"]) for k in _CAMERA_WINDOW_METRICS)
    return [(k, float(v), step) for k, v, step in out if not math.isnan(v)]
