"""Tracker configuration: the common knobs plus every kind-specific option, all explicit.

boxmot's ``create_tracker`` fills missing options from bundled YAML files whose values differ
from the constructor defaults; we never rely on either. Every value handed to boxmot comes
from these dataclasses, so the logged config is a complete record of a run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trackbench.errors import TrackbenchError
from trackbench.tracking.kinds import APPEARANCE_KINDS, ASSO_FUNCS, BACKENDS, NATIVE_KINDS

DEFAULT_CHECKPOINT_FRAMES = 1000  # runner.checkpoint_frames: a tracker snapshot this often (the carry)


@dataclass(frozen=True)
class OcSortOptions:
    min_conf: float = 0.1  # lower bound of the second (BYTE) association pass
    delta_t: int = 3  # observation window for the velocity direction
    inertia: float = 0.2  # weight of the velocity-direction consistency term
    use_byte: bool = False  # ByteTrack-style second association on low-score boxes
    asso_func: str = "iou"
    max_obs: int = 50  # observation history kept per track


@dataclass(frozen=True)
class ByteTrackOptions:
    min_conf: float = 0.1  # detections below are discarded; between this and det_thresh: 2nd pass


@dataclass(frozen=True)
class BotSortOptions:
    min_conf: float = 0.1  # track_low_thresh: lower bound of the second (low-score) pass
    new_track_thresh: float = 0.3  # a first-pass detection starts a track only from this score on
    second_match_thresh: float = 0.5  # IoU-distance limit of the low-score pass
    unconfirmed_match_thresh: float = 0.7  # score-fused IoU-distance limit for unconfirmed tracks
    fuse_first_associate: bool = False  # fuse detection scores into the first-pass distance
    asso_func: str = "iou"


@dataclass(frozen=True)
class SfSortOptions:
    min_conf: float = 0.1  # low_th: lower bound of the second (low-score) pass
    new_track_thresh: float = 0.3  # new_track_th (boxmot raises it to at least det_thresh)
    match_th_first: float = 0.67  # cost limit of the first pass (IoU+shape+centre cost, <= 0.67)
    marginal_coast_frames: int | None = None  # coasting near the image border; None: max_coast_frames
    horizontal_margin: int = 0  # px from the left/right border counted as "marginal"
    vertical_margin: int = 0  # px from the top/bottom border counted as "marginal"
    frame_width: int = 1280  # image size, used only when the stage is not given the camera's
    frame_height: int = 720
    asso_func: str = "iou"


@dataclass(frozen=True)
class BoostTrackOptions:
    min_box_area: float = 0.0  # boxmot drops output boxes with area <= this (0: keep all)
    aspect_ratio_thresh: float | None = None  # drops output boxes with w/h above this; None: keep
    lambda_iou: float = 0.5  # weight of the confidence-weighted IoU term in the cost
    lambda_mhd: float = 0.25  # weight of the Mahalanobis-distance term
    lambda_shape: float = 0.25  # weight of the shape-similarity term
    use_dlo_boost: bool = True  # raise scores of detections overlapping tracks (DLO boost)
    use_duo_boost: bool = True  # raise scores of detections far from all tracks (DUO boost)
    dlo_boost_coef: float = 0.65  # DLO boost factor (plain BoostTrack rule)
    s_sim_corr: bool = False  # shape-similarity correction
    use_rich_s: bool = False  # BoostTrack++ rich similarity in the DLO boost
    use_sb: bool = False  # BoostTrack++ soft boost
    use_vt: bool = False  # BoostTrack++ varying threshold
    adaptive_kf: bool = False  # class-adaptive Kalman noise
    asso_func: str = "iou"


@dataclass(frozen=True)
class OccluBoostOptions(BoostTrackOptions):
    min_conf: float = 0.1  # track_low_thresh: lower bound of the optional second pass
    use_second_pass: bool = False  # IoU-gated second pass of low-score boxes (confirmed tracks)
    second_iou_thresh: float = 0.6  # minimum IoU in the second pass
    second_pass_max_age: int = 1  # tracks unmatched longer than this skip the second pass
    second_pass_min_hits: int = 3  # hit streak a track needs for the second pass
    new_track_thresh: float = 0.3  # a detection starts a track only from this (boosted) score on
    confirm_hits: int = 2  # consecutive matches that activate a tentative track
    instant_confirm_thresh: float = 0.7  # tracks born from a score >= this are active at once
    tentative_max_age: int = 1  # unmatched frames a tentative track survives
    duplicate_iou_thresh: float = 0.85  # of two emitted tracks this close, the younger is dropped
    ams_enabled: bool = True  # abnormal-motion suppression of the Kalman gain (occlusion)
    ams_alpha0: float = 0.4  # gain factor applied on an abnormal motion
    ams_threshold: float = 0.5  # relative speed spike that counts as abnormal
    ams_buffer_size: int = 30  # observations used for the mean speed
    ams_shrink_ratio: float = 0.75  # only boxes shrinking below this x mean area are suppressed


@dataclass(frozen=True)
class TrackingConfig:
    """What one camera's tracker is built from. ``tracker_kind`` selects the options block."""

    tracker_kind: str = "ocsort"
    max_coast_frames: int = 30  # frames a track may go unmatched (predicted) before it is dropped
    n_init: int = 3  # probation: matched frames before a track is confirmed (where the kind allows)
    iou_threshold: float = 0.3  # minimum IoU for a detection-track match
    det_thresh: float = 0.3  # detections above this start tracks / enter the first association
    backend: str = "python"  # "cpp": boxmot's C++ build (NATIVE_KINDS only; docs/tracklets.md)
    results_dir: str | None = None  # tracker_kind=precomputed: folder of <camera>.txt result files
    ocsort: OcSortOptions = field(default_factory=OcSortOptions)
    bytetrack: ByteTrackOptions = field(default_factory=ByteTrackOptions)
    botsort: BotSortOptions = field(default_factory=BotSortOptions)
    sfsort: SfSortOptions = field(default_factory=SfSortOptions)
    boosttrack: BoostTrackOptions = field(default_factory=BoostTrackOptions)
    occluboost: OccluBoostOptions = field(default_factory=OccluBoostOptions)


