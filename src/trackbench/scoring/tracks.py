"""Each scored ground-truth box of a camera and its fate under the matching its counts come from.

:class:`GtFrames` lists every (animal, frame) in (gt id, frame) order with the hypothesis matched
to it (:data:`MISSED` if none), whether that match is an ID switch, whether it resumes tracking
(a fragmentation, by the rule the camera's Frag is counted with), and whether the hypothesis
the IDF1 global assignment gave the animal covers it; plus the false-positive hypothesis boxes.
Error events, identity metrics and the attribution oracles all read it, so their counts are the
camera's counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trackbench.scoring.clear import EVENT_TYPES, EventRows
from trackbench.scoring.frames import FramePairs
from trackbench.scoring.matching import Matching

MISSED = -1  # hyp_id of a ground-truth box no hypothesis matched
_FP, _MISS, _SWITCH, _MATCH = (EVENT_TYPES.index(t) for t in ("FP", "MISS", "SWITCH", "MATCH"))


@dataclass(frozen=True, slots=True, eq=False)
class GtFrames:
    """One camera's scored ground-truth boxes, sorted by (gt id, frame), and its false positives."""

    frame: np.ndarray  # int64
    gt_id: np.ndarray  # int64
    hyp_id: np.ndarray  # int64, MISSED if not matched
    switch: np.ndarray  # bool: the match is an ID switch
    frag: np.ndarray  # bool: the match resumes tracking (counted in Frag)
    assigned: np.ndarray  # bool: the animal's IDF1 hypothesis is pairable here (an IDTP)
    fp_frame: np.ndarray  # int64, the false-positive boxes (frame order)
    fp_hyp: np.ndarray  # int64
    assigned_gt: np.ndarray  # int64: the IDF1 assignment's pairs sharing at least one frame
    assigned_hyp: np.ndarray  # int64
    num_frames: int  # frames scored (as num_frames)

    @property
    def matched(self) -> np.ndarray:
        matched: np.ndarray = self.hyp_id != MISSED
        return matched


def pair_keys(frames: np.ndarray, ids: np.ndarray, lo: int, span: int) -> np.ndarray:
    """One int64 per (frame, id) pair (ids in ``lo .. lo + span - 1``), for set lookups."""
    return frames.astype(np.int64) * span + (ids.astype(np.int64) - lo)


def id_range(*ids: np.ndarray) -> tuple[int, int]:
    """``(lo, span)`` covering every id given (and 0)."""
    every = np.concatenate([np.zeros(1, np.int64), *(np.asarray(i, np.int64) for i in ids)])
    lo = int(every.min())
    return lo, int(every.max()) - lo + 1


def first_in_group(group: np.ndarray) -> np.ndarray:
    """True where a sorted group key starts a new group."""
    return np.r_[True, group[1:] != group[:-1]] if len(group) else np.zeros(0, bool)


