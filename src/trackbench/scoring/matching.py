"""The official per-frame CLEAR assignment: TrackEval's ``CLEAR.eval_sequence`` rule, pure NumPy.

Per frame, among pairs with IoU >= threshold (minus machine epsilon, as TrackEval), a Hungarian
assignment maximises ``1000 * (pair matched in the previous timestep) + IoU``; pairs scoring
<= epsilon are dropped. An ID switch is a match whose hypothesis differs from the gt's last
match in ANY earlier frame. TrackEval's traps are kept on purpose: a frame without gt or
without hypotheses is skipped before the previous-timestep record is cleared, so the bonus (and
Frag's "tracked in the previous timestep") reach over it. MT/PT/ML: tracked ratio > 0.8 /
>= 0.2 / the rest; Frag: per gt, the number of times tracking (re)starts, minus one.

The motmetrics rule (keep an object's last match from any earlier frame, then maximise the
number of matches) is motmetrics' own accumulator: see :mod:`trackbench.scoring.clear`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from trackbench.scoring.frames import EPS, FramePairs


@dataclass(frozen=True, slots=True, eq=False)
class Matching:
    """The matched pairs of one camera (one row per match, frame order) and its track counts."""

    frame: np.ndarray  # int64
    gt_id: np.ndarray  # int64
    hyp_id: np.ndarray  # int64
    iou: np.ndarray  # float64
    switch: np.ndarray  # bool: the match is an ID switch
    mostly_tracked: int
    partially_tracked: int
    mostly_lost: int
    fragmentations: int
    row: np.ndarray  # int64: each match's gt position in its frame (of the pairs matched)
    col: np.ndarray  # int64: its hypothesis position


def _forced(candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The assignment when no row and no column has two candidates (then every candidate
    pair is in the unique optimum), else None."""
    rows, cols = np.nonzero(candidates)
    if len(set(rows.tolist())) == len(rows) and len(set(cols.tolist())) == len(cols):
        return rows, cols
    return None


def official_matching(
    pairs: FramePairs, threshold: float, known: tuple[FramePairs, Matching] | None = None
) -> Matching:
    """TrackEval's CLEAR matching of one camera (see module docstring). ``known``: the matching
    of other pairs sharing frame objects with these (an oracle's rows share most of the scored
    rows' frames): a frame whose gt ids and IoUs are the very same objects, with equal
    hypothesis ids, reached in the same state, is matched as it was there (the same input to
    the same rule), until a frame's outcome differs."""
    prev_timestep: dict[int, int] = {}  # gt id -> hypothesis matched in the previous timestep
    last: dict[int, int] = {}  # gt id -> hypothesis of its last match, any frame back
    present: Counter[int] = Counter()
    matched: Counter[int] = Counter()
    starts: Counter[int] = Counter()
    out_frame: list[int] = []
    out_gt: list[int] = []
    out_hyp: list[int] = []
    out_switch: list[bool] = []
    out_iou: list[np.ndarray] = []
    out_row: list[np.ndarray] = []
    out_col: list[np.ndarray] = []
    limit = threshold - EPS
    same = _Known(known) if known is not None else None
    for frame, gt_ids, hyp_ids, iou in zip(pairs.frames, pairs.gt_ids, pairs.hyp_ids, pairs.ious, strict=True):
        if len(gt_ids) == 0:
            continue
        gts = gt_ids.tolist()
        present.update(gts)
        if len(hyp_ids) == 0:
            if same is not None:
                same.skipped(frame)
            continue
        assignment = None if same is None else same.assignment(frame, gt_ids, hyp_ids, iou)
        if assignment is None:
            assignment = _assign(gt_ids, hyp_ids, iou, gts, prev_timestep, limit)
            if same is not None:
                same.check(frame, gt_ids[assignment[0]], hyp_ids[assignment[1]])
        match_rows, match_cols = assignment
        mg, mh = gt_ids[match_rows].tolist(), hyp_ids[match_cols].tolist()
        out_switch.extend(g in last and last[g] != h for g, h in zip(mg, mh, strict=True))
        starts.update(g for g in mg if g not in prev_timestep)
        matched.update(mg)
        prev_timestep = dict(zip(mg, mh, strict=True))
        last.update(prev_timestep)
        out_frame.extend([frame] * len(mg))
        out_gt.extend(mg)
        out_hyp.extend(mh)
        out_iou.append(iou[match_rows, match_cols])
        out_row.append(match_rows)
        out_col.append(match_cols)
    ratios = np.array([matched[g] / n for g, n in present.items()])
    mt = int(np.sum(ratios > 0.8))
    pt = int(np.sum(ratios >= 0.2)) - mt
    empty = np.empty(0, np.int64)
    return Matching(
        frame=np.asarray(out_frame, np.int64),
        gt_id=np.asarray(out_gt, np.int64),
        hyp_id=np.asarray(out_hyp, np.int64),
        iou=np.concatenate([np.empty(0), *out_iou]),
        switch=np.asarray(out_switch, bool),
        mostly_tracked=mt,
        partially_tracked=pt,
        mostly_lost=len(present) - mt - pt,
        fragmentations=sum(n - 1 for n in starts.values() if n > 0),
        row=np.concatenate([empty, *out_row]).astype(np.int64),
        col=np.concatenate([empty, *out_col]).astype(np.int64),
    )


