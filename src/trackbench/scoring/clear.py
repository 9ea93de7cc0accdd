"""CLEAR and identity counts through py-motmetrics: the only module that imports it.

py-motmetrics is the metric host: it gets an event table (its ``MOTAccumulator`` format) and
computes the counts, the identity global assignment (IDTP/IDFP/IDFN) included. The events come
from one of two matchings (``eval.matching``):

- ``official``: the matches :func:`trackbench.scoring.matching.official_matching` chose
  (TrackEval's rule), with RAW events for every gt/hypothesis pair at IoU >= threshold, so the
  identity metrics see exactly TrackEval's candidate pairs.
- ``motmetrics``: motmetrics' own accumulator, fed frame by frame (its matching rule).

Counts of a frame range come from the same event table sliced by frame, which is how windows
are scored.
"""

from __future__ import annotations

import functools
import math

import motmetrics as mm
import numpy as np
import pandas as pd

from trackbench.scoring.frames import FramePairs
from trackbench.scoring.matching import Matching

# Additive counts of a camera or a window, as motmetrics names them.
EVENT_COUNTS = (
    "num_frames",
    "num_objects",
    "num_predictions",
    "num_matches",
    "num_switches",
    "num_false_positives",
    "num_misses",
    "num_unique_objects",
    "num_predicted_unique_objects",
    "idtp",
    "idfp",
    "idfn",
)
# Track-level counts by motmetrics' own rules (used with eval.matching=motmetrics).
TRACK_COUNTS = ("mostly_tracked", "partially_tracked", "mostly_lost", "num_fragmentations")


def official_events(pairs: FramePairs, matching: Matching, threshold: float) -> pd.DataFrame:
    """motmetrics' event table for the official matching of one camera."""
    starts = np.searchsorted(matching.frame, np.asarray(pairs.frames, np.int64))
    ends = np.append(starts[1:], len(matching.frame))
    cols: dict[str, list[np.ndarray]] = {k: [] for k in ("frame", "type", "oid", "hid", "d")}

    def add(frame: int, kind: str, oid: np.ndarray, hid: np.ndarray, d: np.ndarray) -> None:
        cols["frame"].append(np.full(len(d), frame, np.int64))
        cols["type"].append(np.full(len(d), kind, object))
        cols["oid"].append(oid)
        cols["hid"].append(hid)
        cols["d"].append(d)

    for k, (frame, gt_ids, hyp_ids, iou) in enumerate(
        zip(pairs.frames, pairs.gt_ids, pairs.hyp_ids, pairs.ious, strict=True)
    ):
        g, h = gt_ids.astype(float), hyp_ids.astype(float)
        nan_g, nan_h = np.full(len(g), np.nan), np.full(len(h), np.nan)
        r, c = np.nonzero(iou >= threshold)  # TrackEval Identity's candidate pairs
        add(frame, "RAW", g[r], h[c], 1.0 - iou[r, c])
        add(frame, "RAW", g, nan_g, nan_g)
        add(frame, "RAW", nan_h, h, nan_h)
        lo, hi = starts[k], ends[k]
        mg, mh = matching.gt_id[lo:hi].astype(float), matching.hyp_id[lo:hi].astype(float)
        switch = matching.switch[lo:hi]
        add(frame, "SWITCH", mg[switch], mh[switch], 1.0 - matching.iou[lo:hi][switch])
        add(frame, "MATCH", mg[~switch], mh[~switch], 1.0 - matching.iou[lo:hi][~switch])
        missed = g[~np.isin(g, mg)]
        add(frame, "MISS", missed, np.full(len(missed), np.nan), np.full(len(missed), np.nan))
        false = h[~np.isin(h, mh)]
        add(frame, "FP", np.full(len(false), np.nan), false, np.full(len(false), np.nan))
    if not cols["frame"]:
        return mm.MOTAccumulator.new_event_dataframe()
    frame = np.concatenate(cols["frame"])
    return mm.MOTAccumulator.new_event_dataframe_with_data(
        {"FrameId": frame, "Event": np.arange(len(frame))},
        {
            "Type": np.concatenate(cols["type"]),
            "OId": np.concatenate(cols["oid"]),
            "HId": np.concatenate(cols["hid"]),
            "D": np.concatenate(cols["d"]),
        },
    )


