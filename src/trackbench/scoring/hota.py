"""HOTA family through motrics (a Rust implementation of TrackEval's HOTA): its only importer.

:meth:`HotaFrames.counts` reduces a camera (or a window of it) to additive per-alpha sums, the fields
TrackEval's ``HOTA.combine_sequences`` pools: TP, FN, FP and the TP-weighted AssA, AssRe, AssPr
and LocA. :func:`hota_metrics` turns any sum of them into the metrics exactly as TrackEval
does, so one camera, a pool of cameras, a window and a bootstrap resample share one formula.
motrics matches TrackEval's ``HOTA.eval_sequence`` to ~1e-15 on every case in
``tests/test_scoring_parity.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import motrics
import numpy as np

from trackbench.config.metric_names import HOTA_METRICS as HOTA_METRICS  # re-exported (scoring's __init__)
from trackbench.scoring.frames import FramePairs

ALPHAS = np.arange(0.05, 0.99, 0.05)  # TrackEval's localisation thresholds
# Rows of a counts array, each over ALPHAS.
HOTA_ROWS = ("tp", "fn", "fp", "assa_tp", "assre_tp", "asspr_tp", "loca_tp")


def empty_counts() -> np.ndarray:
    return np.zeros((len(HOTA_ROWS), len(ALPHAS)))


@dataclass(frozen=True, slots=True, eq=False)
class HotaFrames:
    """A camera's frames as motrics reads them, for the camera and all its windows: ids as Python
    lists, boxes as the ``(n, 4)`` corner arrays themselves (motrics reads C-contiguous float64
    ``xyxy`` arrays without copying, and computes each frame's IoUs itself).

    motrics' box IoU repeats ours operation for operation (``tests/test_hota_boxes.py`` holds
    the two bit-identical, and the HOTA sums from boxes equal those from our IoU matrices), so
    the scores are those of the IoU matrices every other metric reads. Handing it the matrices
    instead costs about three times as long: motrics reads each IoU as a Python float."""

    gt_ids: list[list[int]]
    hyp_ids: list[list[int]]
    gt_boxes: Sequence[np.ndarray]
    hyp_boxes: Sequence[np.ndarray]

    @staticmethod
    def of(pairs: FramePairs) -> HotaFrames:
        return HotaFrames(_lists(pairs.gt_ids), _lists(pairs.hyp_ids), pairs.gt_boxes, pairs.hyp_boxes)

    def counts(self, lo: int, hi: int) -> np.ndarray:
        """``(len(HOTA_ROWS), len(ALPHAS))`` additive HOTA sums of frames ``lo:hi`` (positions)."""
        if hi <= lo:
            return empty_counts()
        gt_boxes, hyp_boxes = list(self.gt_boxes[lo:hi]), list(self.hyp_boxes[lo:hi])
        m = motrics.compute_hota(self.gt_ids[lo:hi], gt_boxes, self.hyp_ids[lo:hi], hyp_boxes, box_format="xyxy")
        if not np.allclose(m.alphas, ALPHAS, rtol=0, atol=1e-12):
            raise RuntimeError(f"motrics swept alphas {m.alphas}, not TrackEval's {ALPHAS.tolist()}")
        tp = np.asarray(m.hota_tp_alphas, np.float64)
        return np.vstack(
            [
                tp,
                np.asarray(m.hota_fn_alphas, np.float64),
                np.asarray(m.hota_fp_alphas, np.float64),
                np.asarray(m.assa_alphas, np.float64) * tp,
                np.asarray(m.ass_re_alphas, np.float64) * tp,
                np.asarray(m.ass_pr_alphas, np.float64) * tp,
                np.asarray(m.loca_alphas, np.float64) * tp,
            ]
        )


def _lists(arrays: Sequence[np.ndarray]) -> list[list[int]]:
    """Each array as a list of Python ints (one conversion for all, then list slices)."""
    flat: list[int] = np.concatenate([np.empty(0, np.int64), *arrays]).astype(np.int64).tolist()
    ends = np.cumsum([len(a) for a in arrays]).tolist()
    return [flat[a:b] for a, b in zip([0, *ends][:-1], ends, strict=True)]


def hota_metrics(counts: np.ndarray) -> dict[str, float]:
    """HOTA, DetA, AssA, LocA, DetRe, DetPr, AssRe, AssPr (means over alpha) of summed counts,
    by TrackEval's ``combine_sequences`` + ``_compute_final_fields``."""
    per_alpha = hota_per_alpha(counts)
    return {name: float(np.mean(per_alpha[name])) for name in HOTA_METRICS}


def hota_per_alpha(counts: np.ndarray) -> dict[str, np.ndarray]:
    """Each of :data:`HOTA_METRICS` per alpha (the last axis) from summed counts whose first
    axis is the 7 count kinds; any axes between hold many sums at once (the bootstrap's)."""
    tp, fn, fp, assa_tp, assre_tp, asspr_tp, loca_tp = np.asarray(counts, np.float64)
    assa = assa_tp / np.maximum(1.0, tp)
    deta = tp / np.maximum(1.0, tp + fn + fp)
    return {
        "hota": np.sqrt(deta * assa),
        "deta": deta,
        "assa": assa,
        "loca": np.maximum(1e-10, loca_tp) / np.maximum(1e-10, tp),
        "detre": tp / np.maximum(1.0, tp + fn),
        "detpr": tp / np.maximum(1.0, tp + fp),
        "assre": assre_tp / np.maximum(1.0, tp),
        "asspr": asspr_tp / np.maximum(1.0, tp),
    }
