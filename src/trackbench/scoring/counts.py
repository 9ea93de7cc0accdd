"""Additive raw counts and the metrics computed from them: the one pooling rule.

A camera, a window, a pool of cameras or of windows, and a bootstrap resample are all a sum
of :class:`Counts`; :func:`metrics_from_counts` turns any such sum into metrics. CLEAR and
identity ratios are ratios of summed counts (as motmetrics' ``compute_overall`` and TrackEval's
``combine_sequences``), HOTA as TrackEval's ``HOTA.combine_sequences``; never a mean of ratios.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from trackbench.config.metric_names import (
    CAMERA_COUNTS,
    COUNT_METRICS,
    HOTA_METRICS,
    LOWER_IS_BETTER,
    METRICS,
    RANGE_COUNTS,
    RATIO_METRICS,
)
from trackbench.scoring.hota import empty_counts, hota_metrics

__all__ = [  # the metric names are re-exported: the scoring package names them
    "CAMERA_COUNTS",
    "COUNT_METRICS",
    "HOTA_METRICS",
    "LOWER_IS_BETTER",
    "METRICS",
    "RANGE_COUNTS",
    "RATIO_METRICS",
    "WINDOW_METRICS",
    "Counts",
    "metrics_from_counts",
    "total",
]

WINDOW_METRICS = ("mota", "idf1", "hota", "num_false_positives", "num_misses", "num_switches")


@dataclass(frozen=True, slots=True, eq=False)
class Counts:
    """Raw additive counts: ``clear`` (:data:`RANGE_COUNTS`, plus :data:`CAMERA_COUNTS` for
    whole cameras) and ``hota`` (see :mod:`trackbench.scoring.hota`)."""

    clear: Mapping[str, float]
    hota: np.ndarray

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Counts):
            return NotImplemented
        return dict(self.clear) == dict(other.clear) and np.array_equal(self.hota, other.hota)

    __hash__ = None  # type: ignore[assignment]

    def to_json(self) -> dict[str, object]:
        return {"clear": dict(self.clear), "hota": self.hota.tolist()}

    @staticmethod
    def from_json(data: Mapping[str, object]) -> Counts:
        clear = data["clear"]
        assert isinstance(clear, Mapping)
        return Counts(dict(clear), np.asarray(data["hota"], np.float64))


def total(counts: Iterable[Counts]) -> Counts:
    """The sum of counts; keys not present in every term are dropped."""
    counts = list(counts)
    if not counts:
        return Counts(dict.fromkeys(RANGE_COUNTS, 0), empty_counts())
    keys = [k for k in counts[0].clear if all(k in c.clear for c in counts)]
    clear = {k: sum(c.clear[k] for c in counts) for k in keys}
    return Counts(clear, np.sum([c.hota for c in counts], axis=0))


def _ratio(num: float, den: float) -> float:
    return num / den if den else math.nan


def metrics_from_counts(counts: Counts) -> dict[str, float]:
    """Every metric the counts define (camera-only counts appear when present)."""
    c = counts.clear
    detections = c["num_matches"] + c["num_switches"]
    errors = c["num_misses"] + c["num_switches"] + c["num_false_positives"]
    out: dict[str, float] = {
        "mota": 1.0 - errors / c["num_objects"] if c["num_objects"] else math.nan,
        "motp": _ratio(c["motp_sum"], detections),
        "idf1": _ratio(2 * c["idtp"], c["num_objects"] + c["num_predictions"]),
        "idp": _ratio(c["idtp"], c["idtp"] + c["idfp"]),
        "idr": _ratio(c["idtp"], c["idtp"] + c["idfn"]),
        "precision": _ratio(detections, c["num_false_positives"] + detections),
        "recall": _ratio(detections, c["num_objects"]),
    }
    out.update(hota_metrics(counts.hota))
    for key in COUNT_METRICS:
        if key in c:
            out[key] = int(c[key])
    return out
