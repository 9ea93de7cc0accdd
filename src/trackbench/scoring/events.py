"""A camera's error events (:class:`trackbench.artifacts.events.ErrorEvents`) from the matching its counts
come from: one ``fn`` per missed gt box, one ``fp`` per unmatched hypothesis box, one ``idsw``
per ID switch and one ``frag`` per fragmentation, so the counts per kind are FN, FP, IDSW and Frag.
"""

from __future__ import annotations

import numpy as np

from trackbench.artifacts.events import KINDS, NONE, ErrorEvents
from trackbench.datasets.base import BoxTable
from trackbench.scoring.tracks import GtFrames, first_in_group, id_range, pair_keys


def lookup_boxes(table: BoxTable, frames: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """The boxes of ``table``'s rows (frame, id) (each present once: the scorer checked)."""
    if not len(frames):
        return np.empty((0, 4), np.float64)
    lo, span = id_range(table.ids, ids)
    keys = pair_keys(table.frames, table.ids, lo, span)
    order = np.argsort(keys)
    at = order[np.searchsorted(keys[order], pair_keys(frames, ids, lo, span))]
    return table.boxes[at]


def previous_match(gt: GtFrames) -> np.ndarray:
    """Per gt row, the hypothesis of the animal's last match in an earlier frame (NONE if none)."""
    matched = gt.matched
    rows = np.flatnonzero(matched)
    last = np.full(len(gt.frame), -1, np.int64)
    last[rows] = rows
    last = np.maximum.accumulate(last) if len(last) else last  # latest match at or before each row
    earlier = np.r_[-1, last[:-1]] if len(last) else last
    group_start = np.flatnonzero(first_in_group(gt.gt_id))
    start_of_row = group_start[np.cumsum(first_in_group(gt.gt_id)) - 1] if len(last) else last
    valid = earlier >= start_of_row
    return np.where(valid, gt.hyp_id[np.maximum(earlier, 0)], NONE) if len(last) else last


def camera_events(gt: GtFrames, gt_table: BoxTable, hyp_table: BoxTable) -> ErrorEvents:
    """Every error event of one camera, in the file's order."""
    missed = ~gt.matched
    prev = previous_match(gt)
    kinds, frames, gts, hyps, prevs, boxes = [], [], [], [], [], []
    for kind, rows in (("fn", missed), ("idsw", gt.switch), ("frag", gt.frag)):
        f, g = gt.frame[rows], gt.gt_id[rows]
        kinds.append(np.full(len(f), KINDS.index(kind), np.int8))
        frames.append(f)
        gts.append(g)
        hyps.append(np.full(len(f), NONE, np.int64) if kind == "fn" else gt.hyp_id[rows])
        prevs.append(np.full(len(f), NONE, np.int64) if kind == "fn" else prev[rows])
        boxes.append(lookup_boxes(gt_table, f, g))
    n = len(gt.fp_frame)
    kinds.append(np.full(n, KINDS.index("fp"), np.int8))
    frames.append(gt.fp_frame)
    gts.append(np.full(n, NONE, np.int64))
    hyps.append(gt.fp_hyp)
    prevs.append(np.full(n, NONE, np.int64))
    boxes.append(lookup_boxes(hyp_table, gt.fp_frame, gt.fp_hyp))
    events = ErrorEvents(
        np.concatenate(kinds),
        np.concatenate(frames).astype(np.int64),
        np.concatenate(gts).astype(np.int64),
        np.concatenate(hyps).astype(np.int64),
        np.concatenate(prevs).astype(np.int64),
        np.concatenate(boxes).reshape(-1, 4),
    )
    return events.sorted()
