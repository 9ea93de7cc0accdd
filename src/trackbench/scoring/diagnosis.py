"""Why a camera scores what it does: its error events, per-animal identity metrics and error
attribution, from the very matching its counts come from (scored once, in the job's process).

:func:`diagnose_camera` scores a camera and diagnoses it; :func:`diagnosis_json` gives
metrics.json's ``identity`` and ``attribution`` for the cameras and their pool (pooled from
the animals' frames and from summed counts, never as a mean of camera ratios).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from trackbench.artifacts.events import ErrorEvents
from trackbench.artifacts.identity import UNMATCHED, IdentityFrames
from trackbench.datasets.base import BoxTable
from trackbench.scoring import identity
from trackbench.scoring.attribution import FIXES, RUN_FIXES, rewrites, unchanged
from trackbench.scoring.counts import Counts, metrics_from_counts, total
from trackbench.scoring.events import camera_events, lookup_boxes
from trackbench.scoring.score import CameraScores, Scored, pairs_counts, scored_camera
from trackbench.scoring.tracks import GtFrames, motmetrics_gt_frames, official_gt_frames

ATTRIBUTION_METRICS = ("hota", "idf1", "mota")


@dataclass(frozen=True, slots=True, eq=False)
class CameraDiagnosis:
    """One camera's error events, animals (identity pieces) and the counts each oracle reaches."""

    events: ErrorEvents
    animals: identity.Animals
    baseline: Counts
    fixes: Mapping[str, Counts]
    holders: IdentityFrames  # each scored gt box's hypothesis (the identity timeline's rows)
    holder_boxes: np.ndarray  # (N, 4): those gt boxes, row for row


def gt_frames(scored: Scored) -> GtFrames:
    """The camera's gt boxes and their fate under the matching its counts come from."""
    num_frames = int(scored.scores.counts.clear["num_frames"])
    if scored.matching is not None:
        return official_gt_frames(scored.pairs, scored.matching, scored.events, num_frames)
    return motmetrics_gt_frames(scored.events, num_frames)


def diagnose(
    scored: Scored,
    gt: BoxTable,
    hyp: BoxTable,
    iou_threshold: float,
    matching: str,
    fixes: tuple[str, ...] = RUN_FIXES,
) -> CameraDiagnosis:
    """The diagnosis of a camera ``scored`` from ``gt`` and ``hyp`` (the oracles' rows scored
    again by the same scorer, its counts over the camera's frames:
    :func:`~trackbench.scoring.score.range_counts`, from the IoUs already computed for the
    rows an oracle keeps: :meth:`~trackbench.scoring.frames.FrameTable.variant_pairs`)."""
    frames = gt_frames(scored)
    fixed: dict[str, Counts] = {}
    for kind, rewrite in rewrites(frames, gt, hyp, fixes).items():
        # Rows an oracle left as they were score as they did: not scored again.
        if unchanged(rewrite, hyp):
            fixed[kind] = scored.scores.counts
            continue
        pairs = scored.table.variant_pairs(rewrite.keep, rewrite.ids, rewrite.extra)
        fixed[kind] = pairs_counts(pairs, iou_threshold, matching=matching)
    holders = IdentityFrames(frames.frame, frames.gt_id, np.where(frames.matched, frames.hyp_id, UNMATCHED))
    return CameraDiagnosis(
        camera_events(frames, gt, hyp),
        identity.animals(frames),
        scored.scores.counts,
        fixed,
        holders,
        lookup_boxes(gt, frames.frame, frames.gt_id),
    )


def diagnose_camera(
    gt: BoxTable,
    hyp: BoxTable,
    iou_threshold: float = 0.5,
    *,
    matching: str = "official",
    window_frames: int | None = None,
    frame_range: tuple[int, int] | None = None,
    fixes: tuple[str, ...] = RUN_FIXES,
) -> tuple[CameraScores, CameraDiagnosis]:
    """:func:`~trackbench.scoring.score_camera`'s scores and the camera's diagnosis."""
    scored = scored_camera(
        gt, hyp, iou_threshold, matching=matching, window_frames=window_frames, frame_range=frame_range
    )
    return scored.scores, diagnose(scored, gt, hyp, iou_threshold, matching, fixes)


def _attribution(baseline: Counts, fixes: Mapping[str, Counts]) -> dict[str, dict[str, float]]:
    rows = {"none": baseline, **{kind: fixes[kind] for kind in FIXES if kind in fixes}}
    out = {}
    for kind, counts in rows.items():
        metrics = metrics_from_counts(counts)
        out[kind] = {m: metrics[m] for m in ATTRIBUTION_METRICS}
    return out


def diagnosis_json(per_camera: Mapping[str, CameraDiagnosis]) -> dict[str, Any]:
    """metrics.json's ``identity`` (numbers, and each animal's per camera) and ``attribution``
    (fix -> HOTA, IDF1, MOTA; ``none``: as scored), per camera and pooled; no ``attribution``
    if the cameras were diagnosed without fixes (``eval.attribution``)."""
    pooled = identity.pool({c: d.animals for c, d in per_camera.items()})
    out: dict[str, Any] = {
        "identity": {
            "overall": identity.identity_metrics(pooled),
            "per_camera": {
                c: {**identity.identity_metrics(d.animals), "per_animal": identity.animal_table(d.animals)}
                for c, d in per_camera.items()
            },
        },
    }
    kinds = [k for k in FIXES if all(k in d.fixes for d in per_camera.values())]
    if kinds:
        out["attribution"] = {
            "overall": _attribution(
                total(d.baseline for d in per_camera.values()),
                {k: total(d.fixes[k] for d in per_camera.values()) for k in kinds},
            ),
            "per_camera": {c: _attribution(d.baseline, d.fixes) for c, d in per_camera.items()},
        }
    return out
