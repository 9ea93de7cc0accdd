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
from typing import cast

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
    lists, IoU matrices as the NumPy arrays themselves. (Lists of floats read about twice as fast
    but cost ~32 bytes per gt x hypothesis pair, ~70 MB on a crowded MOT17 sequence, and the
    conversion eats the gain; the values are the same floats either way.)"""

    gt_ids: list[list[int]]
    hyp_ids: list[list[int]]
    ious: Sequence[np.ndarray]

    @staticmethod
    def of(pairs: FramePairs) -> HotaFrames:
        return HotaFrames([g.tolist() for g in pairs.gt_ids], [h.tolist() for h in pairs.hyp_ids], pairs.ious)

    def counts(self, lo: int, hi: int) -> np.ndarray:
        """``(len(HOTA_ROWS), len(ALPHAS))`` additive HOTA sums of frames ``lo:hi`` (positions)."""
        if hi <= lo:
            return empty_counts()
        # motrics reads any sequence of rows (its stubs say lists); the arrays give it the same floats.
        ious = cast("Sequence[Sequence[Sequence[float]]]", self.ious[lo:hi])
        m = motrics.compute_hota_from_similarity(self.gt_ids[lo:hi], self.hyp_ids[lo:hi], ious)
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


def hota_metrics(counts: np.ndarray) -> dict[str, float]:
    """HOTA, DetA, AssA, LocA, DetRe, DetPr, AssRe, AssPr (means over alpha) of summed counts,
    by TrackEval's ``combine_sequences`` + ``_compute_final_fields``."""
    tp, fn, fp, assa_tp, assre_tp, asspr_tp, loca_tp = np.asarray(counts, np.float64)
    assa = assa_tp / np.maximum(1.0, tp)
    deta = tp / np.maximum(1.0, tp + fn + fp)
    per_alpha = {
        "hota": np.sqrt(deta * assa),
        "deta": deta,
        "assa": assa,
        "loca": np.maximum(1e-10, loca_tp) / np.maximum(1e-10, tp),
        "detre": tp / np.maximum(1.0, tp + fn),
        "detpr": tp / np.maximum(1.0, tp + fp),
        "assre": assre_tp / np.maximum(1.0, tp),
        "asspr": asspr_tp / np.maximum(1.0, tp),
    }
    return {name: float(np.mean(per_alpha[name])) for name in HOTA_METRICS}
