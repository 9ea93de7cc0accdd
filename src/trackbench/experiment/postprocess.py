"""Offline post-processing of a camera's scored rows (``postprocess=linear|gsi|gbrc``): boxmot's
own interpolation and smoothing, applied after tracking and before scoring and mot/.

The rows go to boxmot as the MOT result file a run writes (``frame,id,x,y,w,h,conf,-1,-1,-1``)
and come back as a BoxTable sorted by frame and id; the tracker's own tracklets are untouched.
"""

from __future__ import annotations

import numpy as np

from trackbench.config import POSTPROCESS_KEYS, PostprocessConfig
from trackbench.datasets.base import BoxTable
from trackbench.tracking.adapter import postprocess_rows
from trackbench.tracking.hypotheses import rows


def mot_rows(table: BoxTable) -> np.ndarray:
    """A table as the float rows of its MOTChallenge result file (what boxmot's workers load)."""
    n = len(table.frames)
    out = np.full((n, 10), -1.0)
    out[:, 0] = table.frames
    out[:, 1] = table.ids
    out[:, 2:6] = table.boxes
    out[:, 6] = table.confidences
    return out


def from_mot_rows(data: np.ndarray) -> BoxTable:
    """MOT result rows back as a table sorted by frame and id. Interpolated frame numbers are
    float sums (prev + gap * i / gap): rounded, they are the integers they stand for."""
    n = len(data)
    table = BoxTable(
        frames=np.rint(data[:, 0]).astype(np.int64),
        ids=np.rint(data[:, 1]).astype(np.int64),
        boxes=np.ascontiguousarray(data[:, 2:6], np.float64),
        confidences=np.ascontiguousarray(data[:, 6], np.float64),
        distractor=np.zeros(n, bool),
    )
    return rows(table, np.lexsort((table.ids, table.frames)))


def postprocessed(cfg: PostprocessConfig, table: BoxTable) -> BoxTable:
    """``table`` after ``cfg.method`` (unchanged for ``none`` or no rows)."""
    if cfg.method == "none" or len(table.frames) == 0:
        return table
    options = {key: getattr(cfg, key) for key in POSTPROCESS_KEYS[cfg.method] if key != "interval"}
    return from_mot_rows(postprocess_rows(mot_rows(table), cfg.method, cfg.interval, **options))
