"""The application's typed configuration: what Hydra composes, validated once at start-up.

YAML files under ``conf/`` (the package ``trackbench.config.conf``, which the CLI loads as
``pkg://trackbench.config.conf``) hold values; these dataclasses hold the structure. ``load_config``
turns the composed tree into an :class:`AppConfig` or stops with one line naming the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal

from trackbench.config.metric_names import OBJECTIVE_METRICS, default_direction
from trackbench.config.settings import from_mapping
from trackbench.datasets.synthetic_config import SyntheticConfig
from trackbench.errors import TrackbenchError
from trackbench.tracking.config import DEFAULT_CHECKPOINT_FRAMES, TrackingConfig, validate_tracking
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
class SplitSpec:
    """Which data one split holds: a subset of cameras, a frame range, and for the synthetic
    tank the scene's seed (the natural held-out set: the same scene, other fish paths)."""

    cameras: tuple[str, ...] | None = None  # None: the dataset's cameras
    first_frame: int | None = None
    last_frame: int | None = None
    seed: int | None = None  # synthetic only: dataset.synthetic.seed for this split


@dataclass(frozen=True)
class SplitsConfig:
    tune: SplitSpec | None = None  # what sweeps tune on
    test: SplitSpec | None = None  # what a benchmark reports on


@dataclass(frozen=True)
class DatasetConfig:
    name: Literal["synthetic", "mot", "tud"] = "synthetic"
    root: str | None = None  # folder of a "mot" dataset
    cameras: tuple[str, ...] | None = None  # subset of camera ids (default: all)
    first_frame: int | None = None
    last_frame: int | None = None
    synthetic: SyntheticConfig = field(default_factory=SyntheticConfig)
    files: FileOptions = field(default_factory=FileOptions)
    split: Literal["all", "tune", "test"] = "all"  # which split runs (dataset.splits)
    splits: SplitsConfig = field(default_factory=SplitsConfig)


@dataclass(frozen=True)
class RunnerConfig:
    batch_size: int = 100  # frames per batch; results do not depend on it
    checkpoint_frames: int = DEFAULT_CHECKPOINT_FRAMES  # carry: tracker snapshot this often (0: every batch)
    workers: int | None = None  # camera worker processes (None: number of cores)
    progress: Literal["auto", "always", "never"] = "auto"  # "auto": on a terminal, single runs only
    start_method: Literal["fork", "spawn", "forkserver"] | None = None  # None: fork where available
    resume: str | None = None  # an interrupted run's output dir: continue it from its checkpoints
    # A run's plots: "all" (every run draws them), "best" (a single run does; a sweep's jobs do
    # not, and the sweep draws its best job's at its end), "none".
    plots: Literal["all", "best", "none"] = "best"
    reuse_workers: bool = True  # a process's jobs (a sweep's trials) share camera workers, dataset, config composition


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
class BootstrapConfig:
    """Block bootstrap over (camera, window) blocks (scoring/bootstrap.py)."""

    samples: int = 1000  # resamples per interval (0: no intervals)
    seed: int = 0  # the same seed gives the same intervals
    level: float = 0.95


@dataclass(frozen=True)
class EvalConfig:
    iou_threshold: float = 0.5
    # Which rows are scored: "reported" (what boxmot's update() returned online, as published
    # MOT results) or tracklet frames: "detected" (plus back-filled probation/hidden frames),
    # "interior" (plus coasted gaps), "all" (plus trailing coasts). docs/guide/frames.md.
    frames: Literal["reported", "detected", "interior", "all"] = "reported"
    matching: Literal["official", "motmetrics"] = "official"  # per-frame CLEAR matching rule
    window_frames: int = DEFAULT_WINDOW_FRAMES  # frames per scoring window (docs/guide/windows.md)
    bootstrap: BootstrapConfig = field(default_factory=BootstrapConfig)
    # Error attribution (docs/diagnosis.md; each fix scores the camera once more): "all" (every
    # run), "best" (a single run; a sweep's jobs skip it and the sweep adds its best job's at its
    # end) or "none". Error events and identity metrics are always computed.
    attribution: Literal["all", "best", "none"] = "best"


