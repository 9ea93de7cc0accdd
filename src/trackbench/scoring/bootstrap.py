"""Paired block bootstrap over (camera, window) blocks; pure NumPy.

A run's blocks are its cameras' windows (:mod:`trackbench.scoring.windows`), each with its raw
additive counts. One resample draws as many blocks as there are, with replacement, sums their
counts and computes the metric with the scorer's own pooling rule
(:func:`trackbench.scoring.counts.metrics_from_counts`), never a mean of ratios. Two runs on the
same data are compared *paired*: the same draws are applied to both runs' blocks.

What an interval captures: how much a run's score would move if the recording had been made of
other stretches like its windows. Windows of one recording are not independent scenes (same
animals, same tank, same detector), so the interval does not capture scene-to-scene variation
beyond what the windows show; docs/guide/uncertainty.md says how this was checked on fresh scenes.

The resamples give the metric's spread; the interval is centred on the run's reported value:
for identity and HOTA (computed within windows) the pooled-windows value differs slightly from
the whole-run value, and only the spread is taken from the blocks.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from trackbench.config.metric_names import HOTA_METRICS, RANGE_COUNTS
from trackbench.scoring.counts import Counts, metrics_from_counts, total
from trackbench.scoring.hota import hota_per_alpha
from trackbench.scoring.windows import WindowScores

# Metrics with an interval. HOTA and AssA have none: their association is computed within each
# window (motrics reports only a sequence's totals, so the run's association cannot be cut into
# windows), and such intervals covered the mean over 20 fresh tanks only 60% / 50% of the time.
HEADLINE = ("mota", "idf1", "deta")
DEFAULT_SAMPLES = 1000
LEVEL = 0.95


@dataclass(frozen=True, slots=True)
class Interval:
    """A ``level`` interval of a metric around the run's value."""

    value: float
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class Comparison:
    """Run A minus run B on the same blocks: the difference's interval and how often each wins."""

    metric: str
    difference: Interval
    a_wins: float  # share of resamples with A strictly better
    b_wins: float


def blocks(windows: Mapping[str, Sequence[WindowScores]]) -> tuple[Counts, ...]:
    """The (camera, window) blocks of a run in a fixed order (camera, then first frame).

    Identity counts are the whole run's assignment attributed to the window (``idtp_run``),
    not the window's own: a run's IDF1 rests on identities kept over the whole recording, and
    resampling windows scored on their own would only show the (smaller) spread of short-range
    identity. With them, all blocks summed give the run's IDF1 exactly.
    """
    out = []
    for camera in sorted(windows):
        for w in sorted(windows[camera], key=lambda w: w.first):
            c = dict(w.counts.clear)
            c["idtp"] = c["idtp_run"]
            c["idfp"] = c["num_predictions"] - c["idtp_run"]
            c["idfn"] = c["num_objects"] - c["idtp_run"]
            out.append(Counts(c, w.counts.hota))
    return tuple(out)


def blocks_from_json(per_camera: Mapping[str, Sequence[Mapping[str, Any]]]) -> tuple[Counts, ...]:
    """:func:`blocks` of a run from its metrics.json (``windows.per_camera``)."""
    return blocks(
        {
            camera: [WindowScores(w["first_frame"], w["last_frame"], Counts.from_json(w["counts"])) for w in ws]
            for camera, ws in per_camera.items()
        }
    )


def draws(n_blocks: int, samples: int, seed: int) -> np.ndarray:
    """``(samples, n_blocks)`` block indices drawn with replacement; the same for a seed."""
    if n_blocks < 1:
        raise ValueError("bootstrap needs at least one block")
    return np.random.default_rng(seed).integers(0, n_blocks, size=(samples, n_blocks))


def resampled(block_counts: Sequence[Counts], index: np.ndarray, metrics: Sequence[str]) -> np.ndarray:
    """``(samples, len(metrics))``: each resample's metrics from its summed block counts
    (the sums as one matrix product of draw multiplicities and the blocks' count vectors)."""
    keys = [k for k in block_counts[0].clear if all(k in c.clear for c in block_counts)]
    shape = block_counts[0].hota.shape
    matrix = np.array([[c.clear[k] for k in keys] + c.hota.ravel().tolist() for c in block_counts])
    multiplicity = np.zeros((len(index), len(block_counts)))
    np.add.at(multiplicity, (np.repeat(np.arange(len(index)), index.shape[1]), index.ravel()), 1.0)
    sums = multiplicity @ matrix
    if all(m in _COLUMNS for m in metrics) and set(RANGE_COUNTS) <= set(keys) and len(shape) == 2:
        return metric_columns(dict(zip(keys, sums[:, : len(keys)].T, strict=True)), sums[:, len(keys) :], metrics)
    out = np.empty((len(index), len(metrics)))
    for s, row in enumerate(sums):
        counts = Counts(dict(zip(keys, row[: len(keys)].tolist(), strict=True)), row[len(keys) :].reshape(shape))
        m = metrics_from_counts(counts)
        out[s] = [m[k] for k in metrics]
    return out


