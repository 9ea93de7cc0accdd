"""Identity timelines and error maps: their inputs' logic, and PNGs drawn from hand-built records."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from trackbench.artifacts.events import KINDS, ErrorEvents
from trackbench.artifacts.identity import UNMATCHED, IdentityFrames, segments
from trackbench.datasets.base import BoxTable
from trackbench.plots import diagnosis as diagnosis_plots

PNG = b"\x89PNG\r\n\x1a\n"


def _identity(rows: list[tuple[int, int, int]]) -> IdentityFrames:
    f, g, h = (np.array(c, np.int64) for c in zip(*rows, strict=True))
    return IdentityFrames(f, g, h)


def _events(rows: list[tuple[str, int, int, int, int]]) -> ErrorEvents:
    if not rows:
        return ErrorEvents.empty()
    k, f, g, h, p = zip(*rows, strict=True)
    boxes = np.array([[10.0 * i, 20.0, 5.0, 5.0] for i in range(len(rows))])
    return ErrorEvents(
        np.array([KINDS.index(x) for x in k], np.int8), np.array(f, np.int64), np.array(g, np.int64),
        np.array(h, np.int64), np.array(p, np.int64), boxes,
    )  # fmt: skip


def _gt(n_ids: int, n_frames: int) -> BoxTable:
    frames = np.repeat(np.arange(1, n_frames + 1), n_ids)
    ids = np.tile(np.arange(1, n_ids + 1), n_frames)
    boxes = np.c_[ids * 15.0 + frames, ids * 10.0 + 0.5 * frames, np.full((frames.size, 2), 8.0)]
    return BoxTable(frames, ids, boxes, np.ones(frames.size), np.zeros(frames.size, bool))


def test_segments_split_at_a_new_hypothesis_a_miss_and_a_frame_gap() -> None:
    # animal 1: hyp 5 in frames 1-2, missed in 3, hyp 5 in 4, hyp 6 in 5, absent in 6, hyp 6 in 7
    rows = [(1, 1, 5), (2, 1, 5), (3, 1, UNMATCHED), (4, 1, 5), (5, 1, 6), (7, 1, 6), (1, 2, 9)]
    seg = segments(_identity(rows[::-1]))  # any row order
    assert seg.gt_ids.tolist() == [1, 1, 1, 1, 1, 2]
    assert seg.hyp_ids.tolist() == [5, UNMATCHED, 5, 6, 6, 9]
    assert seg.first.tolist() == [1, 3, 4, 5, 7, 1]
    assert seg.last.tolist() == [2, 3, 4, 5, 7, 1]


def test_segments_of_nothing_are_empty() -> None:
    assert segments(IdentityFrames.empty()).gt_ids.size == 0


def test_identity_frames_refuse_arrays_of_different_lengths() -> None:
    with pytest.raises(ValueError, match="one length"):
        IdentityFrames(np.arange(3), np.arange(2), np.arange(3))


def test_animals_are_ranked_by_errors_then_id_and_fp_has_no_animal() -> None:
    identity = _identity([(1, 1, 1), (1, 2, 2), (1, 3, 3), (1, 4, 4)])
    events = _events([("fn", 2, 3, -1, -1), ("idsw", 3, 3, 7, 3), ("frag", 4, 2, 2, 2), ("fp", 5, -1, 8, -1)])
    assert diagnosis_plots.errors_per_animal(identity, events) == [(3, 2), (2, 1), (1, 0), (4, 0)]


def test_identity_timeline_and_error_map_are_drawn(tmp_path: Path) -> None:
    identity = _identity([(f, g, g if f != 5 else UNMATCHED) for f in range(1, 11) for g in (1, 2, 3)])
    events = _events([("fn", 5, 1, -1, -1), ("idsw", 7, 2, 9, 2), ("fp", 3, -1, 8, -1), ("frag", 6, 1, 1, 1)])
    paths = diagnosis_plots.plot_camera_diagnosis(tmp_path / "plots", "cam0", identity, events, _gt(3, 10), (640, 480))
    assert [p.name for p in paths] == ["identity_cam0.png", "errors_cam0.png"]
    assert all(p.read_bytes().startswith(PNG) for p in paths)


def test_many_animals_are_capped_and_empty_records_still_draw(tmp_path: Path) -> None:
    gt = _gt(80, 30)
    identity = IdentityFrames(gt.frames, gt.ids, np.where(gt.frames % 7 == 0, UNMATCHED, gt.ids + 100))
    events = _events([("idsw", 9, g, 200 + g, 100 + g) for g in range(1, 81, 3)])
    diagnosis_plots.plot_identity(tmp_path / "identity_many.png", "many", identity, events, max_lanes=40)
    diagnosis_plots.plot_error_map(tmp_path / "errors_many.png", "many", gt, events)  # frame size unknown
    empty = ErrorEvents.empty()
    diagnosis_plots.plot_identity(tmp_path / "identity_none.png", "none", IdentityFrames.empty(), empty)
    diagnosis_plots.plot_error_map(tmp_path / "errors_none.png", "none", BoxTable.empty(), empty)
    assert all(p.read_bytes().startswith(PNG) for p in tmp_path.iterdir())
