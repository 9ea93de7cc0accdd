"""What every metric family reads: one camera's scored boxes, frame by frame.

:func:`prepare` sorts ground truth and hypotheses by frame, removes hypotheses matched to
distractor ground truth (TrackEval's MOTChallenge preprocessing) and the distractor rows
themselves, and keeps each frame's IoU matrix. CLEAR, identity and HOTA, per camera and per
window, are all computed from the resulting :class:`FramePairs`, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from trackbench.datasets.base import BoxTable
from trackbench.datasets.iou import frame_ious
from trackbench.errors import TrackbenchError
from trackbench.tracking.hypotheses import rows

# TrackEval's MOT preprocessing matches hypotheses to distractors at a fixed IoU of 0.5,
# whatever the scoring threshold.
_DISTRACTOR_IOU = 0.5
EPS = float(np.finfo(float).eps)


@dataclass(frozen=True, slots=True, eq=False)
class FramePairs:
    """Per frame (ascending, only frames with a scored box): gt ids, hypothesis ids (file order
    within the frame) and their ``gt x hyp`` IoU matrix, distractors already removed."""

    frames: tuple[int, ...]
    gt_ids: tuple[np.ndarray, ...]
    hyp_ids: tuple[np.ndarray, ...]
    ious: tuple[np.ndarray, ...]

    def positions(self, first: int, last: int) -> tuple[int, int]:
        """The positions ``lo:hi`` of the frames ``first..last`` (inclusive)."""
        lo, hi = np.searchsorted(self.frames, [first, last + 1]).tolist()
        return lo, hi

    def between(self, first: int, last: int) -> FramePairs:
        """The frames ``first..last`` (inclusive)."""
        lo, hi = self.positions(first, last)
        return FramePairs(self.frames[lo:hi], self.gt_ids[lo:hi], self.hyp_ids[lo:hi], self.ious[lo:hi])

    @property
    def num_gt(self) -> int:
        return sum(len(g) for g in self.gt_ids)

    @property
    def num_hyp(self) -> int:
        return sum(len(h) for h in self.hyp_ids)


def _by_frame(table: BoxTable, what: str) -> BoxTable:
    """The table sorted by frame (file order kept within a frame); rejects duplicate ids per frame."""
    order = np.lexsort((table.ids, table.frames))
    frames, ids = table.frames[order], table.ids[order]
    dup = np.flatnonzero((frames[1:] == frames[:-1]) & (ids[1:] == ids[:-1]))
    if dup.size:
        raise TrackbenchError(f"{what}: id {ids[dup[0]]} appears twice in frame {frames[dup[0]]}")
    return rows(table, np.argsort(table.frames, kind="stable"))


def _distractor_matched(iou: np.ndarray, distractor: np.ndarray) -> np.ndarray:
    """Columns (hypotheses) of one frame that TrackEval's MOT17 preprocessing removes: those
    Hungarian-matched, on IoU >= 0.5 over all gt rows of the frame, to a distractor row."""
    scores = np.where(iou < _DISTRACTOR_IOU - EPS, 0.0, iou)
    if not scores[distractor].any():
        return np.zeros(iou.shape[1], bool)  # no distractor can be matched: skip the solver
    match_rows, match_cols = linear_sum_assignment(-scores)
    hit = (scores[match_rows, match_cols] > EPS) & distractor[match_rows]
    removed = np.zeros(iou.shape[1], bool)
    removed[match_cols[hit]] = True
    return removed


def prepare(gt: BoxTable, hyp: BoxTable) -> FramePairs:
    """Frame-by-frame scored boxes of one camera (see module docstring)."""
    gt, hyp = _by_frame(gt, "ground truth"), _by_frame(hyp, "hypotheses")
    frames, gt_ids, hyp_ids, ious = [], [], [], []
    for frame, g, h, iou in frame_ious(gt.frames, gt.boxes, hyp.frames, hyp.boxes):
        oids, hids, distractor = gt.ids[g], hyp.ids[h], gt.distractor[g]
        if distractor.any():
            kept = ~_distractor_matched(iou, distractor) if iou.size else np.ones(len(hids), bool)
            target = ~distractor
            iou, oids, hids = iou[np.ix_(target, kept)], oids[target], hids[kept]
        if len(oids) == 0 and len(hids) == 0:
            continue
        frames.append(frame)
        gt_ids.append(oids)
        hyp_ids.append(hids)
        ious.append(iou)
    return FramePairs(tuple(frames), tuple(gt_ids), tuple(hyp_ids), tuple(ious))
