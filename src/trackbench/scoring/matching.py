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

:func:`official_matching` computes this rule for all frames at once (:func:`_fixed_point`) and
falls back on the rule applied frame by frame (:func:`sequential_matching`, the definition the
tests hold it to) only where that cannot conclude.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from trackbench.scoring.frames import EPS, FramePairs, entries_at_least


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


def official_matching(pairs: FramePairs, threshold: float) -> Matching:
    """TrackEval's CLEAR matching of one camera (see module docstring), all frames at once."""
    limit = threshold - EPS
    if limit > EPS:  # else a pair may match on its bonus alone (IoU 0): frame by frame
        found = _fixed_point(pairs, limit)
        if found is not None:
            return found
    return sequential_matching(pairs, threshold)


def sequential_matching(pairs: FramePairs, threshold: float) -> Matching:
    """TrackEval's CLEAR matching of one camera, frame by frame as TrackEval computes it."""
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
    for frame, gt_ids, hyp_ids, iou in zip(pairs.frames, pairs.gt_ids, pairs.hyp_ids, pairs.ious, strict=True):
        if len(gt_ids) == 0:
            continue
        gts = gt_ids.tolist()
        present.update(gts)
        if len(hyp_ids) == 0:
            continue
        match_rows, match_cols = _assign(gt_ids, hyp_ids, iou, gts, prev_timestep, limit)
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


# Above this many rows and columns, a set of IoUs can outweigh a bonus (1000): frame by frame.
_MAX_SIDE = 1000
# Rounds of guessing before the exact round; the frames a guess left wrong are then recomputed
# in order.
_ROUNDS = 4


