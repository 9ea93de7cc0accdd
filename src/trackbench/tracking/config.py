"""Tracker configuration: the common knobs plus every kind-specific option, all explicit.

boxmot's ``create_tracker`` fills missing options from bundled YAML files whose values differ
from the constructor defaults; we never rely on either. Every value handed to boxmot comes
from these dataclasses, so the logged config is a complete record of a run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trackbench.errors import TrackbenchError


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
class TrackingConfig:
    """What one camera's tracker is built from. ``tracker_kind`` selects the options block."""

    tracker_kind: str = "ocsort"
    max_coast_frames: int = 30  # frames a track may go unmatched (predicted) before it is dropped
    n_init: int = 3  # probation: matched frames before a track is confirmed (where the kind allows)
    iou_threshold: float = 0.3  # minimum IoU for a detection-track match
    det_thresh: float = 0.3  # detections above this start tracks / enter the first association
    backend: str = "python"
    ocsort: OcSortOptions = field(default_factory=OcSortOptions)
    bytetrack: ByteTrackOptions = field(default_factory=ByteTrackOptions)


def validate_tracking(cfg: TrackingConfig, supported_kinds: tuple[str, ...]) -> None:
    """Raise a one-line TrackbenchError naming the first bad key."""
    if cfg.tracker_kind not in supported_kinds:
        choices = ", ".join(supported_kinds)
        raise TrackbenchError(f"tracker.tracker_kind={cfg.tracker_kind!r} is not supported; choose one of {choices}")
    if cfg.backend != "python":
        raise TrackbenchError(f"tracker.backend={cfg.backend!r} is not supported; choose 'python'")
    if cfg.max_coast_frames < 1:
        raise TrackbenchError(f"tracker.max_coast_frames must be >= 1, got {cfg.max_coast_frames}")
    if cfg.n_init < 1:
        raise TrackbenchError(f"tracker.n_init must be >= 1, got {cfg.n_init}")
    for key in ("iou_threshold", "det_thresh"):
        value = getattr(cfg, key)
        if not 0.0 <= value <= 1.0:
            raise TrackbenchError(f"tracker.{key} must lie in [0, 1], got {value}")
