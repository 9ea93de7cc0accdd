"""Parity: the ``sort`` kind against a transcription of Bewley's reference SORT (sort.py, 2016).

The reference keeps its own Kalman filter (filterpy) and association; boxmot's parts must give
the same ids and boxes frame by frame (boxes to float32 output precision).
"""

from __future__ import annotations

import numpy as np
import pytest

from trackbench.tracking.adapter import TrackerAdapter
from trackbench.tracking.config import TrackingConfig
from trackbench.tracking.stage import detections_array

from .scenes import scene

filterpy = pytest.importorskip("filterpy.kalman")
linear_sum_assignment = pytest.importorskip("scipy.optimize").linear_sum_assignment


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = a[:, None, :], b[None, :, :]
    w = np.maximum(0.0, np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]))
    h = np.maximum(0.0, np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]))
    inter = w * h
    area = lambda x: (x[..., 2] - x[..., 0]) * (x[..., 3] - x[..., 1])  # noqa: E731
    return inter / (area(a) + area(b) - inter)


def _z(b):
    w, h = b[2] - b[0], b[3] - b[1]
    return np.array([b[0] + w / 2, b[1] + h / 2, w * h, w / h]).reshape(4, 1)


def _box(x):
    w = np.sqrt(x[2] * x[3])
    h = x[2] / w
    return np.array([x[0] - w / 2, x[1] - h / 2, x[0] + w / 2, x[1] + h / 2]).reshape(-1)


class _Track:
    def __init__(self, det, track_id):
        kf = filterpy.KalmanFilter(dim_x=7, dim_z=4)
        kf.F = np.eye(7) + np.eye(7, k=4)
        kf.H = np.eye(4, 7)
        kf.R[2:, 2:] *= 10.0
        kf.P[4:, 4:] *= 1000.0
        kf.P *= 10.0
        kf.Q[-1, -1] *= 0.01
        kf.Q[4:, 4:] *= 0.01
        kf.x[:4] = _z(det)
        self.kf, self.id = kf, track_id
        self.time_since_update = self.hit_streak = 0

    def predict(self):
        if self.kf.x[6] + self.kf.x[2] <= 0:
            self.kf.x[6] *= 0.0
        self.kf.predict()
        if self.time_since_update > 0:
            self.hit_streak = 0
        self.time_since_update += 1
        return _box(self.kf.x)

    def update(self, det):
        self.time_since_update = 0
        self.hit_streak += 1
        self.kf.update(_z(det))


def reference_sort(frames, max_age, min_hits, iou_threshold):
    """Bewley's Sort.update loop; yields {id: box} per frame."""
    tracks, next_id = [], 0
    for frame_count, dets in enumerate(frames, start=1):
        trks = np.array([t.predict() for t in tracks]).reshape(-1, 4)
        matches = np.empty((0, 2), dtype=int)
        if len(tracks) and len(dets):
            iou = _iou(dets, trks)
            a = (iou > iou_threshold).astype(int)
            if a.sum(1).max() == 1 and a.sum(0).max() == 1:
                matches = np.stack(np.where(a), axis=1)
            else:
                matches = np.stack(linear_sum_assignment(-iou), axis=1)
            matches = matches[iou[matches[:, 0], matches[:, 1]] >= iou_threshold]
        for d, t in matches:
            tracks[t].update(dets[d])
        for d in sorted(set(range(len(dets))) - set(matches[:, 0].tolist())):
            tracks.append(_Track(dets[d], next_id))
            next_id += 1
        out = {}
        for t in tracks:
            if t.time_since_update < 1 and (t.hit_streak >= min_hits or frame_count <= min_hits):
                out[t.id] = _box(t.kf.x)
        tracks = [t for t in tracks if t.time_since_update <= max_age]
        yield out


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize(("max_coast", "n_init"), [(1, 3), (5, 2)])
def test_sort_matches_reference(seed, max_coast, n_init):
    cfg = TrackingConfig(tracker_kind="sort", max_coast_frames=max_coast, n_init=n_init)
    frames = [detections_array(d) for d in scene(seed, n_frames=100, n_targets=6, miss=0.15, fp=0.5)]
    frames = [f[f[:, 4] > cfg.det_thresh] for f in frames]  # SORT itself takes every box it is given
    tracker = TrackerAdapter(cfg)._tracker
    ref = reference_sort([f[:, :4] for f in frames], max_coast, n_init, cfg.iou_threshold)
    id_map: dict[int, int] = {}
    n_rows = 0
    for dets, expected in zip(frames, ref, strict=True):
        got = {int(r[4]): r[:4] for r in tracker.update(dets, None)}
        assert len(got) == len(expected)
        for boxmot_id, box in got.items():
            ref_id = next(i for i, b in expected.items() if np.allclose(b, box, atol=1e-3))
            assert id_map.setdefault(boxmot_id, ref_id) == ref_id
            n_rows += 1
    assert n_rows > 300
