"""What every metric family reads: one camera's scored boxes, frame by frame.

:func:`prepare` sorts ground truth and hypotheses by frame, removes hypotheses matched to
distractor ground truth (TrackEval's MOTChallenge preprocessing) and the distractor rows
themselves, and keeps each frame's IoU matrix. CLEAR, identity and HOTA, per camera and per
window, are all computed from the resulting :class:`FramePairs`, so they cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy.optimize import linear_sum_assignment

from trackbench.datasets.base import BoxTable
from trackbench.datasets.iou import corners, frame_ious
from trackbench.errors import TrackbenchError
from trackbench.tracking.hypotheses import rows

# TrackEval's MOT preprocessing matches hypotheses to distractors at a fixed IoU of 0.5,
# whatever the scoring threshold.
_DISTRACTOR_IOU = 0.5
EPS = float(np.finfo(float).eps)


@dataclass(frozen=True, slots=True, eq=False)
class FramePairs:
    """Per frame (ascending, only frames with a scored box): gt ids, hypothesis ids (file order
    within the frame), their ``gt x hyp`` IoU matrix, and the boxes as ``(n, 4)`` C-contiguous
    corners ``x0, y0, x1, y1`` (:func:`~trackbench.datasets.iou.corners`), distractors already
    removed."""

    frames: tuple[int, ...]
    gt_ids: tuple[np.ndarray, ...]
    hyp_ids: tuple[np.ndarray, ...]
    ious: tuple[np.ndarray, ...]
    gt_boxes: tuple[np.ndarray, ...]
    hyp_boxes: tuple[np.ndarray, ...]

    def positions(self, first: int, last: int) -> tuple[int, int]:
        """The positions ``lo:hi`` of the frames ``first..last`` (inclusive)."""
        lo, hi = np.searchsorted(self.frames, [first, last + 1]).tolist()
        return lo, hi

    def between(self, first: int, last: int) -> FramePairs:
        """The frames ``first..last`` (inclusive)."""
        lo, hi = self.positions(first, last)
        return FramePairs(
            self.frames[lo:hi],
            self.gt_ids[lo:hi],
            self.hyp_ids[lo:hi],
            self.ious[lo:hi],
            self.gt_boxes[lo:hi],
            self.hyp_boxes[lo:hi],
        )

    @property
    def num_gt(self) -> int:
        return sum(len(g) for g in self.gt_ids)

    @property
    def num_hyp(self) -> int:
        return sum(len(h) for h in self.hyp_ids)


def _by_frame(table: BoxTable, what: str) -> BoxTable:
    """The table sorted by frame (file order kept within a frame); rejects duplicate ids per frame."""
    _check_unique(table.frames, table.ids, what)
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
    return FrameTable.of(gt, hyp).pairs()


# One frame as scored: frame, gt ids, hypothesis ids, IoU, gt corners, hypothesis corners, and
# which hypotheses the distractor removal kept (None: all).
Frame = tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, "np.ndarray | None"]


def _scored_frame(
    frame: int,
    oids: np.ndarray,
    hids: np.ndarray,
    distractor: np.ndarray,
    iou: np.ndarray,
    gboxes: np.ndarray,
    hboxes: np.ndarray,
) -> Frame:
    """One frame's scored gt ids, hypothesis ids, IoU and boxes: distractor rows and the
    hypotheses matched to them removed (TrackEval's MOT preprocessing); and which hypotheses
    were kept (None: the frame has no distractor row, all were)."""
    if not distractor.any():
        return frame, oids, hids, iou, gboxes, hboxes, None
    kept = ~_distractor_matched(iou, distractor) if iou.size else np.ones(len(hids), bool)
    target = ~distractor
    return frame, oids[target], hids[kept], iou[np.ix_(target, kept)], gboxes[target], hboxes[kept], kept


@dataclass(frozen=True, slots=True, eq=False)
class FrameTable:
    """One camera's rows sorted by frame (file order within a frame) and, per frame of either
    table, its rows and the full ``gt x hyp`` IoU matrix (distractor rows in), with the scored
    frames :func:`prepare` makes of them.

    :meth:`variant_pairs` gives the scored frames of other hypothesis rows made from these (some
    rows kept, ids changed, rows added) reusing the IoUs already computed, so an oracle's rows
    are scored from the very same numbers :func:`prepare` would compute for them."""

    gt: BoxTable
    hyp: BoxTable
    order: np.ndarray  # the hypothesis rows' positions in the caller's table, frame-sorted
    frames: tuple[int, ...]
    gt_rows: tuple[slice, ...]
    hyp_rows: tuple[slice, ...]
    ious: tuple[np.ndarray, ...]
    gt_corners: np.ndarray  # (len(gt), 4): the gt boxes' corners, row for row
    scored: FramePairs
    scored_at: tuple[int, ...]  # per frame, its position in ``scored`` (-1: nothing scored)
    kept: tuple[np.ndarray | None, ...]  # per frame, the hypotheses the distractor removal kept

    @staticmethod
    def of(gt: BoxTable, hyp: BoxTable) -> FrameTable:
        gt = _by_frame(gt, "ground truth")
        _check_unique(hyp.frames, hyp.ids, "hypotheses")
        order = np.argsort(hyp.frames, kind="stable")
        hyp = rows(hyp, order)
        frames, g_rows, h_rows, ious = [], [], [], []
        for frame, g, h, iou in frame_ious(gt.frames, gt.boxes, hyp.frames, hyp.boxes):
            frames.append(frame)
            g_rows.append(g)
            h_rows.append(h)
            ious.append(iou)
        gc, hc = corners(gt.boxes), corners(hyp.boxes)
        scored, at, kept = _scored_frames(
            _scored_frame(f, gt.ids[g], hyp.ids[h], gt.distractor[g], iou, gc[g], hc[h])
            for f, g, h, iou in zip(frames, g_rows, h_rows, ious, strict=True)
        )
        return FrameTable(
            gt, hyp, order, tuple(frames), tuple(g_rows), tuple(h_rows), tuple(ious), gc, scored, at, kept
        )

    def pairs(self) -> FramePairs:
        """The scored frames (:func:`prepare`'s result)."""
        return self.scored

    def variant_pairs(self, keep: np.ndarray, ids: np.ndarray, extra: BoxTable) -> FramePairs:
        """The scored frames of the hypothesis rows ``keep`` (a mask over the caller's rows)
        relabelled ``ids`` (one per caller's row), followed by the rows ``extra``: what
        :func:`prepare` gives for the ground truth and those rows, with only the added rows'
        IoUs computed (the others are this table's own numbers). A frame whose rows are all
        kept and gain none is this table's scored frame with the new ids (same IoUs, so the
        same distractor removal)."""
        if not len(extra) and np.all(keep):
            return self._relabelled(np.asarray(ids, np.int64)[self.order])
        keep_s = np.asarray(keep, bool)[self.order]
        kept = BoxTable(
            self.hyp.frames[keep_s],
            np.asarray(ids, np.int64)[self.order][keep_s],
            self.hyp.boxes[keep_s],
            self.hyp.confidences[keep_s],
            self.hyp.distractor[keep_s],
        )
        joined = concat(kept, extra)
        _check_unique(joined.frames, joined.ids, "hypotheses")
        hyp = rows(joined, np.argsort(joined.frames, kind="stable"))  # per frame: the kept rows, then the added
        extra = rows(extra, np.argsort(extra.frames, kind="stable"))
        # The added rows' IoUs, computed in their frames only.
        near = np.flatnonzero(np.isin(self.gt.frames, extra.frames))
        added = {
            f: iou for f, _, _, iou in frame_ious(self.gt.frames[near], self.gt.boxes[near], extra.frames, extra.boxes)
        }
        base = {f: i for i, f in enumerate(self.frames)}
        # Per frame of this table: whether the variant dropped any of its rows.
        frame_of_row = np.searchsorted(np.asarray(self.frames, np.int64), self.hyp.frames)
        dropped: list[bool] = (np.bincount(frame_of_row[~keep_s], minlength=len(self.frames)) > 0).tolist()
        frames = sorted(set(self.frames) | set(added))
        edges = np.array(frames, np.int64)
        edges = np.stack([edges, edges + 1])  # each frame's first row and the row after its last
        g_bounds: list[list[int]] = np.searchsorted(self.gt.frames, edges).tolist()
        h_bounds: list[list[int]] = np.searchsorted(hyp.frames, edges).tolist()
        gt, scored, gc, hc = self.gt, self.scored, self.gt_corners, corners(hyp.boxes)

        def frame_results() -> Iterator[Frame]:
            for frame, g0, g1, h0, h1 in zip(frames, *g_bounds, *h_bounds, strict=True):
                i = base.get(frame)
                new = added.get(frame)  # None: no row added in this frame
                if i is not None and new is None and not dropped[i]:
                    at, was_kept = self.scored_at[i], self.kept[i]
                    if at >= 0:  # else nothing is scored here, as before
                        hids, hbox = hyp.ids[h0:h1], hc[h0:h1]
                        if was_kept is not None:
                            hids, hbox = hids[was_kept], hbox[was_kept]
                        yield frame, scored.gt_ids[at], hids, scored.ious[at], scored.gt_boxes[at], hbox, was_kept
                    continue
                parts = []
                if i is not None:
                    iou = self.ious[i]
                    parts.append(iou[:, keep_s[self.hyp_rows[i]]] if dropped[i] else iou)
                if new is not None:
                    parts.append(new)
                if not parts:
                    parts.append(np.zeros((g1 - g0, 0)))
                iou = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)
                hids = hyp.ids[h0:h1]
                yield _scored_frame(frame, gt.ids[g0:g1], hids, gt.distractor[g0:g1], iou, gc[g0:g1], hc[h0:h1])

        return _scored_frames(frame_results())[0]

    def _relabelled(self, ids: np.ndarray) -> FramePairs:
        """:meth:`variant_pairs` of every row kept, none added, with ids ``ids`` (in this table's
        row order): every frame as scored, only the hypothesis ids changed."""
        _check_unique(self.hyp.frames, ids, "hypotheses")
        scored_rows = np.ones(len(ids), bool)  # the rows the distractor removal kept
        for rows_here, was_kept in zip(self.hyp_rows, self.kept, strict=True):
            if was_kept is not None:
                scored_rows[rows_here] = was_kept
        lengths = np.array([len(h) for h in self.scored.hyp_ids], np.int64)
        hyp_ids = np.split(ids[scored_rows], np.cumsum(lengths)[:-1]) if len(lengths) else []
        s = self.scored
        return FramePairs(s.frames, s.gt_ids, tuple(hyp_ids), s.ious, s.gt_boxes, s.hyp_boxes)


def _scored_frames(
    results: Iterable[Frame],
) -> tuple[FramePairs, tuple[int, ...], tuple[np.ndarray | None, ...]]:
    """The scored frames from each frame's :data:`Frame`, frames with neither gt nor hypotheses
    left out; and per frame given, its position among them (-1: left out) and its kept
    hypotheses."""
    frames: list[int] = []
    gt_ids: list[np.ndarray] = []
    hyp_ids: list[np.ndarray] = []
    ious: list[np.ndarray] = []
    gt_boxes: list[np.ndarray] = []
    hyp_boxes: list[np.ndarray] = []
    at: list[int] = []
    kept: list[np.ndarray | None] = []
    for frame, oids, hids, iou, gbox, hbox, was_kept in results:
        kept.append(was_kept)
        if len(oids) == 0 and len(hids) == 0:
            at.append(-1)
            continue
        at.append(len(frames))
        frames.append(frame)
        gt_ids.append(oids)
        hyp_ids.append(hids)
        ious.append(iou)
        gt_boxes.append(gbox)
        hyp_boxes.append(hbox)
    pairs = FramePairs(tuple(frames), tuple(gt_ids), tuple(hyp_ids), tuple(ious), tuple(gt_boxes), tuple(hyp_boxes))
    return pairs, tuple(at), tuple(kept)


class Entries(NamedTuple):
    """The entries of a sequence of matrices with a value at or above a limit, in matrix then
    row-major order."""

    matrix: np.ndarray  # the entry's matrix (position in the sequence)
    i: np.ndarray  # its row and column in that matrix
    j: np.ndarray
    row: np.ndarray  # its row over all the matrices' rows (and column over all their columns)
    col: np.ndarray
    value: np.ndarray


def entries_at_least(matrices: Sequence[np.ndarray], limit: float) -> Entries:
    """Every entry ``>= limit`` of ``matrices`` (a camera's IoU matrices: the pairable pairs), over
    all matrices at once; only those entries get positions (a few per box), no full-size index
    arrays."""
    n_rows = np.array([m.shape[0] for m in matrices], np.int64)
    n_cols = np.array([m.shape[1] for m in matrices], np.int64)
    flat = np.concatenate([np.empty(0), *(m.ravel() for m in matrices)])
    sizes = n_rows * n_cols
    starts = np.cumsum(sizes) - sizes
    entry = np.flatnonzero(flat >= limit)
    # The entry's matrix: the last one starting at or before it (an empty matrix starts where the
    # next one does, so it is never picked).
    matrix = np.searchsorted(starts, entry, side="right") - 1
    local = entry - starts[matrix]
    i, j = local // n_cols[matrix], local % n_cols[matrix]
    row = (np.cumsum(n_rows) - n_rows)[matrix] + i
    col = (np.cumsum(n_cols) - n_cols)[matrix] + j
    return Entries(matrix, i, j, row, col, flat[entry])


def concat(a: BoxTable, b: BoxTable) -> BoxTable:
    """The rows of ``a`` followed by those of ``b``."""
    return BoxTable(*(np.concatenate([getattr(a, f), getattr(b, f)]) for f in BoxTable.__slots__))


def _check_unique(frames: np.ndarray, ids: np.ndarray, what: str) -> None:
    """Rejects an id that appears twice in a frame."""
    order = np.lexsort((ids, frames))
    frames, ids = frames[order], ids[order]
    dup = np.flatnonzero((frames[1:] == frames[:-1]) & (ids[1:] == ids[:-1]))
    if dup.size:
        raise TrackbenchError(f"{what}: id {ids[dup[0]]} appears twice in frame {frames[dup[0]]}")
