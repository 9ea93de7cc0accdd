"""Score one camera (picklable result, computed in its worker) and pool cameras."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np

from trackbench.datasets.base import BoxTable
from trackbench.errors import TrackbenchError
from trackbench.scoring import clear
from trackbench.scoring.counts import CAMERA_COUNTS, RANGE_COUNTS, Counts, metrics_from_counts, total
from trackbench.scoring.frames import FramePairs, FrameTable, prepare
from trackbench.scoring.hota import HotaFrames
from trackbench.scoring.matching import Matching, official_matching
from trackbench.scoring.windows import WindowScores, pool_windows, window_bounds

MatchingMode = Literal["official", "motmetrics"]
MATCHING_MODES: tuple[str, ...] = get_args(MatchingMode)


@dataclass(frozen=True, slots=True)
class CameraScores:
    """One camera's metrics, the counts they come from, and its windows (if asked for)."""

    metrics: dict[str, float]
    counts: Counts
    windows: tuple[WindowScores, ...] = ()


@dataclass(frozen=True, slots=True)
class Scores:
    """Pooled and per-camera metrics (NaN where a ratio is undefined, e.g. MOTA without gt),
    each camera's windows and the windows pooled over cameras."""

    overall: dict[str, float]
    per_camera: dict[str, dict[str, float]]
    counts: Counts
    windows: dict[str, tuple[WindowScores, ...]]
    pooled_windows: tuple[WindowScores, ...]


class _Scorer:
    """The event table of one camera under one matching, and counts of any frame range."""

    def __init__(self, pairs: FramePairs, threshold: float, matching: str) -> None:
        if matching not in MATCHING_MODES:
            raise TrackbenchError(f"eval.matching must be one of {', '.join(MATCHING_MODES)}; got {matching!r}")
        self.pairs = pairs
        self.matching: Matching | None = None
        if matching == "official":
            self.matching = official_matching(pairs, threshold)
            events = clear.official_events(pairs, self.matching, threshold)
        else:
            events = clear.motmetrics_events(pairs, threshold)
        # The camera's counts and identity assignment (motmetrics), and the rows to slice.
        self.events = clear.EventRows.of(events, track_counts=self.matching is None)
        self.hota = HotaFrames.of(pairs)

    def _motp_sum(self, lo: int, hi: int, first: int | None = None, last: int | None = None) -> float:
        """IoU (official) or 1 - IoU (motmetrics) summed over the matches of event rows
        ``lo:hi``, frames ``first..last`` (None: the camera)."""
        if self.matching is None:
            return self.events.distance_sum(lo, hi)
        iou = self.matching.iou
        if first is None or last is None:
            return float(iou.sum())
        a, b = np.searchsorted(self.matching.frame, [first, last + 1]).tolist()  # matches are in frame order
        return float(iou[a:b].sum())

    def camera(self) -> Counts:
        m = self.matching
        values = dict(self.events.camera)
        values["motp_sum"] = self._motp_sum(0, len(self.events.frame))
        values["idtp_run"] = values["idtp"]
        if m is not None:
            values.update(
                mostly_tracked=m.mostly_tracked,
                partially_tracked=m.partially_tracked,
                mostly_lost=m.mostly_lost,
                num_fragmentations=m.fragmentations,
            )
        keys = RANGE_COUNTS + CAMERA_COUNTS
        return Counts({k: values[k] for k in keys}, self.hota.counts(0, len(self.pairs.frames)))

    def window(self, first: int, last: int) -> WindowScores:
        lo, hi = self.events.rows(first, last)
        values = self.events.counts(lo, hi)
        values["motp_sum"] = self._motp_sum(lo, hi, first, last)
        values["idtp_run"] = self.events.assigned_true_positives(lo, hi)
        hota = self.hota.counts(*self.pairs.positions(first, last))
        return WindowScores(first, last, Counts({k: values[k] for k in RANGE_COUNTS}, hota))


@dataclass(frozen=True, slots=True, eq=False)
class Scored:
    """A camera's scores with what they were computed from: its frames, the official matching
    (None under ``eval.matching=motmetrics``) and the event rows (errors, identity, attribution)."""

    scores: CameraScores
    pairs: FramePairs
    matching: Matching | None
    events: clear.EventRows
    table: FrameTable  # the rows and IoUs ``pairs`` came from (attribution's oracles reuse them)