def _assign(
    gt_ids: np.ndarray,
    hyp_ids: np.ndarray,
    iou: np.ndarray,
    gts: list[int],
    prev_timestep: dict[int, int],
    limit: float,
) -> tuple[np.ndarray, np.ndarray]:
    """One frame's assignment (gt rows, hypothesis columns) by TrackEval's rule."""
    candidates = iou >= limit
    if limit > EPS:  # every candidate pair scores > EPS, bonus or not: a forced frame needs no bonus
        forced = _forced(candidates)
        if forced is not None:
            return forced
    score = np.where(candidates, iou, 0.0)
    if prev_timestep:
        previous = [prev_timestep.get(g) for g in gts]
        has_previous = np.array([p is not None for p in previous])
        if has_previous.any():
            previous_ids = np.array([0 if p is None else p for p in previous], np.int64)
            bonus = (hyp_ids[None, :] == previous_ids[:, None]) & has_previous[:, None]
            score = np.where(candidates, 1000.0 * bonus + iou, 0.0)
    candidates &= score > EPS
    assignment = _forced(candidates)
    if assignment is None:
        match_rows, match_cols = linear_sum_assignment(-score)
        keep = score[match_rows, match_cols] > EPS
        assignment = match_rows[keep], match_cols[keep]
    return assignment


class _Known:
    """A known matching's frames, followed while the one being computed stays in step with it:
    from the first frame on, every frame with gt was either the same input (so matched alike)
    or was matched to the same pairs, so the state entering the next frame is the same."""

    def __init__(self, known: tuple[FramePairs, Matching]) -> None:
        self.pairs, self.matching = known
        self.at = {f: j for j, f in enumerate(self.pairs.frames)}
        m = self.matching
        edges = np.array(self.pairs.frames, np.int64)
        bounds: list[list[int]] = np.searchsorted(m.frame, np.stack([edges, edges + 1])).tolist()
        self.bounds = list(zip(*bounds, strict=True))
        self.in_step = True

    def _matched(self, j: int) -> bool:
        """The known frame reached the assignment (it had gt and hypotheses)."""
        return len(self.pairs.gt_ids[j]) > 0 and len(self.pairs.hyp_ids[j]) > 0

    def assignment(
        self, frame: int, gt_ids: np.ndarray, hyp_ids: np.ndarray, iou: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """The known assignment of this frame if its input is the very same, else None."""
        j = self.at.get(frame)
        if not self.in_step or j is None:
            return None
        p = self.pairs
        if gt_ids is not p.gt_ids[j] or iou is not p.ious[j] or not np.array_equal(hyp_ids, p.hyp_ids[j]):
            return None
        a, b = self.bounds[j]
        return self.matching.row[a:b], self.matching.col[a:b]

    def check(self, frame: int, gt: np.ndarray, hyp: np.ndarray) -> None:
        """A frame matched anew: still in step if the known one matched the same pairs."""
        j = self.at.get(frame)
        if not self.in_step:
            return
        if j is None or not self._matched(j):
            self.in_step = False
            return
        a, b = self.bounds[j]
        m = self.matching
        self.in_step = np.array_equal(gt, m.gt_id[a:b]) and np.array_equal(hyp, m.hyp_id[a:b])

    def skipped(self, frame: int) -> None:
        """A frame with gt and no hypotheses (the state is kept): in step if the known one was too."""
        j = self.at.get(frame)
        if j is None or self._matched(j):
            self.in_step = False