class _Candidates:
    """The pairable entries (IoU >= limit) of every frame that reaches the assignment (with gt
    and hypotheses), in frame then row-major order: the only pairs that can match."""

    # Per entry: its frame (0..K-1 over the frames assigned), row and column there, row and
    # column over all those frames, gt and hypothesis ids, IoU, the gt's dense index, its key.
    k: np.ndarray
    i: np.ndarray
    j: np.ndarray
    row: np.ndarray
    col: np.ndarray
    gt: np.ndarray
    hyp: np.ndarray
    iou: np.ndarray
    gd: np.ndarray
    key: np.ndarray

    def __init__(self, pairs: FramePairs, limit: float, at: np.ndarray) -> None:
        self.pairs, self.limit, self.at = pairs, limit, at  # at: the frames' positions in pairs
        positions = at.tolist()
        e = entries_at_least([pairs.ious[p] for p in positions], limit)
        self.k, self.i, self.j, self.row, self.col, self.iou = e  # k: the entry's frame (0..K-1)
        self.n_rows = sum(len(pairs.gt_ids[p]) for p in positions)
        self.n_cols = sum(len(pairs.hyp_ids[p]) for p in positions)
        gt_all = np.concatenate([np.empty(0, np.int64), *(pairs.gt_ids[p] for p in positions)])
        hyp_all = np.concatenate([np.empty(0, np.int64), *(pairs.hyp_ids[p] for p in positions)])
        self.gt, self.hyp = gt_all[self.row], hyp_all[self.col]
        _, gd = np.unique(self.gt, return_inverse=True)
        _, hd = np.unique(self.hyp, return_inverse=True)
        self.n_g, n_h = int(gd.max(initial=0)) + 1, int(hd.max(initial=0)) + 1
        self.gd = gd.astype(np.int64)
        self.key = (self.k * self.n_g + self.gd) * n_h + hd  # (frame, gt, hypothesis)
        self.step = self.n_g * n_h  # a key minus this: the same pair one frame earlier
        self.bounds = np.searchsorted(self.k, np.arange(len(at) + 1)).tolist()  # each frame's entries

    def alone(self) -> np.ndarray:
        """Entries without a rival in their row or column (matched whatever came before)."""
        rows = np.bincount(self.row, minlength=self.n_rows)
        cols = np.bincount(self.col, minlength=self.n_cols)
        alone: np.ndarray = (rows[self.row] == 1) & (cols[self.col] == 1)
        return alone

    def next_round(self, guess: np.ndarray, exact: bool) -> np.ndarray:
        """Every frame's matches given its predecessor's in ``guess`` (see :func:`_fixed_point`);
        not ``exact``: a frame whose other rows and columns have rivals takes, of those, the
        pairs each the best of its row and of its column (a guess, without a solver)."""
        matched = np.sort(self.key[guess])
        previous = self.key - self.step
        bonus = np.zeros(len(self.key), bool)
        if len(matched):
            bonus = matched[np.minimum(np.searchsorted(matched, previous), len(matched) - 1)] == previous
        row_taken = np.zeros(self.n_rows, bool)
        row_taken[self.row[bonus]] = True
        col_taken = np.zeros(self.n_cols, bool)
        col_taken[self.col[bonus]] = True
        rest = ~bonus & ~row_taken[self.row] & ~col_taken[self.col]
        rows = np.bincount(self.row[rest], minlength=self.n_rows)
        cols = np.bincount(self.col[rest], minlength=self.n_cols)
        rivals = rest & ((rows[self.row] > 1) | (cols[self.col] > 1))
        out: np.ndarray = bonus | (rest & ~rivals)
        if not exact:
            out |= self._mutual_best(rivals)
            return out
        for f in np.unique(self.k[rivals]).tolist():
            a, b = self.bounds[f], self.bounds[f + 1]
            out[a:b] = self.solve(f, guess)
        return out

    def _mutual_best(self, among: np.ndarray) -> np.ndarray:
        """Of the entries ``among``, those with the highest IoU of their row and of their column
        (the first such in entry order on a tie): a set of disjoint pairs."""
        idx = np.flatnonzero(among)
        order = idx[np.argsort(-self.iou[idx], kind="stable")]
        best = np.zeros(len(self.key), bool)
        _, first_in_row = np.unique(self.row[order], return_index=True)
        _, first_in_col = np.unique(self.col[order], return_index=True)
        row_best = np.zeros(len(self.key), bool)
        row_best[order[first_in_row]] = True
        best[order[first_in_col]] = True
        both: np.ndarray = best & row_best
        return both

    def solve(self, f: int, matches: np.ndarray) -> np.ndarray:
        """Frame ``f``'s matches (a mask over its entries) by the rule itself, its predecessor's
        being those in ``matches``."""
        prev: dict[int, int] = {}
        if f > 0:
            a, b = self.bounds[f - 1], self.bounds[f]
            sel = np.flatnonzero(matches[a:b]) + a
            prev = dict(zip(self.gt[sel].tolist(), self.hyp[sel].tolist(), strict=True))
        p = int(self.at[f])
        gt_ids, hyp_ids = self.pairs.gt_ids[p], self.pairs.hyp_ids[p]
        rows, cols = _assign(gt_ids, hyp_ids, self.pairs.ious[p], gt_ids.tolist(), prev, self.limit)
        a, b = self.bounds[f], self.bounds[f + 1]
        width = len(hyp_ids)
        return np.isin(self.i[a:b] * width + self.j[a:b], rows * width + cols)

    def frame_equal(self, f: int, x: np.ndarray, y: np.ndarray) -> bool:
        a, b = self.bounds[f], self.bounds[f + 1]
        return bool(np.array_equal(x[a:b], y[a:b]))