def motmetrics_events(pairs: FramePairs, threshold: float) -> pd.DataFrame:
    """motmetrics' accumulator fed frame by frame: its own matching rule.

    Distance is 1 - IoU, NaN (do not pair) where it exceeds ``1 - threshold``, as motmetrics'
    ``iou_matrix`` with ``max_iou=1 - threshold`` (IoU == 0.5 still pairs at the default).
    """
    max_dist = 1.0 - threshold
    acc = mm.MOTAccumulator()
    # motmetrics' documented solver hook; it swaps a module global for the loop (workers are
    # processes, not threads).
    with mm.lap.set_default_solver(_ForcedFirst(mm.lap.default_solver)):
        for frame, gt_ids, hyp_ids, iou in zip(pairs.frames, pairs.gt_ids, pairs.hyp_ids, pairs.ious, strict=True):
            dist = 1.0 - iou
            dist[dist > max_dist] = np.nan
            acc.update(gt_ids, hyp_ids, dist, frameid=frame)
    return acc.events


class _ForcedFirst:
    """motmetrics LAP solver that skips the solver when the assignment is forced.

    Most frames reach the solver with every entry NaN (tracks carried on by the accumulator)
    or with at most one pairable entry per row and column; then the optimum (the most finite
    pairs, then the least cost) is exactly those pairs, in row order, as any exact solver
    returns them. Other frames go to motmetrics' own default solver, unchanged.
    """

    def __init__(self, fallback: object) -> None:
        self._fallback = mm.lap.solver_map[fallback] if isinstance(fallback, str) else fallback

    def __call__(self, costs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rows, cols = np.nonzero(np.isfinite(costs))
        if np.all(rows[1:] != rows[:-1]) and np.unique(cols).size == cols.size:
            return rows, cols
        return self._fallback(costs)


@functools.cache
def _host() -> mm.metrics.MetricsHost:
    """motmetrics' default metrics plus the count of distinct predicted ids it lacks (built
    once per process: registering its ~30 metrics costs more than scoring a short window)."""
    host = mm.metrics.create()
    host.register(
        _num_predicted_unique_objects,
        name="num_predicted_unique_objects",
        fnc_m=_num_predicted_unique_objects_m,
        formatter="{:d}".format,
    )
    return host


def _num_predicted_unique_objects(df: object, pred_frequencies: object) -> int:
    """Total number of unique hypothesis ids encountered."""
    del df
    return len(pred_frequencies)


def _num_predicted_unique_objects_m(partials: list[dict]) -> int:
    return sum(v["num_predicted_unique_objects"] for v in partials)


def between(events: pd.DataFrame, first: int, last: int) -> pd.DataFrame:
    """The events of frames ``first..last`` (inclusive); the table is in frame order."""
    frames = events.index.get_level_values(0).to_numpy()
    lo, hi = np.searchsorted(frames, [first, last + 1]).tolist()
    return events.iloc[lo:hi]


def event_counts(events: pd.DataFrame, track_counts: bool = False) -> dict[str, float]:
    """:data:`EVENT_COUNTS` (plus :data:`TRACK_COUNTS` if asked) of an event table."""
    names = EVENT_COUNTS + (TRACK_COUNTS if track_counts else ())
    if len(events) == 0:
        return dict.fromkeys(names, 0)
    values = _host().compute(events, metrics=list(names), return_dataframe=False)
    return {name: _number(values[name]) for name in names}


def distance_sum(events: pd.DataFrame) -> float:
    """Sum of distances (1 - IoU) of the matches: motmetrics' MOTP numerator."""
    matched = events[(events.Type == "MATCH") | (events.Type == "SWITCH")]
    return float(matched["D"].sum())


def _number(value: object) -> float:
    value = value.item() if isinstance(value, np.generic) else value
    number = float(value)  # type: ignore[arg-type]
    return int(number) if math.isfinite(number) and number.is_integer() else number