# Post-processing methods (boxmot.postprocessing) and the keys each one reads.
POSTPROCESS_KEYS = {
    "none": (),
    "linear": ("interval",),
    "gsi": ("interval", "tau"),
    "gbrc": ("interval", "n_estimators", "learning_rate", "min_samples_split"),
}


@dataclass(frozen=True)
class PostprocessConfig:
    """Offline post-processing of each camera's scored rows before scoring (postprocess.py); the
    keys a method does not read keep their defaults (POSTPROCESS_KEYS)."""

    method: Literal["none", "linear", "gsi", "gbrc"] = "none"
    # boxmot's interval: a gap of g missing frames in a track is filled when g + 2 <= interval
    interval: int = 20
    tau: float = 10.0  # GSI: the Gaussian process' time scale (length scale clip(tau log(tau^3/n), 1/tau, tau^2))
    n_estimators: int = 115  # GBRC: boosting stages per coordinate
    learning_rate: float = 0.065  # GBRC
    min_samples_split: int = 6  # GBRC: samples a tree node needs to split


@dataclass(frozen=True)
class MlflowConfig:
    enabled: bool = True
    tracking_uri: str = "sqlite:///mlflow.db"
    experiment_name: str = "trackbench"
    run_name: str | None = None
    heartbeat_s: float = 30.0  # a live run refreshes its trackbench.heartbeat tag this often
    stale_after_s: float = 600.0  # a RUNNING run whose heartbeat is older is marked FAILED (stale-run sweep)
    parent_run_id: str | None = None  # nest this run (or a sweep's parent run) under that run, e.g. a benchmark's
    connect_timeout_s: float = 10.0  # a server must answer this soon at start (an outage later is retried)


@dataclass(frozen=True)
class ObjectiveConfig:
    """The value a multirun job returns to Hydra's sweeper (e.g. Optuna): ``metric``, or with
    ``metrics`` one value per metric (a multi-objective study; ``metric`` is then unused)."""

    metric: str = "idf1"
    direction: Literal["maximize", "minimize"] = "maximize"
    metrics: tuple[str, ...] | None = None  # e.g. [hota, tracker_ms_per_frame]
    directions: tuple[str, ...] | None = None  # one per metric; null: minimize error counts and time

    @property
    def names(self) -> tuple[str, ...]:
        """The objective's metrics, in order."""
        return self.metrics if self.metrics else (self.metric,)

    @property
    def senses(self) -> tuple[str, ...]:
        """Each metric's direction."""
        if not self.metrics:
            return (self.direction,)
        return self.directions if self.directions else tuple(default_direction(m) for m in self.metrics)


@dataclass(frozen=True)
class TuningConfig:
    """Which Optuna trial this job is (set by the trackbench_optuna sweeper; empty otherwise).
    The job reports its running objective to that trial, which the study's pruner may stop."""

    storage: str | None = None  # SQLAlchemy URL of the study's storage
    study_name: str | None = None
    trial: int | None = None  # the trial's number in the study
    # Also report every N frames of a camera (hydra.sweeper.report_frames; one worker only)
    report_frames: int | None = None
    # Report the objective so far at each finished camera; false: the study's pruner is nop
    # and would read none of them (each is a write to the study's storage)
    report_cameras: bool = True


