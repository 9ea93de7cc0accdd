"""TudDataset: the TUD files shipped in the installed motmetrics wheel (CRLF), loaded via motfile."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest

from trackbench.datasets.tud import TUD_SEQUENCES, TudDataset, motmetrics_data_dir
from trackbench.errors import TrackbenchError
from trackbench.types import CameraInfo

# Counts from shared/data/tud/SOURCE.md: frames, gt rows, gt ids, tracker (test.txt) rows.
EXPECTED = {"TUD-Campus": (71, 359, 8, 222), "TUD-Stadtmitte": (179, 1156, 10, 749)}


def test_files_are_where_expected_and_crlf() -> None:
    for seq in TUD_SEQUENCES:
        for name in ("gt.txt", "test.txt"):
            assert b"\r\n" in (motmetrics_data_dir() / seq / name).read_bytes()


def test_cameras_and_ground_truth() -> None:
    ds = TudDataset()
    assert ds.name == "tud"
    assert ds.cameras() == tuple(CameraInfo(seq, 1, EXPECTED[seq][0]) for seq in TUD_SEQUENCES)
    for seq, (_, gt_rows, gt_ids, _) in EXPECTED.items():
        gt = ds.ground_truth(seq)
        assert len(gt) == gt_rows and len(np.unique(gt.ids)) == gt_ids
        assert not gt.distractor.any()
    assert ds.ground_truth("TUD-Campus").boxes[0].tolist() == [399.0, 182.0, 121.0, 229.0]


@pytest.mark.parametrize("batch_size", [1, 7, 71, 500])
def test_detections_are_tracker_output_without_ids(batch_size: int) -> None:
    ds = TudDataset(sequences=["TUD-Campus"])
    batches = list(ds.iter_batches("TUD-Campus", batch_size))
    assert [f for b in batches for f in b.frames] == list(range(1, 72))
    dets = [d for b in batches for frame in b.detections for d in frame]
    assert len(dets) == EXPECTED["TUD-Campus"][3]
    # test.txt's confidence is -1 everywhere; the default minmax rule maps a constant to 1.0.
    assert {d.confidence for d in dets} == {1.0}
    first = batches[0].detections[0][0]
    assert (first.x, first.y, first.w, first.h) == (113.84, 274.5, 57.307, 130.05)


def test_subset_range_and_errors() -> None:
    ds = TudDataset(sequences=("TUD-Stadtmitte",), frame_range=(100, 500))
    assert ds.cameras() == (CameraInfo("TUD-Stadtmitte", 100, 179),)
    assert ds.ground_truth("TUD-Stadtmitte").frames.min() >= 100
    with pytest.raises(TrackbenchError, match="unknown TUD sequence"):
        TudDataset(sequences=("TUD-Crossing",))
    with pytest.raises(TrackbenchError, match=r"test\.txt:1: score -1 is outside \[0, 1\]"):
        list(TudDataset(score_map="none").iter_batches("TUD-Campus", 10))


def test_pickles() -> None:
    ds = TudDataset()
    ds.cameras()
    clone = pickle.loads(pickle.dumps(ds))
    assert list(clone.iter_batches("TUD-Campus", 30)) == list(ds.iter_batches("TUD-Campus", 30))


def test_does_not_import_motmetrics() -> None:
    code = (
        "import sys; from trackbench.datasets.tud import TudDataset; ds = TudDataset(); ds.cameras(); "
        "list(ds.iter_batches('TUD-Campus', 10)); assert 'motmetrics' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