def validate_tracking(cfg: TrackingConfig, supported_kinds: tuple[str, ...]) -> None:
    """Raise a one-line TrackbenchError naming the first bad key."""
    kind = cfg.tracker_kind
    choices = ", ".join(supported_kinds)
    if kind in APPEARANCE_KINDS:
        raise TrackbenchError(
            f"tracker.tracker_kind={kind!r} needs appearance (ReID) weights and is not supported offline; "
            f"choose a motion-only kind: {choices}"
        )
    if kind not in supported_kinds:
        raise TrackbenchError(f"tracker.tracker_kind={kind!r} is not supported; choose one of {choices}")
    _validate_backend(cfg)
    if cfg.max_coast_frames < 1:
        raise TrackbenchError(f"tracker.max_coast_frames must be >= 1, got {cfg.max_coast_frames}")
    if cfg.n_init < 1:
        raise TrackbenchError(f"tracker.n_init must be >= 1, got {cfg.n_init}")
    for key in ("iou_threshold", "det_thresh"):
        value = getattr(cfg, key)
        if not 0.0 <= value <= 1.0:
            raise TrackbenchError(f"tracker.{key} must lie in [0, 1], got {value}")
    options = getattr(cfg, kind, None)
    asso_func = getattr(options, "asso_func", "iou")
    if asso_func not in ASSO_FUNCS:
        raise TrackbenchError(
            f"tracker.{kind}.asso_func={asso_func!r} is not supported offline; choose one of {', '.join(ASSO_FUNCS)}"
        )
    if kind == "sfsort":
        _validate_sfsort(cfg)


def _validate_backend(cfg: TrackingConfig) -> None:
    kind = cfg.tracker_kind
    if cfg.backend not in BACKENDS:
        raise TrackbenchError(f"tracker.backend={cfg.backend!r} is not supported; choose one of {', '.join(BACKENDS)}")
    if cfg.backend != "cpp":
        return
    if kind not in NATIVE_KINDS:
        raise TrackbenchError(
            f"tracker.backend='cpp' is not available for {kind!r} (boxmot has no C++ build of it); "
            f"use tracker.backend=python, or one of {', '.join(NATIVE_KINDS)}"
        )
    area = cfg.occluboost.min_box_area
    if kind == "occluboost" and area != int(area):
        # The C++ OccluBoost takes min_box_area as an integer; refuse rather than truncate.
        raise TrackbenchError(f"tracker.occluboost.min_box_area must be a whole number with backend=cpp, got {area}")


def _validate_sfsort(cfg: TrackingConfig) -> None:
    # boxmot clamps SFSORT's timeouts (central <= 1000, marginal <= 500) without a word.
    o = cfg.sfsort
    if cfg.max_coast_frames > 1000:
        raise TrackbenchError(f"tracker.max_coast_frames must be <= 1000 for sfsort, got {cfg.max_coast_frames}")
    marginal = o.marginal_coast_frames
    if marginal is not None and not 1 <= marginal <= 500:
        raise TrackbenchError(f"tracker.sfsort.marginal_coast_frames must lie in [1, 500], got {marginal}")
    if marginal is None and cfg.max_coast_frames > 500:
        raise TrackbenchError("tracker.sfsort.marginal_coast_frames must be set (<= 500) when max_coast_frames > 500")
    if o.frame_width < 1 or o.frame_height < 1:
        raise TrackbenchError(
            f"tracker.sfsort.frame_width/frame_height must be >= 1, got {o.frame_width}x{o.frame_height}"
        )
