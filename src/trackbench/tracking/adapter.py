"""The one door to boxmot: builds trackers from our config, steps them, reads their tracks.

boxmot's ``update()`` returns only tracks that are confirmed *and* matched in the current
frame. To report probationary and coasted frames we read each kind's internal track lists
here (see the table in docs/tracklets.md); nothing outside this module sees boxmot types.
"""

from __future__ import annotations

import copyreg
import io
import logging
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from boxmot.trackers.box.bytetrack.tracker import ByteTrack
from boxmot.trackers.box.ocsort.tracker import OcSort
from boxmot.trackers.common.motion import MotionModelAdapter, create_motion_model

from trackbench.tracking.config import TrackingConfig
from trackbench.tracking.kinds import SUPPORTED_KINDS

# Importing boxmot's tracker modules attaches an INFO handler to the "boxmot" logger; keep it
# quiet unless our own logger asks for debug output.
_BOXMOT_LOGGER = logging.getLogger("boxmot")
_log = logging.getLogger(__name__)


def _silence_boxmot() -> None:
    _BOXMOT_LOGGER.setLevel(logging.DEBUG if _log.isEnabledFor(logging.DEBUG) else logging.WARNING)


_silence_boxmot()


@dataclass(frozen=True, slots=True)
class TrackView:
    """One live boxmot track after an update: its id, whether a detection was matched in this
    frame, whether the kind considers it confirmed, and its box ``(x1, y1, x2, y2)``."""

    boxmot_id: int
    matched: bool
    confirmed: bool
    box: tuple[float, float, float, float]


def _xyxy(values: Any) -> tuple[float, float, float, float]:
    return (float(values[0]), float(values[1]), float(values[2]), float(values[3]))


# --- OC-SORT -------------------------------------------------------------------------------


def _build_ocsort(cfg: TrackingConfig) -> Any:
    o = cfg.ocsort
    return OcSort(
        det_thresh=cfg.det_thresh,
        max_age=cfg.max_coast_frames,
        min_hits=cfg.n_init,
        iou_threshold=cfg.iou_threshold,
        min_conf=o.min_conf,
        delta_t=o.delta_t,
        inertia=o.inertia,
        use_byte=o.use_byte,
        asso_func=o.asso_func,
        max_obs=o.max_obs,
        per_class=False,
    )


def _ocsort_views(tracker: Any) -> list[TrackView]:
    # Mirrors OcSort's own output rule: emitted when matched and (hit_streak >= min_hits or
    # still within the first min_hits frames); a new track's box is its filter state, a
    # matched one's its last observation, a coasting one's the filter's prediction.
    views = []
    early = tracker.frame_count <= tracker.min_hits
    for t in tracker.active_tracks:
        matched = t.time_since_update == 0
        observed = matched and t.last_observation[-1] >= 0
        box = _xyxy(t.last_observation) if observed else _xyxy(t.get_state()[0])
        confirmed = matched and (t.hit_streak >= tracker.min_hits or early)
        views.append(TrackView(int(t.id), matched, confirmed, box))
    return views


# --- ByteTrack -----------------------------------------------------------------------------


def _build_bytetrack(cfg: TrackingConfig) -> Any:
    o = cfg.bytetrack
    # A lost ByteTrack track stays matchable for track_buffer frames and, through a quirk of
    # its list bookkeeping, one more: track_buffer = max_coast_frames - 1 coasts exactly
    # max_coast_frames frames. ByteTrack matches on a score-fused distance: 1 - iou_threshold.
    return ByteTrack(
        track_thresh=cfg.det_thresh,
        match_thresh=1.0 - cfg.iou_threshold,
        track_buffer=cfg.max_coast_frames - 1,
        frame_rate=30,  # boxmot scales track_buffer by frame_rate / 30; keep the scale at 1
        min_conf=o.min_conf,
        min_hits=cfg.n_init,
        iou_threshold=cfg.iou_threshold,
        per_class=False,
    )


def _bytetrack_views(tracker: Any) -> list[TrackView]:
    views = []
    for t in tracker.active_tracks:
        matched = t.frame_id == tracker.frame_count
        views.append(TrackView(int(t.id), matched, bool(t.is_activated), _xyxy(t.xyxy)))
    for t in tracker.lost_stracks:
        views.append(TrackView(int(t.id), False, bool(t.is_activated), _xyxy(t.xyxy)))
    return views


def _bytetrack_compact(tracker: Any) -> None:
    # removed_stracks is never pruned by boxmot; only entries whose id is still held by a live
    # track can influence later frames (via sub_stracks), so dropping the rest is exact.
    live = {t.id for t in tracker.active_tracks} | {t.id for t in tracker.lost_stracks}
    tracker.removed_stracks = [t for t in tracker.removed_stracks if t.id in live]


# --- registry ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Kind:
    build: Callable[[TrackingConfig], Any]
    views: Callable[[Any], list[TrackView]]
    compact: Callable[[Any], None] | None = None


_KINDS: dict[str, _Kind] = {
    "ocsort": _Kind(_build_ocsort, _ocsort_views),
    "bytetrack": _Kind(_build_bytetrack, _bytetrack_views, _bytetrack_compact),
}
assert tuple(_KINDS) == SUPPORTED_KINDS, "kinds.py and the adapter registry disagree"


class TrackerAdapter:
    """A live boxmot tracker for one camera plus the knowledge of how to read its tracks."""

    def __init__(self, cfg: TrackingConfig) -> None:
        self.kind = cfg.tracker_kind
        self._tracker = _KINDS[self.kind].build(cfg)
        _silence_boxmot()

    def step(self, dets: np.ndarray) -> tuple[dict[int, tuple[float, float, float, float]], list[TrackView]]:
        """Feed one frame (``N x 6``: x1, y1, x2, y2, conf, cls). Returns the boxes boxmot
        reported by id, and every live track afterwards."""
        out = self._tracker.update(dets, None)
        reported = {int(row[4]): _xyxy(row) for row in out}
        return reported, _KINDS[self.kind].views(self._tracker)

    def compact(self) -> None:
        """Drop state that can no longer influence the output (called before snapshots)."""
        compact = _KINDS[self.kind].compact
        if compact is not None:
            compact(self._tracker)


# --- snapshots -----------------------------------------------------------------------------


def _rebuild_motion_model(kind: str, is_obb: bool, kwargs: dict[str, Any]) -> MotionModelAdapter:
    return create_motion_model(kind, is_obb=is_obb, **kwargs)


def _reduce_motion_model(model: MotionModelAdapter) -> tuple[Any, ...]:
    # The adapter holds lambdas from create_motion_model and so does not pickle; it is fully
    # determined by create_motion_model's arguments, which the lambda captured.
    factory = model._filter_factory
    cells = factory.__closure__ or ()
    captured = dict(zip(factory.__code__.co_freevars, (c.cell_contents for c in cells), strict=True))
    kwargs = {k: captured[k] for k in ("max_obs", "adaptive_kf", "cls_id") if k in captured}
    return (_rebuild_motion_model, (model.kind.value, model.is_obb, kwargs))


_DISPATCH = dict(copyreg.dispatch_table)
_DISPATCH[MotionModelAdapter] = _reduce_motion_model


def dumps_state(state: Any) -> bytes:
    """Serialize live tracker state into a self-contained snapshot."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _DISPATCH
    pickler.dump(state)
    return buffer.getvalue()


def loads_state(blob: bytes) -> Any:
    """Rebuild live tracker state from a snapshot made by :func:`dumps_state`."""
    state = pickle.loads(blob)
    _silence_boxmot()
    return state
