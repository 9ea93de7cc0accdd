"""Per-kind behaviour the common tests cannot pin: refusals, what n_init means for each kind,
BoostTrack/OccluBoost's output box filter, SFSORT's frame size and border coasting."""

from __future__ import annotations

import pytest

from trackbench.errors import TrackbenchError
from trackbench.tracking.adapter import TrackerAdapter
from trackbench.tracking.config import BoostTrackOptions, OccluBoostOptions, SfSortOptions, TrackingConfig
from trackbench.tracking.kinds import APPEARANCE_KINDS, SUPPORTED_KINDS
from trackbench.tracking.stage import TrackingStage, detections_array
from trackbench.types import CameraBatch, CarryForward, Detection, TrackingContext

from .test_stage import steady, whole


@pytest.mark.parametrize("kind", APPEARANCE_KINDS)
def test_appearance_kinds_are_refused_before_any_work(kind):
    with pytest.raises(TrackbenchError, match=r"needs appearance \(ReID\) weights and is not supported offline"):
        TrackingStage(TrackingConfig(tracker_kind=kind))


# Frames between a track's birth and the first frame boxmot reports it, once the sequence is
# past its first n_init frames (when the hit-streak kinds report everything matched).
_REPORT_DELAY = {
    "ocsort": lambda n: n,
    "sort": lambda n: n,
    "boosttrack": lambda n: n,
    "occluboost": lambda n: n,  # born above instant_confirm_thresh, so active at once
    "bytetrack": lambda n: 1,  # n_init ignored: matched again in the next frame
    "botsort": lambda n: 1,
    "sfsort": lambda n: 0,  # no probation at all
}


@pytest.mark.parametrize("n_init", [2, 5])
@pytest.mark.parametrize("kind", SUPPORTED_KINDS)
def test_what_n_init_means_per_kind(kind, n_init):
    late = [()] * 10 + steady(20, x0=500.0)
    dets = [a + b for a, b in zip(steady(30), late, strict=True)]
    tracker = TrackerAdapter(TrackingConfig(tracker_kind=kind, n_init=n_init))._tracker
    first_seen: dict[int, int] = {}
    for frame, frame_dets in enumerate(dets, start=1):
        for row in tracker.update(detections_array(frame_dets), None):
            first_seen.setdefault(int(row[4]), frame)
    assert max(first_seen.values()) - 11 == _REPORT_DELAY[kind](n_init)
    # Our tracklet of the late target starts at its birth whatever boxmot's delay.
    ts = whole(kind, {"c": dets}, n_init=n_init)
    assert [t.frames[0] for t in ts] == [1, 11]


def _fish(n: int) -> list[tuple[Detection, ...]]:
    return [(Detection(100.0 + 3 * f, 200.0, 120.0, 30.0, 0.9),) for f in range(n)]  # w/h = 4


@pytest.mark.parametrize("kind", ["boosttrack", "occluboost"])
def test_output_box_filter_keeps_fish_by_default_and_is_honoured_when_set(kind):
    (t,) = whole(kind, {"c": _fish(15)})
    assert t.frames == tuple(range(1, 16))
    options = {"boosttrack": BoostTrackOptions, "occluboost": OccluBoostOptions}[kind]
    strict = {kind: options(aspect_ratio_thresh=1.6)}
    tracker = TrackerAdapter(TrackingConfig(tracker_kind=kind, **strict))._tracker
    assert all(len(tracker.update(detections_array(d), None)) == 0 for d in _fish(15))
    assert whole(kind, {"c": _fish(15)}, **strict) == (), "a track boxmot never reports is not output"


def _sfsort_tracker(stage: TrackingStage, camera: str, dets) -> object:
    _, carry = stage.run(TrackingContext((CameraBatch(camera, (1,), (dets,)),)), CarryForward())
    state, _ = stage._restore(camera, carry.get(camera))  # continues the live tracker
    return state.tracker._tracker


def test_sfsort_takes_the_camera_frame_size():
    stage = TrackingStage(TrackingConfig(tracker_kind="sfsort"), frame_sizes={"small": (640, 480)})
    small, other = _sfsort_tracker(stage, "small", ()), _sfsort_tracker(stage, "other", ())
    assert (small.frame_width, small.frame_height) == (640, 480)
    assert (other.frame_width, other.frame_height) == (1280, 720), "config fallback"


def test_sfsort_border_tracks_coast_marginal_coast_frames():
    def target(x: float) -> list[tuple[Detection, ...]]:
        return [(Detection(x, 200.0, 40.0, 60.0, 0.9),)] * 10 + [()] * 10

    dets = [a + b for a, b in zip(target(5.0), target(300.0), strict=True)]
    cfg = TrackingConfig(
        tracker_kind="sfsort",
        max_coast_frames=5,
        sfsort=SfSortOptions(marginal_coast_frames=2, horizontal_margin=50),
    )
    stage = TrackingStage(cfg, frame_sizes={"c": (640, 480)})
    ctx, _ = stage.run(TrackingContext((CameraBatch("c", tuple(range(1, 21)), tuple(dets)),)), CarryForward())
    border, centre = sorted(ctx.tracklets, key=lambda t: t.bboxes[0][0])
    assert border.frame_status.count("coasted") == 2
    assert centre.frame_status.count("coasted") == 5
