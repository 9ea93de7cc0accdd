"""Per-animal identity metrics: identity recall, 3D-ZeF's MTBF, fragments, gaps, switch rate.

:func:`animals` reduces a camera's :class:`~trackbench.scoring.tracks.GtFrames` to additive
per-animal pieces (:class:`Animals`); :func:`pool` concatenates cameras; :func:`identity_metrics`
turns any of them into numbers, so a camera and a pool share one formula and a pool is computed
from its animals' frames, never as a mean of camera ratios. Definitions: docs/diagnosis.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from trackbench.scoring.tracks import GtFrames, first_in_group

# Camera and pooled numbers (MLflow: identity/<name>).
IDENTITY_METRICS = (
    "identity_recall",
    "identity_recall_median",
    "identity_recall_min",
    "mtbf_standard",
    "mtbf_monotonic",
    "fragments_per_animal",
    "gaps",
    "gap_mean",
    "gap_median",
    "gap_max",
    "idsw_per_1000_frames",
    "animals",
)


@dataclass(frozen=True, slots=True, eq=False)
class Animals:
    """Per ground-truth animal (sorted by name): additive pieces of the identity metrics."""

    names: tuple[str, ...]
    frames: np.ndarray  # int64: frames the animal is scored in
    idtp: np.ndarray  # int64: of them, frames its IDF1 hypothesis covers
    switches: np.ndarray  # int64
    fragments: np.ndarray  # int64
    segments: np.ndarray  # int64: MTBF's correctly tracked segments (n)
    segment_frames: np.ndarray  # int64: their summed lengths (S)
    gaps: tuple[np.ndarray, ...]  # per animal, the lengths of its runs of misses (m = their number)
    num_frames: int  # frames scored (the camera's, or summed over cameras)


def animals(gt: GtFrames) -> Animals:
    """The per-animal pieces of one camera (3D-ZeF's MTBF walk, vectorised: see the docs)."""
    ids, frames = np.unique(gt.gt_id, return_counts=True)
    owner = np.repeat(np.arange(len(ids)), frames)
    matched = gt.matched
    first = first_in_group(gt.gt_id)
    prev_matched = np.r_[False, matched[:-1]] & ~first
    # A segment starts at every switch and at every match not preceded (in the animal's frames) by a match.
    seg_start = matched & (gt.switch | ~prev_matched)
    missed = ~matched
    gap_start = missed & (first | prev_matched)
    run = np.cumsum(gap_start) - 1
    lengths = np.bincount(run[missed], minlength=int(gap_start.sum())) if missed.any() else np.zeros(0, np.int64)
    gap_owner = owner[gap_start]
    n = len(ids)

    def per(flag: np.ndarray) -> np.ndarray:
        return np.bincount(owner[flag], minlength=n).astype(np.int64)

    cut = np.searchsorted(gap_owner, np.arange(1, n))
    return Animals(
        names=tuple(str(i) for i in ids.tolist()),
        frames=frames.astype(np.int64),
        idtp=per(gt.assigned),
        switches=per(gt.switch),
        fragments=per(gt.frag),
        segments=per(seg_start),
        segment_frames=per(matched),
        gaps=tuple(np.split(lengths.astype(np.int64), cut)),
        num_frames=int(gt.num_frames),
    )


def pool(cameras: Mapping[str, Animals]) -> Animals:
    """Every camera's animals as one set (named ``<camera>/<gt id>``), frames summed."""
    items = list(cameras.items())

    def cat(field: str) -> np.ndarray:
        return np.concatenate([np.zeros(0, np.int64), *(getattr(a, field) for _, a in items)])

    return Animals(
        names=tuple(f"{c}/{name}" for c, a in items for name in a.names),
        frames=cat("frames"),
        idtp=cat("idtp"),
        switches=cat("switches"),
        fragments=cat("fragments"),
        segments=cat("segments"),
        segment_frames=cat("segment_frames"),
        gaps=tuple(g for _, a in items for g in a.gaps),
        num_frames=sum(a.num_frames for _, a in items),
    )


def _ratio(num: float, den: float) -> float:
    return num / den if den else math.nan


def mtbf(segment_frames: int, segments: int, null_runs: int) -> tuple[float, float]:
    """3D-ZeF's (standard, monotonic) MTBF: S / n and S / (n + m); (0, 0) without a segment, as theirs."""
    if segments == 0:
        return 0.0, 0.0
    return segment_frames / segments, segment_frames / (segments + null_runs)


def identity_metrics(a: Animals) -> dict[str, float | int | str]:
    """The identity numbers of a camera or a pool (:data:`IDENTITY_METRICS`, plus the worst
    animal's name)."""
    recall = a.idtp / np.maximum(a.frames, 1)
    gaps = np.concatenate([np.zeros(0, np.int64), *a.gaps])
    standard, monotonic = mtbf(int(a.segment_frames.sum()), int(a.segments.sum()), len(gaps))
    worst = int(np.argmin(recall)) if len(recall) else -1  # the first of equals in name order
    return {
        "identity_recall": _ratio(int(a.idtp.sum()), int(a.frames.sum())),
        "identity_recall_median": float(np.median(recall)) if len(recall) else math.nan,
        "identity_recall_min": float(recall[worst]) if len(recall) else math.nan,
        "worst_animal": a.names[worst] if len(recall) else "",
        "mtbf_standard": standard,
        "mtbf_monotonic": monotonic,
        "fragments_per_animal": _ratio(int(a.fragments.sum()), len(a.names)),
        "gaps": len(gaps),
        "gap_mean": float(gaps.mean()) if len(gaps) else math.nan,
        "gap_median": float(np.median(gaps)) if len(gaps) else math.nan,
        "gap_max": int(gaps.max()) if len(gaps) else 0,
        "idsw_per_1000_frames": _ratio(1000.0 * int(a.switches.sum()), a.num_frames),
        "animals": len(a.names),
    }


def animal_table(a: Animals) -> dict[str, dict[str, float | int]]:
    """Each animal's own numbers (metrics.json), by name."""
    out: dict[str, dict[str, float | int]] = {}
    for i, name in enumerate(a.names):
        standard, monotonic = mtbf(int(a.segment_frames[i]), int(a.segments[i]), len(a.gaps[i]))
        out[name] = {
            "frames": int(a.frames[i]),
            "identity_recall": _ratio(int(a.idtp[i]), int(a.frames[i])),
            "switches": int(a.switches[i]),
            "fragments": int(a.fragments[i]),
            "mtbf_standard": standard,
            "mtbf_monotonic": monotonic,
            "gaps": len(a.gaps[i]),
            "longest_gap": int(a.gaps[i].max()) if len(a.gaps[i]) else 0,
        }
    return out