def count_before(flag: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Per row, how many earlier rows of its group (sorted, contiguous) have ``flag``."""
    before = np.cumsum(flag) - flag
    starts = first_in_group(group)
    counted: np.ndarray = before - before[starts][np.cumsum(starts) - 1] if len(group) else before
    return counted


def _assignment(rows: EventRows) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The assigned pairs' rows (frame, gt id) keys source and the unique (gt, hyp) pairs."""
    a = rows.assigned
    gt, hyp = rows.oid[a].astype(np.int64), rows.hid[a].astype(np.int64)
    pairs = np.unique(np.column_stack([gt, hyp]), axis=0) if a.any() else np.empty((0, 2), np.int64)
    return rows.frame[a], gt, pairs


def _flat(pairs: FramePairs) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    frames = np.asarray(pairs.frames, np.int64)
    empty = np.empty(0, np.int64)
    gt_f = np.repeat(frames, [len(g) for g in pairs.gt_ids])
    hyp_f = np.repeat(frames, [len(h) for h in pairs.hyp_ids])
    return gt_f, np.concatenate([empty, *pairs.gt_ids]), hyp_f, np.concatenate([empty, *pairs.hyp_ids])


def _build(
    frame: np.ndarray,
    gt_id: np.ndarray,
    hyp_id: np.ndarray,
    switch: np.ndarray,
    frag: np.ndarray,
    fp: tuple[np.ndarray, np.ndarray],
    rows: EventRows,
    num_frames: int,
) -> GtFrames:
    a_frame, a_gt, pairs = _assignment(rows)
    lo, span = id_range(gt_id, a_gt)
    assigned = np.isin(pair_keys(frame, gt_id, lo, span), pair_keys(a_frame, a_gt, lo, span))
    order = np.argsort(fp[0], kind="stable")
    return GtFrames(
        frame, gt_id, hyp_id, switch, frag, assigned, fp[0][order], fp[1][order], pairs[:, 0], pairs[:, 1], num_frames
    )


def official_gt_frames(pairs: FramePairs, matching: Matching, rows: EventRows, num_frames: int) -> GtFrames:
    """Under the official matching: Frag is TrackEval's (tracking starts again after a timestep
    with a gt and a hypothesis box in which the animal was not matched)."""
    gt_f, gt_id, hyp_f, hyp_id = _flat(pairs)
    order = np.lexsort((gt_f, gt_id))
    gt_f, gt_id = gt_f[order], gt_id[order]
    lo, span = id_range(gt_id, hyp_id)
    hit = np.zeros(len(gt_f), bool)
    hyp = np.full(len(gt_f), MISSED, np.int64)
    switch = np.zeros(len(gt_f), bool)
    if len(matching.frame):
        match_keys = pair_keys(matching.frame, matching.gt_id, lo, span)
        by_key = np.argsort(match_keys)
        wanted = pair_keys(gt_f, gt_id, lo, span)
        index = by_key[np.minimum(np.searchsorted(match_keys[by_key], wanted), len(by_key) - 1)]
        hit = match_keys[index] == wanted
        hyp[hit] = matching.hyp_id[index[hit]]
        switch[hit] = matching.switch[index[hit]]
    # TrackEval's timesteps: frames with both a gt and a hypothesis box (others are skipped).
    both = np.array([len(g) > 0 and len(h) > 0 for g, h in zip(pairs.gt_ids, pairs.hyp_ids, strict=True)], bool)
    steps = np.asarray(pairs.frames, np.int64)[both] if len(both) else np.empty(0, np.int64)
    m = np.flatnonzero(hit)
    rank, group = np.searchsorted(steps, gt_f[m]), gt_id[m]
    later = ~first_in_group(group)
    resumed = later & (rank - np.r_[0, rank[:-1]] != 1) if len(m) else np.zeros(0, bool)
    frag = np.zeros(len(gt_f), bool)
    frag[m[resumed]] = True
    false = ~np.isin(pair_keys(hyp_f, hyp_id, lo, span), pair_keys(matching.frame, matching.hyp_id, lo, span))
    return _build(gt_f, gt_id, hyp, switch, frag, (hyp_f[false], hyp_id[false]), rows, num_frames)


def motmetrics_gt_frames(rows: EventRows, num_frames: int) -> GtFrames:
    """Under motmetrics' matching: Frag is motmetrics' (a match after a miss, once the animal
    has been tracked)."""
    keep = np.isin(rows.code, (_MATCH, _SWITCH, _MISS))
    frame, code = rows.frame[keep], rows.code[keep]
    gt_id = rows.oid[keep].astype(np.int64)
    hyp = np.where(code == _MISS, MISSED, np.nan_to_num(rows.hid[keep], nan=MISSED)).astype(np.int64)
    order = np.lexsort((frame, gt_id))
    frame, gt_id, hyp, code = frame[order], gt_id[order], hyp[order], code[order]
    matched = hyp != MISSED
    after_miss = ~first_in_group(gt_id) & ~np.r_[True, matched[:-1]]
    frag = matched & after_miss & (count_before(matched, gt_id) > 0)
    fp = rows.code == _FP
    fp_rows = (rows.frame[fp], rows.hid[fp].astype(np.int64))
    return _build(frame, gt_id, hyp, code == _SWITCH, frag, fp_rows, rows, num_frames)