def score_camera(
    gt: BoxTable,
    hyp: BoxTable,
    iou_threshold: float = 0.5,
    *,
    matching: str = "official",
    window_frames: int | None = None,
    frame_range: tuple[int, int] | None = None,
) -> CameraScores:
    """Score one camera. With ``window_frames``, also its windows over ``frame_range``
    (default: the first to the last frame holding a box)."""
    return scored_camera(
        gt, hyp, iou_threshold, matching=matching, window_frames=window_frames, frame_range=frame_range
    ).scores


def scored_camera(
    gt: BoxTable,
    hyp: BoxTable,
    iou_threshold: float = 0.5,
    *,
    matching: str = "official",
    window_frames: int | None = None,
    frame_range: tuple[int, int] | None = None,
) -> Scored:
    """:func:`score_camera` with the matching and event rows behind the scores."""
    if not 0.0 < iou_threshold <= 1.0:
        raise TrackbenchError(f"iou_threshold must lie in (0, 1]; got {iou_threshold}")
    table = FrameTable.of(gt, hyp)
    pairs = table.pairs()
    scorer = _Scorer(pairs, iou_threshold, matching)
    counts = scorer.camera()
    windows: tuple[WindowScores, ...] = ()
    if window_frames is not None:
        if frame_range is None:
            frame_range = (pairs.frames[0], pairs.frames[-1]) if pairs.frames else (1, 0)
        windows = tuple(scorer.window(a, b) for a, b in window_bounds(*frame_range, window_frames))
    scores = CameraScores(metrics_from_counts(counts), counts, windows)
    return Scored(scores, pairs, scorer.matching, scorer.events, table)


def range_counts(gt: BoxTable, hyp: BoxTable, iou_threshold: float = 0.5, *, matching: str = "official") -> Counts:
    """:func:`score_camera`'s counts of a camera's whole frame range (no camera-only counts such as
    Frag or MT): under the official matching from the event rows without building motmetrics'
    table (:meth:`clear.EventRows.counts`, held equal to motmetrics' functions), for scoring many
    variants of a camera's rows cheaply (error attribution)."""
    return pairs_counts(prepare(gt, hyp), iou_threshold, matching=matching)


def pairs_counts(
    pairs: FramePairs,
    iou_threshold: float = 0.5,
    *,
    matching: str = "official",
) -> Counts:
    """:func:`range_counts` of a camera's scored frames (:func:`~trackbench.scoring.frames.prepare`)."""
    if matching != "official":
        counts = _Scorer(pairs, iou_threshold, matching).camera()
        return Counts({k: counts.clear[k] for k in RANGE_COUNTS}, counts.hota)
    found = official_matching(pairs, iou_threshold)
    frame, code, oid, hid, d = clear.official_event_arrays(pairs, found, iou_threshold)
    values: dict[str, float] = dict.fromkeys(clear.EVENT_COUNTS, 0)
    if len(frame):
        rows = clear.EventRows(frame, code, oid, hid, d, {}, np.zeros(len(frame), bool))
        values = rows.counts(0, len(frame))
    values["motp_sum"] = float(found.iou.sum())
    values["idtp_run"] = values["idtp"]
    return Counts({k: values[k] for k in RANGE_COUNTS}, HotaFrames.of(pairs).counts(0, len(pairs.frames)))


def summarize(per_camera: Mapping[str, CameraScores]) -> Scores:
    """Pool cameras from their summed counts (:mod:`trackbench.scoring.counts`)."""
    counts = total(s.counts for s in per_camera.values())
    windows = {camera: s.windows for camera, s in per_camera.items()}
    return Scores(
        overall=metrics_from_counts(counts),
        per_camera={camera: dict(s.metrics) for camera, s in per_camera.items()},
        counts=counts,
        windows=windows,
        pooled_windows=pool_windows(windows),
    )


def score(
    gt: Mapping[str, BoxTable],
    hyp: Mapping[str, BoxTable],
    iou_threshold: float = 0.5,
    *,
    matching: str = "official",
    window_frames: int | None = None,
) -> Scores:
    """Score every camera of ``gt`` serially; a camera missing from ``hyp`` has no hypotheses."""
    extra = sorted(set(hyp) - set(gt))
    if extra:
        raise TrackbenchError(f"hypotheses for cameras without ground truth: {extra}")
    return summarize(
        {
            c: score_camera(
                g, hyp.get(c, BoxTable.empty()), iou_threshold, matching=matching, window_frames=window_frames
            )
            for c, g in gt.items()
        }
    )
