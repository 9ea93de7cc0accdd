"""What a camera's tracker output is scored as: its hypothesis rows, per ``eval.frames``.

NumPy only (no scoring library): the camera workers build these rows for the MOTChallenge
files they write, and the job's process scores them (trackbench.scoring).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, get_args

import numpy as np

from trackbench.datasets.base import BoxTable
from trackbench.errors import TrackbenchError
from trackbench.types import ReportedRows, Tracklet2D

FrameMode = Literal["detected", "interior", "all"]
FRAME_MODES: tuple[str, ...] = get_args(FrameMode)


def hypotheses_from_tracklets(tracklets: Iterable[Tracklet2D], frames: FrameMode = "detected") -> BoxTable:
    """Hypothesis rows (confidence 1.0) of one camera's tracklets, sorted by frame and id (the
    order of the MOTChallenge file written for them).

    ``frames`` picks the entries scored: "detected" only, "interior" (detected plus coasted
    entries between two detections of the same tracklet) or "all" (also trailing coasts).
    """
    if frames not in FRAME_MODES:
        raise TrackbenchError(f"scoring frames must be one of {', '.join(FRAME_MODES)}; got {frames!r}")
    tracklets = tuple(tracklets)
    cameras = sorted({t.camera_id for t in tracklets})
    if len(cameras) > 1:
        raise TrackbenchError(f"hypotheses_from_tracklets takes one camera's tracklets; got {cameras}")
    frame_rows, id_rows, box_rows = [], [], []
    for t in tracklets:
        keep = _kept_entries(t.frame_status, frames)
        frame_rows.append(np.asarray(t.frames, np.int64)[keep])
        id_rows.append(np.full(int(keep.sum()), t.track_id, np.int64))
        box_rows.append(np.asarray(t.bboxes, np.float64).reshape(-1, 4)[keep])
    if not frame_rows:
        return BoxTable.empty()
    n = sum(len(f) for f in frame_rows)
    table = BoxTable(
        frames=np.concatenate(frame_rows),
        ids=np.concatenate(id_rows),
        boxes=np.concatenate(box_rows).reshape(-1, 4),
        confidences=np.ones(n, np.float64),
        distractor=np.zeros(n, bool),
    )
    return rows(table, np.lexsort((table.ids, table.frames)))


def hypotheses_from_reported(reported: ReportedRows) -> BoxTable:
    """Hypothesis rows (confidence 1.0) of exactly the rows boxmot's ``update()`` returned
    (``eval.frames=reported``), sorted by frame and id."""
    n = len(reported.frames)
    if n == 0:
        return BoxTable.empty()
    table = BoxTable(
        frames=np.asarray(reported.frames, np.int64),
        ids=np.asarray(reported.track_ids, np.int64),
        boxes=np.asarray(reported.bboxes, np.float64).reshape(-1, 4),
        confidences=np.ones(n, np.float64),
        distractor=np.zeros(n, bool),
    )
    return rows(table, np.lexsort((table.ids, table.frames)))


def _kept_entries(status: tuple[str, ...], frames: str) -> np.ndarray:
    """Boolean mask over a tracklet's entries for a ``frames`` mode."""
    detected = np.asarray(status, dtype=object) == "detected"
    if frames == "detected":
        return detected
    if frames == "all":
        return np.ones(len(status), bool)
    keep = np.zeros(len(status), bool)
    hits = np.flatnonzero(detected)
    if hits.size:
        keep[hits[0] : hits[-1] + 1] = True
    return keep


def rows(table: BoxTable, index: np.ndarray) -> BoxTable:
    """The rows ``index`` (boolean mask or positions) of a table."""
    return BoxTable(
        frames=table.frames[index],
        ids=table.ids[index],
        boxes=table.boxes[index],
        confidences=table.confidences[index],
        distractor=table.distractor[index],
    )