def metric_columns(clear: Mapping[str, np.ndarray], hota: np.ndarray, metrics: Sequence[str]) -> np.ndarray:
    """``(samples, len(metrics))``: :func:`~trackbench.scoring.counts.metrics_from_counts` of
    many summed counts at once, float for float (the same operations in the same order, on
    columns: ``clear`` maps a count to its column, ``hota`` holds each sum's raveled HOTA
    counts as a row). A bootstrap's 1,000 resamples one at a time cost a sweep's trial 80 ms."""
    c = {k: np.asarray(v, np.float64) for k, v in clear.items()}
    rows = len(hota)
    per_alpha = hota_per_alpha(np.moveaxis(np.asarray(hota, np.float64).reshape(rows, 7, -1), 1, 0))
    out = np.empty((rows, len(metrics)))
    for k, name in enumerate(metrics):
        out[:, k] = np.mean(per_alpha[name], axis=-1) if name in HOTA_METRICS else _CLEAR_COLUMNS[name](c)
    return out


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den != 0, num / np.where(den != 0, den, 1.0), np.nan)


def _mota(c: Mapping[str, np.ndarray]) -> np.ndarray:
    errors = c["num_misses"] + c["num_switches"] + c["num_false_positives"]
    objects = c["num_objects"]
    mota: np.ndarray = np.where(objects != 0, 1.0 - errors / np.where(objects != 0, objects, 1.0), np.nan)
    return mota


def _detections(c: Mapping[str, np.ndarray]) -> np.ndarray:
    detections: np.ndarray = c["num_matches"] + c["num_switches"]
    return detections


# metrics_from_counts' RATIO_METRICS as columns (the HOTA ones come from hota_per_alpha).
_CLEAR_COLUMNS: dict[str, Callable[[Mapping[str, np.ndarray]], np.ndarray]] = {
    "mota": _mota,
    "motp": lambda c: _ratio(c["motp_sum"], _detections(c)),
    "idf1": lambda c: _ratio(2 * c["idtp"], c["num_objects"] + c["num_predictions"]),
    "idp": lambda c: _ratio(c["idtp"], c["idtp"] + c["idfp"]),
    "idr": lambda c: _ratio(c["idtp"], c["idtp"] + c["idfn"]),
    "precision": lambda c: _ratio(_detections(c), c["num_false_positives"] + _detections(c)),
    "recall": lambda c: _ratio(_detections(c), c["num_objects"]),
}
_COLUMNS = frozenset(_CLEAR_COLUMNS) | frozenset(HOTA_METRICS)


def _interval(value: float, pooled: float, samples: np.ndarray, level: float) -> Interval:
    finite = samples[np.isfinite(samples)]
    if not finite.size or math.isnan(value):
        return Interval(value, math.nan, math.nan)
    lo, hi = np.quantile(finite, [(1 - level) / 2, (1 + level) / 2])
    shift = value - pooled if math.isfinite(pooled) else 0.0
    return Interval(value, float(lo + shift), float(hi + shift))


def intervals(
    block_counts: Sequence[Counts],
    values: Mapping[str, float],
    metrics: Sequence[str] = HEADLINE,
    samples: int = DEFAULT_SAMPLES,
    seed: int = 0,
    level: float = LEVEL,
) -> dict[str, Interval]:
    """A ``level`` interval per metric, centred on the run's ``values``."""
    pooled = metrics_from_counts(total(block_counts))
    table = resampled(block_counts, draws(len(block_counts), samples, seed), metrics)
    return {m: _interval(values[m], pooled[m], table[:, k], level) for k, m in enumerate(metrics)}


def compare(
    blocks_a: Sequence[Counts],
    blocks_b: Sequence[Counts],
    values_a: Mapping[str, float],
    values_b: Mapping[str, float],
    metric: str,
    samples: int = DEFAULT_SAMPLES,
    seed: int = 0,
    level: float = LEVEL,
    higher_is_better: bool = True,
) -> Comparison:
    """Paired comparison of two runs scored on the same blocks (same cameras and windows)."""
    if len(blocks_a) != len(blocks_b):
        raise ValueError(f"paired bootstrap needs the same blocks; got {len(blocks_a)} and {len(blocks_b)}")
    index = draws(len(blocks_a), samples, seed)
    a = resampled(blocks_a, index, [metric])[:, 0]
    b = resampled(blocks_b, index, [metric])[:, 0]
    pooled = metrics_from_counts(total(blocks_a))[metric] - metrics_from_counts(total(blocks_b))[metric]
    difference = _interval(values_a[metric] - values_b[metric], pooled, a - b, level)
    sign = 1.0 if higher_is_better else -1.0
    return Comparison(metric, difference, float(np.mean(sign * (a - b) > 0)), float(np.mean(sign * (b - a) > 0)))
