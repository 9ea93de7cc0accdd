"""The synthetic fish tank: determinism, camera independence, batch coverage, validation."""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trackbench.datasets.base import BoxTable
from trackbench.datasets.synthetic import DetectionArrays, SyntheticConfig, SyntheticDataset
from trackbench.errors import TrackbenchError

SMALL = SyntheticConfig(n_cameras=2, n_fish=5, n_frames=120, seed=3)


def digest(ds: SyntheticDataset) -> str:
    """SHA-256 over every camera's ground truth and detection arrays."""
    h = hashlib.sha256()
    for cam in ds.cameras():
        gt, det = ds.ground_truth(cam.camera_id), ds.detections(cam.camera_id)
        for a in (gt.frames, gt.ids, gt.boxes, gt.confidences, gt.distractor, det.frames, det.boxes):
            h.update(np.ascontiguousarray(a).tobytes())
        h.update(det.confidences.tobytes())
    return h.hexdigest()


def assert_tables_equal(a: BoxTable | DetectionArrays, b: BoxTable | DetectionArrays) -> None:
    for name in a.__dataclass_fields__:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), strict=True)


def test_default_shape() -> None:
    ds = SyntheticDataset()
    cams = ds.cameras()
    assert [c.camera_id for c in cams] == ["cam0", "cam1", "cam2", "cam3"]
    assert all((c.first_frame, c.last_frame, c.width, c.height) == (1, 600, 1280, 720) for c in cams)
    gt = ds.ground_truth("cam0")
    assert set(gt.ids.tolist()) == set(range(1, 9))
    assert gt.boxes.dtype == np.float64 and gt.frames.dtype == np.int64 and gt.ids.dtype == np.int64
    assert not gt.distractor.any()


def test_same_seed_identical_different_seed_differs() -> None:
    assert digest(SyntheticDataset(SMALL)) == digest(SyntheticDataset(SMALL))
    assert digest(SyntheticDataset(SMALL)) != digest(SyntheticDataset(replace(SMALL, seed=4)))


def test_independent_of_hash_seed() -> None:
    code = (
        "from trackbench.datasets.synthetic import SyntheticConfig, SyntheticDataset;"
        "from tests.datasets.test_synthetic import digest, SMALL;"
        "print(digest(SyntheticDataset(SMALL)))"
    )
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    for hash_seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=True
        )
        assert out.stdout.strip() == digest(SyntheticDataset(SMALL))


def test_camera_independent_of_camera_count() -> None:
    two = SyntheticDataset(replace(SMALL, n_cameras=2))
    four = SyntheticDataset(replace(SMALL, n_cameras=4))
    for cam in ("cam0", "cam1"):
        assert_tables_equal(two.ground_truth(cam), four.ground_truth(cam))
        assert_tables_equal(two.detections(cam), four.detections(cam))


def test_world_prefix_stable_when_frames_added() -> None:
    short = SyntheticDataset(replace(SMALL, n_frames=50)).world()
    long = SyntheticDataset(SMALL).world()
    np.testing.assert_array_equal(short.positions, long.positions[:50])


def test_same_fish_id_in_every_camera() -> None:
    ds = SyntheticDataset(replace(SMALL, n_cameras=3))
    for cam in ds.cameras():
        assert set(ds.ground_truth(cam.camera_id).ids.tolist()) <= set(range(1, SMALL.n_fish + 1))


@pytest.mark.parametrize("batch_size", [1, 7, 600])
def test_batches_cover_every_frame_once(batch_size: int) -> None:
    ds = SyntheticDataset(replace(SMALL, n_frames=600))
    batches = list(ds.iter_batches("cam1", batch_size))
    frames = [f for b in batches for f in b.frames]
    assert frames == list(range(1, 601))
    assert all(len(b.frames) == len(b.detections) <= batch_size for b in batches)
    assert all(b.camera_id == "cam1" for b in batches)
    det = ds.detections("cam1")
    rows = [
        (f, d.x, d.y, d.w, d.h, d.confidence)
        for b in batches
        for f, ds_ in zip(b.frames, b.detections, strict=True)
        for d in ds_
    ]
    expected = np.column_stack([det.frames, det.boxes, det.confidences]).tolist()
    assert [list(r) for r in rows] == expected


