"""MotDataset over MOTChallenge-layout folders: cameras, batches, ranges, errors, real MOT17 data."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trackbench.datasets.base import Dataset
from trackbench.datasets.mot import MotDataset
from trackbench.errors import TrackbenchError
from trackbench.types import CameraInfo

from ..shared_data import shared

SEQINFO = "[Sequence]\nname={name}\nimDir=img1\nframeRate=25\nseqLength={length}\nimWidth=640\nimHeight=480\n"


def make_sequence(root: Path, name: str, det: str, gt: str | None = None, length: int | None = None) -> None:
    (root / name / "det").mkdir(parents=True)
    (root / name / "det" / "det.txt").write_text(det)
    if gt is not None:
        (root / name / "gt").mkdir()
        (root / name / "gt" / "gt.txt").write_text(gt)
    if length is not None:
        (root / name / "seqinfo.ini").write_text(SEQINFO.format(name=name, length=length))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    # B: frames 2 and 5 only, unsorted, no seqinfo (length from the gt's last frame, 6).
    make_sequence(
        tmp_path,
        "B",
        "5,-1,1,1,2,2,0.7\n2,-1,3,3,4,4,0.9\n5,-1,9,9,2,2,0.8\n",
        "1,1,1,1,2,2,1,1,1\n6,1,1,1,2,2,1,1,1\n6,2,1,1,2,2,0,8,1\n",
    )
    make_sequence(tmp_path, "A", "1,-1,1,1,2,2,0.5\n3,-1,1,1,2,2,0.5\n", "1,7,1,1,2,2,1,1,1\n", length=10)
    (tmp_path / "notes").mkdir()  # a folder without det/det.txt is not a sequence
    return tmp_path


def test_cameras_default_selection_and_seqinfo(root: Path) -> None:
    ds: Dataset = MotDataset(root)
    assert ds.cameras() == (
        CameraInfo("A", 1, 10, width=640, height=480, frame_rate=25.0),
        CameraInfo("B", 1, 6),
    )


def test_batches_contents(root: Path) -> None:
    batches = list(MotDataset(root).iter_batches("B", 4))
    assert [b.frames for b in batches] == [(1, 2, 3, 4), (5, 6)]
    assert all(b.camera_id == "B" for b in batches)
    first, second = batches
    assert [len(d) for d in first.detections] == [0, 1, 0, 0]
    assert first.detections[1][0].x == 3.0 and first.detections[1][0].confidence == 0.9
    assert [(d.x, d.confidence) for d in second.detections[0]] == [(1.0, 0.7), (9.0, 0.8)]
    assert second.detections[1] == ()


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch_size=st.integers(1, 12), first=st.integers(1, 6), span=st.integers(0, 12))
def test_batches_cover_each_frame_once_in_order(root: Path, batch_size: int, first: int, span: int) -> None:
    ds = MotDataset(root, frame_range=(first, first + span))
    whole = [det for b in MotDataset(root).iter_batches("A", 1) for det in b.detections]
    for cam in ds.cameras():
        batches = list(ds.iter_batches(cam.camera_id, batch_size))
        frames = [f for b in batches for f in b.frames]
        assert frames == list(range(cam.first_frame, cam.last_frame + 1))
        assert all(len(b.frames) == len(b.detections) <= batch_size for b in batches)
        if cam.camera_id == "A":  # same detections per frame whatever the batching and range
            dets = [d for b in batches for d in b.detections]
            assert dets == whole[cam.first_frame - 1 : cam.last_frame]


def test_subset_and_frame_range(root: Path) -> None:
    ds = MotDataset(root, sequences=("B",), frame_range=(2, 100))
    assert ds.cameras() == (CameraInfo("B", 2, 6),)
    gt = ds.ground_truth("B")
    assert gt.frames.tolist() == [6, 6] and gt.distractor.tolist() == [False, True]
    assert len(MotDataset(root, frame_range=(2, 5)).ground_truth("A")) == 0
    with pytest.raises(TrackbenchError, match="lies beyond the end of B"):
        MotDataset(root, sequences=("B",), frame_range=(7, 9)).cameras()
    with pytest.raises(TrackbenchError, match=r"^dataset\.last_frame=2 is before dataset\.first_frame=5$"):
        MotDataset(root, frame_range=(5, 2))
    with pytest.raises(TrackbenchError, match=r"^dataset\.first_frame=0 must be >= 1"):
        MotDataset(root, frame_range=(0, 2))
    with pytest.raises(
        TrackbenchError, match=r"^dataset\.first_frame=7 lies beyond the end of B \(its last frame is 6\)$"
    ):
        MotDataset(root, sequences=("B",), frame_range=(7, None)).cameras()


def test_errors_name_paths(root: Path) -> None:
    with pytest.raises(TrackbenchError, match="missing: dataset folder not found"):
        MotDataset(root / "missing")
    with pytest.raises(TrackbenchError, match=r"C: sequence folder not found"):
        MotDataset(root, sequences=("A", "C"))
    with pytest.raises(TrackbenchError, match=r"notes/det/det\.txt: detection file not found"):
        MotDataset(root, sequences=("notes",))
    with pytest.raises(TrackbenchError, match=r"no sequence folder with a det/det\.txt"):
        MotDataset(root / "notes")
    with pytest.raises(TrackbenchError, match="unknown camera 'Z'; cameras are A, B"):
        MotDataset(root).iter_batches("Z", 4)
    with pytest.raises(TrackbenchError, match="batch_size must be >= 1"):
        MotDataset(root).iter_batches("A", 0)
    with pytest.raises(TrackbenchError, match="score_map 'scale' is not one of"):
        MotDataset(root, score_map="scale")  # type: ignore[arg-type]
    (root / "A" / "gt" / "gt.txt").unlink()
    with pytest.raises(TrackbenchError, match=r"A/gt/gt\.txt: ground-truth file not found"):
        MotDataset(root).ground_truth("A")


def test_bad_rows_reported_through_dataset(root: Path) -> None:
    (root / "A" / "det" / "det.txt").write_text("1,-1,1,1,2,2,0.5\n11,-1,1,1,2,2,0.5\n")
    with pytest.raises(TrackbenchError, match=r"A/det/det\.txt:2: frame 11 is beyond the sequence end 10"):
        list(MotDataset(root).iter_batches("A", 5))
    (root / "A" / "seqinfo.ini").write_text("[Sequence]\nseqLength=ten\n")
    with pytest.raises(TrackbenchError, match=r"seqinfo\.ini: seqLength='ten' is not a positive number"):
        MotDataset(root).cameras()
    # every frame up to seqLength is tracked: a typo's trillion frames would never end
    (root / "A" / "seqinfo.ini").write_text("[Sequence]\nseqLength=999999999999\n")
    with pytest.raises(TrackbenchError, match=r"seqinfo\.ini: seqLength='999999999999' is too large"):
        MotDataset(root).cameras()


def test_pickles_without_parsed_arrays(root: Path) -> None:
    ds = MotDataset(root, score_map="clip", min_score=0.6)
    before = list(ds.iter_batches("B", 3))
    size_cold = len(pickle.dumps(MotDataset(root, score_map="clip", min_score=0.6)))
    clone = pickle.loads(pickle.dumps(ds))
    assert len(pickle.dumps(ds)) == size_cold  # the cache is not pickled
    assert list(clone.iter_batches("B", 3)) == before
    assert clone.cameras() == ds.cameras()


def test_mot17_class_filtering_on_real_file() -> None:
    root = shared() / "mot17"
    ds = MotDataset(root, sequences=("MOT17-02-DPM", "MOT17-09-FRCNN"), score_map="clip")
    assert ds.cameras()[0] == CameraInfo("MOT17-02-DPM", 1, 600, 1920, 1080, 30.0)
    gt = ds.ground_truth("MOT17-02-DPM")
    targets = ~gt.distractor
    # Counts from shared/data/mot17/SOURCE.md: 18581 scored pedestrians, 62 ids.
    assert int(targets.sum()) == 18581 and len(np.unique(gt.ids[targets])) == 62
    # Distractors: classes 2 (1549), 7 (5271), 8 (1200); 4 and 9 are dropped.
    assert int(gt.distractor.sum()) == 1549 + 5271 + 1200
    assert np.all(np.diff(gt.frames) >= 0)
    assert int((~ds.ground_truth("MOT17-09-FRCNN").distractor).sum()) == 5325
    everything = MotDataset(root, sequences=("MOT17-02-DPM",), target_classes=None, zero_conf="target")
    assert len(everything.ground_truth("MOT17-02-DPM")) == 30003


def test_mot17_detections_score_rules_on_real_files() -> None:
    root = shared() / "mot17"
    with pytest.raises(TrackbenchError, match=r"MOT17-02-DPM/det/det\.txt:\d+: score .* is outside \[0, 1\]"):
        list(MotDataset(root, sequences=("MOT17-02-DPM",)).iter_batches("MOT17-02-DPM", 50))
    ds = MotDataset(root, sequences=("MOT17-02-DPM", "MOT17-02-FRCNN"), min_score=0.0, score_map="minmax")
    for cam in ds.cameras():
        batches = list(ds.iter_batches(cam.camera_id, 100))
        dets = [d for b in batches for frame in b.detections for d in frame]
        assert [f for b in batches for f in b.frames] == list(range(1, 601))
        assert all(0.0 <= d.confidence <= 1.0 and d.w > 0 and d.h > 0 for d in dets)
    # 7-column FRCNN-dir file: 8186 rows, all kept (scores 0.05..1.0 >= 0).
    assert sum(len(f) for b in ds.iter_batches("MOT17-02-FRCNN", 600) for f in b.detections) == 8186


def test_every_shared_sequence_loads() -> None:
    data = shared()
    for folder in ("mot15", "mot16", "mot17", "tud"):
        ds = MotDataset(data / folder, score_map="clip")
        for cam in ds.cameras():
            assert cam.width and cam.height and cam.frame_rate
            n = sum(len(b.frames) for b in ds.iter_batches(cam.camera_id, 256))
            assert n == cam.last_frame - cam.first_frame + 1
            if (data / folder / cam.camera_id / "gt" / "gt.txt").is_file():
                assert len(ds.ground_truth(cam.camera_id)) > 0