def _fixed_point(pairs: FramePairs, limit: float) -> Matching | None:
    """The official matching of every frame at once, or None for a frame too large for it (or
    ids too many to key in 64 bits).

    A frame's assignment depends on the frames before it only through its bonus pairs (the gt's
    hypothesis in the previous timestep, where still pairable). Those pairs are disjoint and
    each is worth more than any set of IoUs (fewer than 1000 rows or columns), so every optimum
    holds them all, plus an optimum of the other rows and columns. Where none of those has two
    candidates, that optimum is unique, all of them, and any exact solver returns it: the frame
    is settled without a solver. The others are solved by the rule itself (:func:`_assign`).

    A guess of every frame's matches (first: the entries without rivals) gives every frame's
    matches from its predecessor's guess, all frames at once; a few such rounds, the solver
    replaced by a guess, improve it. Frames computed from a right predecessor are right, and the first frame has none,
    so the result is exact up to the first frame it differs from the guess; from there frames
    are recomputed in order, each from the exact one before, until one equals the guess again.
    """
    n_gt = np.array([len(g) for g in pairs.gt_ids], np.int64)
    n_hyp = np.array([len(h) for h in pairs.hyp_ids], np.int64)
    at = np.flatnonzero((n_gt > 0) & (n_hyp > 0))
    if (np.minimum(n_gt, n_hyp) >= _MAX_SIDE).any():
        return None
    c = _Candidates(pairs, limit, at)
    if (len(at) + 1) * c.step >= 2**62:  # keys would overflow int64: frame by frame
        return None
    guess = c.alone()
    for _ in range(_ROUNDS):
        better = c.next_round(guess, exact=False)
        if np.array_equal(better, guess):
            break
        guess = better
    result = c.next_round(guess, exact=True)
    # result[f] is exact while every frame before f agrees with the guess (see above).
    off = np.unique(c.k[result != guess]).tolist()
    f_end, pos = len(at), 0
    while pos < len(off):
        f = off[pos] + 1  # off[pos] itself is exact; the frames after it follow a changed one
        while f < f_end:
            a, b = c.bounds[f], c.bounds[f + 1]
            result[a:b] = c.solve(f, result)
            if c.frame_equal(f, result, guess):
                break  # back in step: the next frames' results were computed from this one
            f += 1
        while pos < len(off) and off[pos] <= f:
            pos += 1
    return _matching(pairs, c, result)


def _matching(pairs: FramePairs, c: _Candidates, matched: np.ndarray) -> Matching:
    """The :class:`Matching` of the entries ``matched``, with its switches and track counts."""
    sel = np.flatnonzero(matched)
    k, gd, hyp = c.k[sel], c.gd[sel], c.hyp[sel]
    # Switch: the gt's previous match, in any earlier frame, had another hypothesis.
    order = np.lexsort((k, gd))
    same_gt = gd[order][1:] == gd[order][:-1]
    switch = np.zeros(len(sel), bool)
    switch[order[1:]] = same_gt & (hyp[order][1:] != hyp[order][:-1])
    # A start: the gt was not matched in the previous timestep (the previous frame matched).
    frame_gt = k * c.n_g + gd
    starts = int(np.count_nonzero(~np.isin(frame_gt - c.n_g, frame_gt)))
    gt_id = c.gt[sel]
    present_ids, present = np.unique(np.concatenate([np.empty(0, np.int64), *pairs.gt_ids]), return_counts=True)
    matched_ids, matches = np.unique(gt_id, return_counts=True)
    per_gt = np.zeros(len(present_ids), np.int64)
    per_gt[np.searchsorted(present_ids, matched_ids)] = matches
    ratios = per_gt / present
    mt = int(np.sum(ratios > 0.8))
    pt = int(np.sum(ratios >= 0.2)) - mt
    frames = np.asarray(pairs.frames, np.int64)[c.at]
    return Matching(
        frame=frames[k],
        gt_id=gt_id.astype(np.int64),
        hyp_id=hyp.astype(np.int64),
        iou=c.iou[sel].astype(np.float64),
        switch=switch,
        mostly_tracked=mt,
        partially_tracked=pt,
        mostly_lost=len(present_ids) - mt - pt,
        fragmentations=starts - len(matched_ids),
        row=c.i[sel].astype(np.int64),
        col=c.j[sel].astype(np.int64),
    )
