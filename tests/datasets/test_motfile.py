"""MOTChallenge file parsing: layouts, line endings, conventions, one-line errors, round trip."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trackbench.datasets.motfile import read_detections, read_ground_truth, read_results, write_results
from trackbench.errors import TrackbenchError


def write(path: Path, text: str, newline: str = "\n") -> Path:
    path.write_bytes(text.replace("\n", newline).encode())
    return path


DET7 = "2,-1,10,20,30,40,0.5\n1,-1,1.5,2.5,3.5,4.5,0.9\n2,-1,5,6,7,8,1\n"
DET10 = "1,-1,1359.1,413.27,120.26,362.77,2.3092,-1,-1,-1\n1,-1,571.03,402.13,104.56,315.68,-0.5,-1,-1,-1\n"
GT9 = (
    "1,1,912,484,97,109,0,7,1\n"  # static person: distractor
    "1,2,10,20,30,40,1,1,0.5\n"  # pedestrian: target
    "1,3,10,20,30,40,0,3,1\n"  # car: dropped
    "2,2,11,21,30,40,1,1,0.4\n"
    "1,4,10,20,30,40,1,12,1\n"  # reflection: distractor
    "2,5,10,20,30,40,0,1,1\n"  # zero-conf pedestrian: ignore row
)
GT10 = (
    "1,1,466,139,91,193.68,1,-1,-1,-1\n"
    "1,6,485,145,16.667,55.039,0,-1,-1,-1\n"  # conf 0: ignore row
    "2,1,467,139,91,193.68,1,-1,-1,-1\n"
)


def test_det_7_columns_unsorted_frames_sorted_stably(tmp_path: Path) -> None:
    table = read_detections(write(tmp_path / "det.txt", DET7))
    assert table.frames.tolist() == [1, 2, 2]
    assert table.frames.dtype == np.int64 and table.boxes.dtype == np.float64
    assert table.boxes.tolist() == [[1.5, 2.5, 3.5, 4.5], [10, 20, 30, 40], [5, 6, 7, 8]]
    assert table.confidences.tolist() == [0.9, 0.5, 1.0]
    assert table.ids.tolist() == [-1, -1, -1] and not table.distractor.any()


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_det_10_columns_and_crlf(tmp_path: Path, newline: str) -> None:
    table = read_detections(write(tmp_path / "det.txt", DET10, newline), score_map="clip")
    assert table.boxes[0].tolist() == [1359.1, 413.27, 120.26, 362.77]
    assert table.confidences.tolist() == [1.0, 0.0]


def test_blank_lines_keep_line_numbers(tmp_path: Path) -> None:
    path = write(tmp_path / "det.txt", "\n1,-1,1,2,3,4,0.5\n\n  \n1,-1,1,2,3,0,0.5\n")
    with pytest.raises(TrackbenchError, match=r"det\.txt:5: h 0 must be > 0"):
        read_detections(path)
    fast = write(tmp_path / "fast.txt", "1,-1,1,2,3,4,0.5\n\n\n1,-1,1,2,3,4,-0.5\n")
    with pytest.raises(TrackbenchError, match=r"fast\.txt:4: score -0.5 is outside"):
        read_detections(fast)
    ok = write(tmp_path / "ok.txt", "1,-1,1,2,3,4,0.5\n\n2,-1,1,2,3,4,0.5\n")
    assert read_detections(ok).frames.tolist() == [1, 2]


def test_empty_file_is_empty_table(tmp_path: Path) -> None:
    assert len(read_detections(write(tmp_path / "det.txt", "\n"))) == 0
    assert len(read_ground_truth(write(tmp_path / "gt.txt", ""))) == 0


def test_score_rules(tmp_path: Path) -> None:
    path = write(tmp_path / "det.txt", DET10 + "2,-1,1,1,1,1,0.0,-1,-1,-1\n")
    raw = [2.3092, -0.5, 0.0]
    mapped = read_detections(path, score_map="minmax")
    assert mapped.confidences == pytest.approx([(s + 0.5) / 2.8092 for s in raw])
    # min_score drops rows on the raw score; minmax still uses the whole file's range.
    kept = read_detections(path, score_map="minmax", min_score=0.0)
    assert kept.confidences == pytest.approx([1.0, 0.5 / 2.8092])
    assert read_detections(path, score_map="clip", min_score=0.0).confidences.tolist() == [1.0, 0.0]
    with pytest.raises(TrackbenchError, match=r"det\.txt:1: score 2.3092 is outside \[0, 1\]"):
        read_detections(path)
    with pytest.raises(TrackbenchError, match="score_map 'log' is not one of none, clip, minmax"):
        read_detections(path, score_map="log")  # type: ignore[arg-type]


def test_minmax_of_constant_scores_is_one(tmp_path: Path) -> None:
    path = write(tmp_path / "test.txt", "1,3,1,2,3,4,-1,-1,-1,-1\n2,6,1,2,3,4,-1,-1,-1,-1\n")
    assert read_detections(path, score_map="minmax").confidences.tolist() == [1.0, 1.0]


def test_gt_mot17_classes(tmp_path: Path) -> None:
    gt = read_ground_truth(write(tmp_path / "gt.txt", GT9), zero_conf="distractor")
    rows = sorted(zip(gt.frames.tolist(), gt.ids.tolist(), gt.distractor.tolist(), strict=True))
    assert rows == [(1, 1, True), (1, 2, False), (1, 4, True), (2, 2, False), (2, 5, True)]
    dropped = read_ground_truth(tmp_path / "gt.txt")  # the default, as TrackEval
    assert sorted(dropped.ids[~dropped.distractor].tolist()) == [2, 2]
    assert 5 not in dropped.ids.tolist()
    everything = read_ground_truth(tmp_path / "gt.txt", target_classes=None, zero_conf="target")
    assert len(everything) == 6 and not everything.distractor.any()
    custom = read_ground_truth(
        tmp_path / "gt.txt", target_classes=(1, 3), distractor_classes=(), zero_conf="distractor"
    )
    assert sorted(custom.ids.tolist()) == [2, 2, 3, 5] and custom.distractor.tolist().count(True) == 2


def test_gt_mot15_ignore_rows(tmp_path: Path) -> None:
    gt = read_ground_truth(write(tmp_path / "gt.txt", GT10, "\r\n"), zero_conf="distractor")
    assert gt.frames.tolist() == [1, 1, 2] and gt.distractor.tolist() == [False, True, False]
    assert gt.boxes[1].tolist() == [485, 145, 16.667, 55.039]
    assert gt.confidences.tolist() == [1, 0, 1]
    assert len(read_ground_truth(tmp_path / "gt.txt")) == 2  # default: dropped, as TrackEval


BAD_DET = [
    ("1,-1,1,2,3,4,0.5\n1,-1,1,2,3,4\n", 2, "has 6 columns, expected one of"),
    ("1,-1,1,2,3,4,0.5\n1,-1,1,2,3,4,0.5,-1,-1,-1\n", 2, "has 10 columns but line 1 has 7"),
    ("1,-1,1,2,3,4,0.5,1,1\n", 1, "has 9 columns"),
    ("1,-1,1,2,3,4,0.5\n1,-1,1,abc,3,4,0.5\n", 2, r"column 4 \(y\) is not a number: 'abc'"),
    ("1,-1,1,2,3,4,0.5\n1,-1,1,,3,4,0.5\n", 2, r"column 4 \(y\) is not a number: ''"),
    ("1,-1,1,2,3,4,0.5\n1,-1,1,2,nan,4,0.5\n", 2, "w nan is not finite"),
    ("1,-1,1,2,3,4,0.5\n1,-1,1,2,3,4,inf\n", 2, "score inf is not finite"),
    ("1,-1,1,2,3,4,0.5\n1,-1,1,2,-3,4,0.5\n", 2, "w -3 must be > 0"),
    ("1,-1,1,2,3,4,0.5\n1,-1,1,2,3,0,0.5\n", 2, "h 0 must be > 0"),
    ("1,-1,1,2,3,4,0.5\n0,-1,1,2,3,4,0.5\n", 2, "frame 0 is < 1"),
    ("1,-1,1,2,3,4,0.5\n1.5,-1,1,2,3,4,0.5\n", 2, "frame 1.5 is not an integer"),
    # a whole number int64 cannot hold (NumPy would cast it with a warning, to garbage)
    ("1,-1,1,2,3,4,0.5\n1e20,-1,1,2,3,4,0.5\n", 2, r"frame 1e\+20 is too large"),
    # the earliest bad line wins when several checks fail
    ("1,-1,1,2,3,4,0.5\n1,-1,1,2,3,-4,0.5\n0,-1,1,2,nan,4,0.5\n", 2, "h -4 must be > 0"),
]


@pytest.mark.parametrize(("text", "line", "what"), BAD_DET)
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_bad_detections_name_file_and_line(tmp_path: Path, text: str, line: int, what: str, newline: str) -> None:
    path = write(tmp_path / "det.txt", text, newline)
    with pytest.raises(TrackbenchError, match=rf"^{re.escape(str(path))}:{line}: {what}") as info:
        read_detections(path, score_map="clip")
    assert "\n" not in str(info.value)


BAD_GT = [
    ("1,1,1,2,3,4,1,1,1\n2,1,1,2,3,4,1,1,1\n2,1,5,5,3,4,1,1,1\n", 3, "duplicate id 1 in frame 2"),
    ("1,1,1,2,3,4,1,1,1\n2,1,1,2,3,4,1,1.5,1\n", 2, "class 1.5 is not an integer"),
    ("1,1,1,2,3,4,1,1,1\n2,x,1,2,3,4,1,1,1\n", 2, r"column 2 \(id\) is not a number"),
    ("1,1,1,2,3,4,1,1,1\n2,-1e19,1,2,3,4,1,1,1\n", 2, r"id -1e\+19 is too large"),
    ("1,1,1,2,3,4,1,-1,-1,-1\n2,2,1,2,3,4,nan,-1,-1,-1\n", 2, "conf nan is not finite"),
    ("1,1,1,2,3,4,1,1\n", 1, "has 8 columns"),
    ("5,1,1,2,3,4,1,1,1\n", 1, "frame 5 is beyond the sequence end 4"),
]


@pytest.mark.parametrize(("text", "line", "what"), BAD_GT)
def test_bad_ground_truth_names_file_and_line(tmp_path: Path, text: str, line: int, what: str) -> None:
    path = write(tmp_path / "gt.txt", text)
    with pytest.raises(TrackbenchError, match=rf"^{re.escape(str(path))}:{line}: {what}") as info:
        read_ground_truth(path, last_frame=4)
    assert "\n" not in str(info.value)


def test_missing_file_named(tmp_path: Path) -> None:
    with pytest.raises(TrackbenchError, match=r"nope\.txt: file not found"):
        read_detections(tmp_path / "nope.txt")


def test_large_file_parses_vectorised(tmp_path: Path) -> None:
    n = 120_000
    rng = np.random.default_rng(0)
    frames = rng.integers(1, 1000, n)
    boxes = rng.uniform(1, 100, (n, 4))
    write_results(tmp_path / "big.txt", frames, np.arange(n), boxes, rng.uniform(0, 1, n))
    table = read_detections(tmp_path / "big.txt")
    assert len(table) == n and np.all(np.diff(table.frames) >= 0)


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
positive = st.floats(min_value=1e-6, max_value=1e6, allow_nan=False, allow_infinity=False)
row = st.tuples(st.integers(1, 10_000), finite, finite, positive, positive, finite)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(row, max_size=40))
def test_write_read_round_trip_is_exact(tmp_path: Path, rows: list[tuple]) -> None:
    frames = np.array([r[0] for r in rows], np.int64)
    ids = np.arange(len(rows), dtype=np.int64)  # unique, so no (frame, id) duplicates
    boxes = np.array([r[1:5] for r in rows], np.float64).reshape(-1, 4)
    conf = np.array([r[5] for r in rows], np.float64)
    path = tmp_path / "out" / "res.txt"
    write_results(path, frames, ids, boxes, conf)
    table = read_results(path)
    order = np.argsort(frames, kind="stable")
    assert table.frames.tolist() == frames[order].tolist()
    assert table.ids.tolist() == ids[order].tolist()
    assert table.boxes.tolist() == boxes[order].tolist()
    assert table.confidences.tolist() == conf[order].tolist()
    assert not table.distractor.any()
