"""CLEAR-MOT and identity scores through py-motmetrics: the only module that imports it.

Per camera, :func:`score_camera` feeds motmetrics' ``MOTAccumulator`` frame by frame and
computes its metrics; the result is a small picklable :class:`CameraScores`, so cameras can be
scored in worker processes. :func:`summarize` pools cameras as motmetrics'
``compute_many(..., generate_overall=True)`` does.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, get_args

import motmetrics as mm
import numpy as np
from scipy.optimize import linear_sum_assignment

from trackbench.datasets.base import BoxTable
from trackbench.errors import TrackbenchError
from trackbench.iou import frame_ious
from trackbench.types import Tracklet2D

FrameMode = Literal["detected", "interior", "all"]
FRAME_MODES: tuple[str, ...] = get_args(FrameMode)
COUNT_METRICS = (
    "num_switches",
    "num_fragmentations",
    "num_false_positives",
    "num_misses",
    "mostly_tracked",
    "partially_tracked",
    "mostly_lost",
    "num_unique_objects",
    "num_predicted_unique_objects",
    "num_frames",
    "num_objects",
    "num_predictions",
    "num_matches",
)
RATIO_METRICS = ("mota", "motp", "idf1", "idp", "idr", "precision", "recall")
METRICS = RATIO_METRICS + COUNT_METRICS
# TrackEval's MOT preprocessing matches hypotheses to distractors at a fixed IoU of 0.5,
# whatever the scoring threshold.
_DISTRACTOR_IOU = 0.5
_EPS = np.finfo(float).eps


@dataclass(frozen=True, slots=True)
class CameraScores:
    """One camera's metrics (``metrics``, plain floats/ints, keys :data:`METRICS`) plus the
    scalar intermediates motmetrics needs to pool cameras (``partial``)."""

    metrics: dict[str, float]
    partial: dict[str, float]


@dataclass(frozen=True, slots=True)
class Scores:
    """Pooled and per-camera metrics; NaN where a ratio is undefined (e.g. MOTA without gt)."""

    overall: dict[str, float]
    per_camera: dict[str, dict[str, float]]


def hypotheses_from_tracklets(tracklets: Iterable[Tracklet2D], frames: FrameMode = "detected") -> BoxTable:
    """Hypothesis rows (confidence 1.0) of one camera's tracklets.

    ``frames`` picks the entries scored: "detected" only, "interior" (detected plus coasted
    entries between two detections of the same tracklet) or "all" (also trailing coasts).
    """
    if frames not in FRAME_MODES:
        raise TrackbenchError(f"scoring frames must be one of {', '.join(FRAME_MODES)}; got {frames!r}")
    tracklets = tuple(tracklets)
    cameras = sorted({t.camera_id for t in tracklets})
    if len(cameras) > 1:
        raise TrackbenchError(f"hypotheses_from_tracklets takes one camera's tracklets; got {cameras}")
    frame_rows, id_rows, box_rows = [], [], []
    for t in tracklets:
        keep = _kept_entries(t.frame_status, frames)
        frame_rows.append(np.asarray(t.frames, np.int64)[keep])
        id_rows.append(np.full(int(keep.sum()), t.track_id, np.int64))
        box_rows.append(np.asarray(t.bboxes, np.float64).reshape(-1, 4)[keep])
    if not frame_rows:
        return BoxTable.empty()
    n = sum(len(f) for f in frame_rows)
    return BoxTable(
        frames=np.concatenate(frame_rows),
        ids=np.concatenate(id_rows),
        boxes=np.concatenate(box_rows).reshape(-1, 4),
        confidences=np.ones(n, np.float64),
        distractor=np.zeros(n, bool),
    )


def _kept_entries(status: tuple[str, ...], frames: str) -> np.ndarray:
    """Boolean mask over a tracklet's entries for a ``frames`` mode."""
    detected = np.asarray(status, dtype=object) == "detected"
    if frames == "detected":
        return detected
    if frames == "all":
        return np.ones(len(status), bool)
    keep = np.zeros(len(status), bool)
    hits = np.flatnonzero(detected)
    if hits.size:
        keep[hits[0] : hits[-1] + 1] = True
    return keep


def _rows(table: BoxTable, index: np.ndarray) -> BoxTable:
    """The rows ``index`` (boolean mask or positions) of a table."""
    return BoxTable(
        frames=table.frames[index],
        ids=table.ids[index],
        boxes=table.boxes[index],
        confidences=table.confidences[index],
        distractor=table.distractor[index],
    )


def _by_frame(table: BoxTable, what: str) -> BoxTable:
    """The table sorted by frame (file order kept within a frame); rejects duplicate ids per frame."""
    order = np.lexsort((table.ids, table.frames))
    frames, ids = table.frames[order], table.ids[order]
    dup = np.flatnonzero((frames[1:] == frames[:-1]) & (ids[1:] == ids[:-1]))
    if dup.size:
        raise TrackbenchError(f"{what}: id {ids[dup[0]]} appears twice in frame {frames[dup[0]]}")
    return _rows(table, np.argsort(table.frames, kind="stable"))


