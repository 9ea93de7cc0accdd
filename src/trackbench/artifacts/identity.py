"""Which hypothesis holds each ground-truth animal in each frame: the identity timeline's input.

NumPy only, so scoring can build it from its matching and plots can read it without scoring.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trackbench.artifacts._csv import csv_text, float_texts, int_texts
from trackbench.errors import TrackbenchError

UNMATCHED = -1  # hyp_ids value of a ground-truth box no hypothesis matched


@dataclass(frozen=True, slots=True, eq=False)
class IdentityFrames:
    """One row per ground-truth box of a camera: its frame, animal and matched hypothesis
    (:data:`UNMATCHED` when none), as parallel int64 arrays."""

    frames: np.ndarray
    gt_ids: np.ndarray
    hyp_ids: np.ndarray

    def __post_init__(self) -> None:
        n = self.frames.shape[0]
        if self.gt_ids.shape != (n,) or self.hyp_ids.shape != (n,):
            raise ValueError("IdentityFrames: frames, gt_ids and hyp_ids must be 1-D and of one length")

    @staticmethod
    def empty() -> IdentityFrames:
        return IdentityFrames(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64))

    def __len__(self) -> int:
        return int(self.frames.shape[0])


@dataclass(frozen=True, slots=True, eq=False)
class Segments:
    """Maximal runs of consecutive frames in which one animal is held by one hypothesis."""

    gt_ids: np.ndarray
    hyp_ids: np.ndarray
    first: np.ndarray  # first frame of the run
    last: np.ndarray  # last frame of the run (inclusive)


def segments(identity: IdentityFrames) -> Segments:
    """Runs of (animal, hypothesis) over consecutive frames, sorted by animal then frame;
    unmatched rows are runs too (hyp :data:`UNMATCHED`), so a gap is its own segment."""
    order = np.lexsort((identity.frames, identity.gt_ids))
    f, g, h = identity.frames[order], identity.gt_ids[order], identity.hyp_ids[order]
    if f.size == 0:
        empty = np.empty(0, np.int64)
        return Segments(empty, empty, empty, empty)
    new = np.ones(f.size, bool)
    new[1:] = (g[1:] != g[:-1]) | (h[1:] != h[:-1]) | (f[1:] != f[:-1] + 1)
    starts = np.flatnonzero(new)
    ends = np.r_[starts[1:], f.size] - 1
    return Segments(g[starts], h[starts], f[starts], f[ends])


IDENTITY_COLUMNS = ("frame", "gt_id", "hyp_id", "x", "y", "w", "h")


def format_identity(identity: IdentityFrames, boxes: np.ndarray) -> str:
    """``identity/<camera>.csv``: each scored ground-truth box (``boxes``, row for row) and the
    hypothesis that held it (:data:`UNMATCHED`: none), sorted by animal then frame."""
    order = np.lexsort((identity.frames, identity.gt_ids))
    ids = (identity.frames[order], identity.gt_ids[order], identity.hyp_ids[order])
    held = np.asarray(boxes, np.float64).reshape(-1, 4)[order]
    return csv_text(IDENTITY_COLUMNS, [*(int_texts(i) for i in ids), *(float_texts(held[:, k]) for k in range(4))])


def read_identity(path: Path) -> tuple[IdentityFrames, np.ndarray]:
    """An ``identity/<camera>.csv`` file: its identity frames and the ground-truth boxes (N, 4)."""
    text = Path(path).read_text(encoding="utf-8")
    if not text.startswith(",".join(IDENTITY_COLUMNS)):
        raise TrackbenchError(f"{path}:1: expected the header {','.join(IDENTITY_COLUMNS)}")
    data = np.loadtxt(io.StringIO(text), delimiter=",", skiprows=1, ndmin=2, dtype=np.float64).reshape(-1, 7)
    ids = data[:, :3].astype(np.int64)
    return IdentityFrames(ids[:, 0].copy(), ids[:, 1].copy(), ids[:, 2].copy()), np.ascontiguousarray(data[:, 3:])
