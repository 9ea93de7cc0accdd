"""Reading boxmot's internal track lists, one rule per tracker kind (see docs/tracklets.md).

boxmot's ``update()`` returns only tracks that are confirmed *and* matched in the current
frame. To report probationary and coasted frames we read each kind's track objects here. The
functions only read attributes (no boxmot import: :mod:`trackbench.tracking.adapter` stays the
one door); each mirrors the output rule of the kind's own ``update()``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

Box = tuple[float, float, float, float]  # x1, y1, x2, y2

# One live boxmot track after an update: ``(boxmot_id, matched, confirmed, box)`` -- its id,
# whether a detection was matched in this frame, whether the kind considers it confirmed, and
# its box. A track ``update()`` reported is matched and confirmed, with the reported box.
# A plain tuple: a few dozen are made per frame on the hot path, and a tuple display costs a
# fraction of a NamedTuple's or dataclass's constructor.
TrackView = tuple[int, bool, bool, Box]


def xyxy(values: Any) -> Box:
    x1, y1, x2, y2 = values.tolist()[:4]
    return (x1, y1, x2, y2)


def xysr_box(state: Any) -> Box:
    """``get_state()[0]`` of an OC-SORT/SORT track (boxmot's ``xysr_state_to_xyxy`` on ``kf.x``)
    without its array round trips: the same IEEE operations on the same doubles give the same
    box (pinned by a test), at a fraction of the cost for the many coasting tracks per frame."""
    cx, cy, s, r = state.ravel().tolist()[:4]
    w = math.sqrt(max(s * r, 1e-12))
    h = s / max(w, 1e-6)
    return (cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0)


def _hit_streak_rule(tracker: Any, t: Any) -> bool:
    # SORT family: emitted when matched and (hit_streak >= min_hits or still within the first
    # min_hits frames of the sequence).
    return t.time_since_update == 0 and (t.hit_streak >= tracker.min_hits or tracker.frame_count <= tracker.min_hits)


def _override(views: list[TrackView], reported: dict[int, Box]) -> list[TrackView]:
    # A track boxmot reported this frame is matched and confirmed, with the box boxmot gave.
    if not reported:
        return views
    return [(v[0], True, True, reported[v[0]]) if v[0] in reported else v for v in views]


def ocsort_views(tracker: Any, reported: dict[int, Box]) -> list[TrackView]:
    # A new track's box is its filter state, a matched one's its last observation, a coasting
    # one's the filter's prediction. Reported tracks are skipped first: most live tracks are.
    views = []
    early = tracker.frame_count <= tracker.min_hits
    min_hits = tracker.min_hits
    for t in tracker.active_tracks:
        track_id = int(t.id)
        box = reported.get(track_id)
        if box is not None:
            views.append((track_id, True, True, box))
        elif t.time_since_update == 0:
            obs = t.last_observation.tolist()
            box = (obs[0], obs[1], obs[2], obs[3]) if obs[-1] >= 0 else xysr_box(t.kf.x)
            views.append((track_id, True, early or t.hit_streak >= min_hits, box))
        else:
            views.append((track_id, False, False, xysr_box(t.kf.x)))
    return views


def sort_views(tracker: Any, reported: dict[int, Box]) -> list[TrackView]:
    # Like SORT itself, the box is always the Kalman filter's state (posterior when matched).
    views = []
    for t in tracker.active_tracks:
        track_id = int(t.id)
        box = reported.get(track_id)
        if box is not None:
            views.append((track_id, True, True, box))
        else:
            views.append((track_id, t.time_since_update == 0, _hit_streak_rule(tracker, t), xysr_box(t.kf.x)))
    return views


def bytetrack_views(tracker: Any, reported: dict[int, Box]) -> list[TrackView]:
    """ByteTrack and BoT-SORT: confirmed means ``is_activated``; the box is the filtered one."""
    views = []
    for t in tracker.active_tracks:
        matched = t.frame_id == tracker.frame_count
        views.append((int(t.id), matched, bool(t.is_activated), xyxy(t.xyxy)))
    for t in tracker.lost_stracks:
        views.append((int(t.id), False, bool(t.is_activated), xyxy(t.xyxy)))
    return _override(views, reported)


def sfsort_views(tracker: Any, reported: dict[int, Box]) -> list[TrackView]:
    # SFSORT has no motion model and no probation: a track's box is its last detection, frozen
    # while the track is lost.
    views = [(int(t.id), t.last_frame == tracker.frame_count, True, xyxy(t.bbox)) for t in tracker.active_tracks]
    views.extend((int(t.id), False, True, xyxy(t.bbox)) for t in tracker.lost_tracks)
    return _override(views, reported)


def _passes_output_filter(tracker: Any, box: np.ndarray) -> bool:
    # BoostTrack's filter_outputs_by_geometry, on the same float32 row it would see.
    x1, y1, x2, y2 = np.asarray(box[:4], dtype=np.float32)
    width, height = x2 - x1, y2 - y1
    keep = True
    if tracker.aspect_ratio_thresh is not None:
        keep &= bool(width / np.maximum(height, np.float32(1e-6)) <= tracker.aspect_ratio_thresh)
    if tracker.min_box_area is not None:
        keep &= bool(width * height > tracker.min_box_area)
    return keep


def boosttrack_views(tracker: Any, reported: dict[int, Box]) -> list[TrackView]:
    """BoostTrack and OccluBoost: the hit-streak rule, OccluBoost's activation on top, and the
    output box filter (a box boxmot would drop does not confirm its track in that frame)."""
    views = []
    for t in tracker.trackers:
        box = t.get_state()[0]
        confirmed = (
            _hit_streak_rule(tracker, t) and getattr(t, "is_activated", True) and _passes_output_filter(tracker, box)
        )
        views.append((int(t.id), t.time_since_update == 0, confirmed, xyxy(box)))
    return _override(views, reported)


def compact_removed(tracker: Any) -> None:
    """ByteTrack: ``removed_stracks`` is never pruned by boxmot; only entries whose id is still
    held by a live track can influence later frames (via ``sub_stracks``), so dropping the rest is
    exact. Not for BoT-SORT: its ``removed_stracks`` is a bounded deque, where dropping dead
    entries would delay the eviction of live ones and so change behaviour."""
    live = {t.id for t in tracker.active_tracks} | {t.id for t in tracker.lost_stracks}
    tracker.removed_stracks = [t for t in tracker.removed_stracks if t.id in live]


def reported_views(reported: dict[int, Box]) -> list[TrackView]:
    """C++ trackers cannot be inspected: the tracks ``update()`` reported are all we see, each
    matched and confirmed in this frame."""
    return [(boxmot_id, True, True, box) for boxmot_id, box in sorted(reported.items())]