def _distractor_matched(iou: np.ndarray, distractor: np.ndarray) -> np.ndarray:
    """Columns (hypotheses) of one frame that TrackEval's MOT17 preprocessing removes: those
    Hungarian-matched, on IoU >= 0.5 over all gt rows of the frame, to a distractor row."""
    scores = np.where(iou < _DISTRACTOR_IOU - _EPS, 0.0, iou)
    if not scores[distractor].any():
        return np.zeros(iou.shape[1], bool)  # no distractor can be matched: skip the solver
    rows, cols = linear_sum_assignment(-scores)
    hit = (scores[rows, cols] > _EPS) & distractor[rows]
    removed = np.zeros(iou.shape[1], bool)
    removed[cols[hit]] = True
    return removed


def accumulate_camera(gt: BoxTable, hyp: BoxTable, iou_threshold: float = 0.5) -> mm.MOTAccumulator:
    """motmetrics' event accumulator for one camera, fed every frame with a scored gt box or a
    hypothesis.

    Per frame, hypotheses matched to distractor gt rows are dropped first (see
    :func:`_distractor_matched`); distractor rows are not scored. Distance is 1 - IoU, NaN
    (do not pair) where it exceeds ``1 - iou_threshold``, as motmetrics' ``iou_matrix`` with
    ``max_iou=1 - iou_threshold`` (the boundary pairs: IoU == 0.5 matches at the default).
    """
    if not 0.0 <= iou_threshold <= 1.0:
        raise TrackbenchError(f"iou_threshold must lie in [0, 1]; got {iou_threshold}")
    max_dist = 1.0 - iou_threshold
    gt, hyp = _by_frame(gt, "ground truth"), _by_frame(hyp, "hypotheses")
    acc = mm.MOTAccumulator()
    # motmetrics' documented solver hook; it swaps a module global for the loop (workers are
    # processes, not threads).
    with mm.lap.set_default_solver(_ForcedFirst(mm.lap.default_solver)):
        for frame, g, h, iou in frame_ious(gt.frames, gt.boxes, hyp.frames, hyp.boxes):
            oids, hids, distractor = gt.ids[g], hyp.ids[h], gt.distractor[g]
            if distractor.any():
                kept = ~_distractor_matched(iou, distractor) if iou.size else np.ones(len(hids), bool)
                target = ~distractor
                iou, oids, hids = iou[np.ix_(target, kept)], oids[target], hids[kept]
            if len(oids) == 0 and len(hids) == 0:
                continue
            dist = 1.0 - iou
            dist[dist > max_dist] = np.nan
            acc.update(oids, hids, dist, frameid=frame)
    return acc


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


def _metrics_host() -> mm.metrics.MetricsHost:
    """motmetrics' default metrics plus the count of distinct predicted ids it lacks."""
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


def _plain(values: Mapping[str, object]) -> dict[str, float]:
    """Public metrics as Python ints / floats; infinite ratios (no gt) become NaN."""
    out: dict[str, float] = {}
    for name in METRICS:
        value = float(values[name])
        if name in COUNT_METRICS:
            out[name] = int(value)
        else:
            out[name] = value if math.isfinite(value) else math.nan
    return out


def summarize_accumulator(acc: mm.MOTAccumulator) -> CameraScores:
    """Compute one camera's metrics from its accumulator (the heavy part; runs in a worker)."""
    cached = _metrics_host().compute(acc, metrics=list(METRICS), return_cached=True, return_dataframe=False)
    partial = {k: v.item() if isinstance(v, np.generic) else v for k, v in cached.items()}
    partial = {k: v for k, v in partial.items() if isinstance(v, int | float)}
    return CameraScores(metrics=_plain(partial), partial=partial)


def score_camera(gt: BoxTable, hyp: BoxTable, iou_threshold: float = 0.5) -> CameraScores:
    """Score one camera: the picklable per-camera step of :func:`score`."""
    return summarize_accumulator(accumulate_camera(gt, hyp, iou_threshold))


def summarize(per_camera: Mapping[str, CameraScores]) -> Scores:
    """Pool cameras with motmetrics' overall merge (sums of counts, ratios of sums)."""
    partials = [s.partial for s in per_camera.values()]
    overall = _metrics_host().compute_overall(partials, metrics=list(METRICS), return_dataframe=False)
    return Scores(
        overall=_plain(overall),
        per_camera={camera: dict(s.metrics) for camera, s in per_camera.items()},
    )


def score(gt: Mapping[str, BoxTable], hyp: Mapping[str, BoxTable], iou_threshold: float = 0.5) -> Scores:
    """Score every camera of ``gt`` serially; a camera missing from ``hyp`` has no hypotheses."""
    extra = sorted(set(hyp) - set(gt))
    if extra:
        raise TrackbenchError(f"hypotheses for cameras without ground truth: {extra}")
    return summarize({c: score_camera(g, hyp.get(c, BoxTable.empty()), iou_threshold) for c, g in gt.items()})
