"""The application's typed configuration: what Hydra composes, validated once at start-up.

YAML files under ``conf/`` hold values; these dataclasses hold the structure. ``load_config``
turns the composed tree into an :class:`AppConfig` or stops with one line naming the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from trackbench.datasets.synthetic import SyntheticConfig
from trackbench.errors import TrackbenchError
from trackbench.settings import from_mapping
from trackbench.tracking.config import TrackingConfig, validate_tracking
from trackbench.tracking.journal import DEFAULT_CHECKPOINT_FRAMES
from trackbench.tracking.kinds import PRECOMPUTED, SUPPORTED_KINDS


@dataclass(frozen=True)
class FileOptions:
    """How MOTChallenge files are read (``mot`` and ``tud`` datasets); see datasets/motfile.py."""

    det_file: str = "det/det.txt"
    gt_file: str = "gt/gt.txt"
    target_classes: tuple[int, ...] | None = (1,)  # gt classes scored (None: every row)
    distractor_classes: tuple[int, ...] = (2, 7, 8, 12)  # gt classes whose matches are not counted
    zero_conf: Literal["distractor", "drop", "target"] = "drop"  # gt rows with conf == 0 (TrackEval: drop)
    min_score: float | None = None  # detections with a raw score below are dropped
    score_map: Literal["none", "clip", "minmax"] = "none"  # how raw scores become [0, 1]


@dataclass(frozen=True)
class DatasetConfig:
    name: Literal["synthetic", "mot", "tud"] = "synthetic"
    root: str | None = None  # folder of a "mot" dataset
    cameras: tuple[str, ...] | None = None  # subset of camera ids (default: all)
    first_frame: int | None = None
    last_frame: int | None = None
    synthetic: SyntheticConfig = field(default_factory=SyntheticConfig)
    files: FileOptions = field(default_factory=FileOptions)


@dataclass(frozen=True)
class RunnerConfig:
    batch_size: int = 100  # frames per batch; results do not depend on it
    checkpoint_frames: int = DEFAULT_CHECKPOINT_FRAMES  # carry: tracker snapshot this often (0: every batch)
    workers: int | None = None  # camera worker processes (None: number of cores)
    progress: Literal["auto", "always", "never"] = "auto"  # "auto": only on a terminal
    start_method: Literal["fork", "spawn", "forkserver"] | None = None  # None: fork where available


DEFAULT_WINDOW_FRAMES = 100
# What each eval.frames mode scores, in the words the console summary uses.
FRAME_MEANINGS = {
    "reported": "the rows boxmot reported online (comparable with published boxmot/MOTChallenge results)",
    "detected": "tracklet frames with a detection, incl. back-filled probation and hidden frames "
    "(NOT comparable with published results)",
    "interior": "detected tracklet frames plus coasted gaps (NOT comparable with published results)",
    "all": "every tracklet frame, trailing coasts too (NOT comparable with published results)",
}


@dataclass(frozen=True)
class EvalConfig:
    iou_threshold: float = 0.5
    # Which rows are scored: "reported" (what boxmot's update() returned online, as published
    # MOT results) or tracklet frames: "detected" (plus back-filled probation/hidden frames),
    # "interior" (plus coasted gaps), "all" (plus trailing coasts). README "Which frames are scored".
    frames: Literal["reported", "detected", "interior", "all"] = "reported"
    matching: Literal["official", "motmetrics"] = "official"  # per-frame CLEAR matching rule
    window_frames: int = DEFAULT_WINDOW_FRAMES  # frames per scoring window (README "Per-window metrics")


@dataclass(frozen=True)
class MlflowConfig:
    enabled: bool = True
    tracking_uri: str = "sqlite:///mlflow.db"
    experiment_name: str = "trackbench"
    run_name: str | None = None


@dataclass(frozen=True)
class ObjectiveConfig:
    """The value a multirun job returns to Hydra's sweeper (e.g. Optuna)."""

    metric: str = "idf1"
    direction: Literal["maximize", "minimize"] = "maximize"


@dataclass(frozen=True)
class AppConfig:
    tracker: TrackingConfig = field(default_factory=TrackingConfig)
    dataset: DatasetConfig = field(default_factory=DatasetConfig)
    runner: RunnerConfig = field(default_factory=RunnerConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    mlflow: MlflowConfig = field(default_factory=MlflowConfig)
    objective: ObjectiveConfig = field(default_factory=ObjectiveConfig)


def load_config(tree: Any) -> AppConfig:
    """Validate a composed config (plain containers) into an :class:`AppConfig`."""
    cfg = from_mapping(AppConfig, tree)
    if cfg.tracker.tracker_kind == PRECOMPUTED:
        if not cfg.tracker.results_dir:
            raise TrackbenchError(
                "tracker.results_dir must name a folder of <camera>.txt files for tracker=precomputed"
            )
    else:
        validate_tracking(cfg.tracker, SUPPORTED_KINDS)
    if cfg.runner.batch_size < 1:
        raise TrackbenchError(f"runner.batch_size must be >= 1, got {cfg.runner.batch_size}")
    if cfg.runner.checkpoint_frames < 0:
        raise TrackbenchError(f"runner.checkpoint_frames must be >= 0, got {cfg.runner.checkpoint_frames}")
    if cfg.runner.workers is not None and cfg.runner.workers < 1:
        raise TrackbenchError(f"runner.workers must be >= 1 or null, got {cfg.runner.workers}")
    if cfg.eval.window_frames < 1:
        raise TrackbenchError(f"eval.window_frames must be >= 1, got {cfg.eval.window_frames}")
    if not 0.0 < cfg.eval.iou_threshold <= 1.0:
        raise TrackbenchError(f"eval.iou_threshold must lie in (0, 1], got {cfg.eval.iou_threshold}")
    if cfg.tracker.backend == "cpp" and cfg.eval.frames != "reported":
        raise TrackbenchError(
            f"eval.frames={cfg.eval.frames} scores back-filled tracklet frames, which tracker.backend=cpp does not "
            "give (only the rows boxmot reports); use eval.frames=reported or tracker.backend=python"
        )
    if cfg.dataset.name == "mot" and not cfg.dataset.root:
        raise TrackbenchError("dataset.root must name a MOTChallenge folder for dataset=mot")
    return cfg