@dataclass(frozen=True)
class AppConfig:
    tracker: TrackingConfig = field(default_factory=TrackingConfig)
    dataset: DatasetConfig = field(default_factory=DatasetConfig)
    runner: RunnerConfig = field(default_factory=RunnerConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    postprocess: PostprocessConfig = field(default_factory=PostprocessConfig)
    mlflow: MlflowConfig = field(default_factory=MlflowConfig)
    objective: ObjectiveConfig = field(default_factory=ObjectiveConfig)
    tuning: TuningConfig = field(default_factory=TuningConfig)


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
    if cfg.eval.bootstrap.samples < 0:
        raise TrackbenchError(f"eval.bootstrap.samples must be >= 0, got {cfg.eval.bootstrap.samples}")
    if not 0.0 < cfg.eval.bootstrap.level < 1.0:
        raise TrackbenchError(f"eval.bootstrap.level must lie in (0, 1), got {cfg.eval.bootstrap.level}")
    if cfg.tuning.report_frames is not None and cfg.tuning.report_frames < 1:
        raise TrackbenchError(f"tuning.report_frames must be >= 1, got {cfg.tuning.report_frames}")
    if cfg.eval.window_frames < 1:
        raise TrackbenchError(f"eval.window_frames must be >= 1, got {cfg.eval.window_frames}")
    if not 0.0 < cfg.eval.iou_threshold <= 1.0:
        raise TrackbenchError(f"eval.iou_threshold must lie in (0, 1], got {cfg.eval.iou_threshold}")
    if cfg.tracker.backend == "cpp" and cfg.eval.frames != "reported":
        raise TrackbenchError(
            f"eval.frames={cfg.eval.frames} scores back-filled tracklet frames, which tracker.backend=cpp does not "
            "give (only the rows boxmot reports); use eval.frames=reported or tracker.backend=python"
        )
    if cfg.mlflow.heartbeat_s <= 0:
        raise TrackbenchError(f"mlflow.heartbeat_s must be > 0, got {cfg.mlflow.heartbeat_s}")
    if cfg.mlflow.stale_after_s < 3 * cfg.mlflow.heartbeat_s:
        raise TrackbenchError(
            f"mlflow.stale_after_s={cfg.mlflow.stale_after_s:g} must be at least 3 x mlflow.heartbeat_s="
            f"{cfg.mlflow.heartbeat_s:g}, or a live run could be taken for a dead one"
        )
    if cfg.mlflow.connect_timeout_s <= 0:
        raise TrackbenchError(f"mlflow.connect_timeout_s must be > 0, got {cfg.mlflow.connect_timeout_s}")
    validate_objective(cfg.objective)
    if cfg.tuning.trial is not None and not (cfg.tuning.storage and cfg.tuning.study_name):
        raise TrackbenchError("tuning.trial is set but tuning.storage or tuning.study_name is not")
    if cfg.dataset.name == "mot" and not cfg.dataset.root:
        raise TrackbenchError("dataset.root must name a MOTChallenge folder for dataset=mot")
    validate_splits(cfg.dataset)
    validate_postprocess(cfg.postprocess)
    return cfg


def validate_postprocess(cfg: PostprocessConfig) -> None:
    """The method's parameters are in range, and no other method's key is set away from its
    default (it would be silently ignored, e.g. ``+postprocess.tau=5`` with ``linear``)."""
    used = POSTPROCESS_KEYS[cfg.method]
    default = PostprocessConfig()
    for key in (f.name for f in fields(PostprocessConfig)):
        if key not in ("method", *used) and getattr(cfg, key) != getattr(default, key):
            keys = ", ".join(used) or "none"
            raise TrackbenchError(f"postprocess.{key} does not apply to postprocess={cfg.method} (its keys: {keys})")
    if cfg.method == "none":
        return
    if cfg.interval < 2:
        raise TrackbenchError(
            f"postprocess.interval must be >= 2 (it fills gaps of interval - 2 frames), got {cfg.interval}"
        )
    if "tau" in used and cfg.tau <= 0:
        raise TrackbenchError(f"postprocess.tau must be > 0, got {cfg.tau:g}")
    if "n_estimators" in used and cfg.n_estimators < 1:
        raise TrackbenchError(f"postprocess.n_estimators must be >= 1, got {cfg.n_estimators}")
    if "learning_rate" in used and cfg.learning_rate <= 0:
        raise TrackbenchError(f"postprocess.learning_rate must be > 0, got {cfg.learning_rate:g}")
    if "min_samples_split" in used and cfg.min_samples_split < 2:
        raise TrackbenchError(f"postprocess.min_samples_split must be >= 2, got {cfg.min_samples_split}")


def postprocess_params(cfg: PostprocessConfig) -> dict[str, Any]:
    """The method and the parameters it reads (the other keys are unused defaults): what is
    logged and stored in metrics.json."""
    return {"method": cfg.method, **{key: getattr(cfg, key) for key in POSTPROCESS_KEYS[cfg.method]}}


def postprocess_note(cfg: PostprocessConfig) -> str:
    """The method and its parameters in one phrase, with the offline caveat ('' for none)."""
    if cfg.method == "none":
        return ""
    params = ", ".join(f"{key} {getattr(cfg, key):g}" for key in POSTPROCESS_KEYS[cfg.method])
    return f"postprocess={cfg.method} ({params}): offline, it uses future frames; NOT comparable with online results"


def validate_objective(cfg: ObjectiveConfig) -> None:
    """Every objective metric is one a run produces, with one direction each."""
    if cfg.metrics is not None and not cfg.metrics:
        raise TrackbenchError("objective.metrics is empty; name at least one metric, or set it to null")
    for metric in cfg.names:
        if metric not in OBJECTIVE_METRICS:
            key = f"objective.metrics: {metric!r}" if cfg.metrics else f"objective.metric={metric!r}"
            raise TrackbenchError(f"{key} is not a metric of the run; choose one of {', '.join(OBJECTIVE_METRICS)}")
    if len(set(cfg.names)) != len(cfg.names):
        raise TrackbenchError(f"objective.metrics={list(cfg.names)} names a metric twice")
    if cfg.directions is None:
        return
    if cfg.metrics is None:
        raise TrackbenchError("objective.directions is set without objective.metrics; use objective.direction")
    if len(cfg.directions) != len(cfg.metrics):
        raise TrackbenchError(
            f"objective.directions has {len(cfg.directions)} entries for {len(cfg.metrics)} objective.metrics"
        )
    for direction in cfg.directions:
        if direction not in ("maximize", "minimize"):
            raise TrackbenchError(f"objective.directions: {direction!r} is not maximize or minimize")


def validate_splits(cfg: DatasetConfig) -> None:
    """The chosen split is defined, and tune and test share no data."""
    tune, test = cfg.splits.tune, cfg.splits.test
    for name, spec in (("tune", tune), ("test", test)):
        if spec is None:
            if cfg.split == name:
                raise TrackbenchError(
                    f"dataset.split={name}: dataset.splits.{name} is not defined for dataset={cfg.name} "
                    f"(e.g. 'dataset.splits.{name}={{cameras: [...], first_frame: N, last_frame: M}}', "
                    "for synthetic {seed: N}; or use all the data: dataset.split=all)"
                )
            continue
        if spec.seed is not None and cfg.name != "synthetic":
            raise TrackbenchError(f"dataset.splits.{name}.seed applies to dataset=synthetic only")
        first, last = spec.first_frame, spec.last_frame
        if first is not None and last is not None and last < first:
            raise TrackbenchError(f"dataset.splits.{name}: last_frame {last} < first_frame {first}")
    if tune is not None and test is not None and (overlap := _overlap(cfg, tune, test)):
        raise TrackbenchError(f"dataset.splits: tune and test overlap ({overlap}); a held-out split must share no data")


def _overlap(cfg: DatasetConfig, tune: SplitSpec, test: SplitSpec) -> str:
    """How two splits share data ('' if they do not)."""
    if cfg.name == "synthetic":
        seeds = [s.seed if s.seed is not None else cfg.synthetic.seed for s in (tune, test)]
        if seeds[0] != seeds[1]:
            return ""  # another seed is another scene
    if tune.cameras is not None and test.cameras is not None:
        shared = sorted(set(tune.cameras) & set(test.cameras))
        if not shared:
            return ""
        where = f"cameras {', '.join(shared)}"
    else:
        where = "all cameras"
    lo = max(tune.first_frame or 1, test.first_frame or 1)
    hi = min(tune.last_frame or 10**12, test.last_frame or 10**12)
    if lo > hi:
        return ""
    frames = f"frames {lo}..{hi}" if hi < 10**12 else f"frames from {lo}"
    return f"{where}, {frames}" + (" of the same scene seed" if cfg.name == "synthetic" else "")
