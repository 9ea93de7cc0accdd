"""The fast OC-SORT/SORT box equals boxmot's own get_state() exactly, on every track and frame."""

from __future__ import annotations

import pytest

from trackbench.tracking.adapter import TrackerAdapter
from trackbench.tracking.config import TrackingConfig
from trackbench.tracking.stage import detections_array
from trackbench.tracking.views import xysr_box, xyxy

from .scenes import scene


@pytest.mark.parametrize("kind", ["ocsort", "sort"])
def test_xysr_box_is_get_state(kind):
    tracker = TrackerAdapter(TrackingConfig(tracker_kind=kind))._tracker
    checked = 0
    for dets in scene(4, n_frames=120, n_targets=6, miss=0.2, fp=0.5):
        tracker.update(detections_array(dets), None)
        for t in tracker.active_tracks:
            assert xysr_box(t.kf.x) == xyxy(t.get_state()[0])
            checked += 1
    assert checked > 500
