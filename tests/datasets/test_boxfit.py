"""Rows boxmot would reject are found in the dataset layer: the same verdict as boxmot's own
input check, and a one-line error naming the det file's line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from trackbench.datasets.boxfit import first_unfit
from trackbench.datasets.motfile import read_detections
from trackbench.errors import TrackbenchError
from trackbench.tracking.adapter import TrackerAdapter
from trackbench.tracking.config import TrackingConfig
from trackbench.tracking.stage import detections_array
from trackbench.types import Detection


def boxmot_rejects(x: float, y: float, w: float, h: float, score: float, cls: int | float | None) -> bool:
    """Whether boxmot's own update() refuses this one-row frame (the tracker is built fresh)."""
    dets = detections_array((Detection(x, y, w, h, score, cls),))  # type: ignore[arg-type]
    try:
        TrackerAdapter(TrackingConfig(tracker_kind="ocsort")).step(dets)
    except ValueError:
        return True
    return False


def verdict(x: float, y: float, w: float, h: float, score: float, cls: int | float | None = None) -> bool:
    classes = None if cls is None else np.array([cls], np.float64)
    return first_unfit(np.array([[x, y, w, h]]), np.array([score]), classes) is not None


@pytest.mark.parametrize(
    "row",
    [
        (10.0, 20.0, 1e300, 5.0, 0.5, None),  # finite as float64, not as float32
        (1e39, 20.0, 5.0, 5.0, 0.5, None),
        (10.0, 20.0, 5.0, 1e308 * 1.7, 0.5, None),
        (1e8, 20.0, 1.0, 5.0, 0.5, None),  # x2 == x1 in float32
        (10.0, 3e7, 5.0, 0.5, 0.5, None),  # y2 == y1 in float32
        (10.0, 20.0, 5.0, 5.0, 0.5, -1),
        (10.0, 20.0, 5.0, 5.0, 0.5, 1.5),
        (10.0, 20.0, 5.0, 5.0, 1.5, None),
        (-10.0, -20.0, 5.0, 5.0, 0.0, 3),  # accepted: negative corners are fine
        (1e7, 20.0, 1.0, 5.0, 1.0, 0),  # accepted: 1e7 + 1 is exact in float32
    ],
)
def test_same_verdict_as_boxmot(row: tuple) -> None:
    assert verdict(*row) == boxmot_rejects(*row)


@given(
    x=st.floats(-1e39, 1e39, allow_nan=False) | st.sampled_from([1e8, 3e7, 1e300, -1e300]),
    y=st.floats(-1e39, 1e39, allow_nan=False),
    w=st.floats(1e-9, 1e301, allow_nan=False) | st.sampled_from([0.5, 1.0, 2.0]),
    h=st.floats(1e-9, 1e301, allow_nan=False),
    cls=st.none() | st.integers(-2, 3) | st.sampled_from([0.5, 2.0]),
)
def test_same_verdict_as_boxmot_property(x: float, y: float, w: float, h: float, cls) -> None:
    assert verdict(x, y, w, h, 0.5, cls) == boxmot_rejects(x, y, w, h, 0.5, cls)


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("1,-1,10,20,1e300,40,0.5", r"det\.txt:3: x \+ w = 1e\+300 is not finite as float32"),
        ("1,-1,100000000,20,1,40,0.5", r"det\.txt:3: x \+ w = 100000000\.0 is not > x = 100000000\.0 in float32"),
        ("1,-1,10,30000000,5,0.5,0.5", r"det\.txt:3: y \+ h = 30000000\.0 is not > y"),
        ("1,-1,1e39,20,5,5,0.5", r"det\.txt:3: x = 1e\+39 is not finite as float32"),
        ("1,-1,1e308,20,1e308,5,0.5", r"det\.txt:3: x \+ w overflows"),
    ],
)
def test_det_row_boxmot_would_reject_names_file_and_line(tmp_path: Path, row: str, message: str) -> None:
    path = write(tmp_path / "det.txt", f"1,-1,1,2,3,4,0.5\n2,-1,1,2,3,4,0.5\n{row}\n")
    with pytest.raises(TrackbenchError, match=message) as info:
        read_detections(path)
    assert "\n" not in str(info.value)


def test_rows_dropped_by_min_score_never_reach_the_tracker(tmp_path: Path) -> None:
    path = write(tmp_path / "det.txt", "1,-1,1,2,3,4,0.9\n1,-1,100000000,20,1,40,0.1\n")
    assert len(read_detections(path, min_score=0.5)) == 1
    with pytest.raises(TrackbenchError, match=r"det\.txt:2:"):
        read_detections(path)


def test_minmax_scores_that_overflow_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "det.txt", "1,-1,1,2,3,4,1e308\n1,-1,1,2,3,4,-1e308\n")
    with pytest.raises(TrackbenchError, match=r"det\.txt:1: score nan \(as given to the tracker\)"):
        read_detections(path, score_map="minmax")