def test_boxes_and_confidences_valid() -> None:
    cfg = replace(SMALL, n_frames=300, fp_rate=2.0)
    ds = SyntheticDataset(cfg)
    for cam in ds.cameras():
        for table in (ds.ground_truth(cam.camera_id), ds.detections(cam.camera_id)):
            x, y, w, h = table.boxes.T
            assert (w > 0).all() and (h > 0).all()
            assert (x >= 0).all() and (y >= 0).all()
            assert (x + w <= cfg.image_width + 1e-9).all() and (y + h <= cfg.image_height + 1e-9).all()
            assert ((table.confidences >= 0) & (table.confidences <= 1)).all()
            assert (np.diff(table.frames) >= 0).all()
            assert table.frames.min() >= 1 and table.frames.max() <= cfg.n_frames


def test_detector_errors_present() -> None:
    """Defaults include misses, false positives and noise: detections are not the truth."""
    ds = SyntheticDataset()
    gt, det = ds.ground_truth("cam0"), ds.detections("cam0")
    assert 0.85 * len(gt) < len(det) < 1.05 * len(gt)
    assert (det.confidences < 0.5).any() and (det.confidences > 0.9).any()
    assert not np.isin(det.boxes[:, 0], gt.boxes[:, 0]).all()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("n_cameras", 0),
        ("n_fish", -1),
        ("n_frames", 1.5),
        ("miss_rate", 1.2),
        ("fp_rate", -0.1),
        ("tank_depth_m", 0.0),
        ("camera_elevation_max_deg", 90.0),
        ("camera_distance_m", 0.5),
        ("fish_speed_mps", float("nan")),
        ("seed", True),
    ],
)
def test_config_validation_names_field(field: str, value: object) -> None:
    with pytest.raises(TrackbenchError, match=field):
        SyntheticConfig(**{field: value})


def test_elevation_order_validated() -> None:
    with pytest.raises(TrackbenchError, match="camera_elevation_min_deg"):
        SyntheticConfig(camera_elevation_min_deg=50.0, camera_elevation_max_deg=20.0)


def test_unknown_camera_and_bad_batch_size() -> None:
    ds = SyntheticDataset(SMALL)
    for bad in ("cam2", "cam01", "camera0", "0"):
        with pytest.raises(TrackbenchError, match=re.escape("cam0..cam1")):
            ds.ground_truth(bad)
    with pytest.raises(TrackbenchError, match="batch_size"):
        ds.iter_batches("cam0", 0)


def test_pickles_config_only() -> None:
    ds = SyntheticDataset(SMALL)
    before = digest(ds)
    blob = pickle.dumps(ds)
    assert len(blob) < 4096  # caches are not pickled
    clone = pickle.loads(blob)
    assert clone.config == SMALL and digest(clone) == before


@settings(max_examples=25, deadline=None)
@given(
    n_cameras=st.integers(1, 3),
    n_fish=st.integers(1, 6),
    n_frames=st.integers(1, 40),
    seed=st.integers(0, 2**32),
    batch_size=st.integers(1, 50),
    miss_rate=st.floats(0.0, 1.0),
    fp_rate=st.floats(0.0, 3.0),
)
def test_small_configs_property(
    n_cameras: int, n_fish: int, n_frames: int, seed: int, batch_size: int, miss_rate: float, fp_rate: float
) -> None:
    cfg = SyntheticConfig(
        n_cameras=n_cameras, n_fish=n_fish, n_frames=n_frames, seed=seed, miss_rate=miss_rate, fp_rate=fp_rate
    )
    ds = SyntheticDataset(cfg)
    for cam in ds.cameras():
        batches = list(ds.iter_batches(cam.camera_id, batch_size))
        assert [f for b in batches for f in b.frames] == list(range(1, n_frames + 1))
        n_dets = sum(len(d) for b in batches for d in b.detections)
        assert n_dets == len(ds.detections(cam.camera_id))
        dets = [d for b in batches for ds_ in b.detections for d in ds_]
        assert all(0.0 <= d.confidence <= 1.0 and d.w > 0 and d.h > 0 for d in dets)
        gt = ds.ground_truth(cam.camera_id)
        assert ((gt.ids >= 1) & (gt.ids <= n_fish)).all()
        assert len(np.unique(np.column_stack([gt.frames, gt.ids]), axis=0)) == len(gt)
    assert digest(ds) == digest(SyntheticDataset(cfg))
