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

motmetrics and pandas (half a second of imports) are imported where they are used, so that
importing the scoring package does not pay for them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from trackbench.scoring.frames import FramePairs, entries_at_least
from trackbench.scoring.matching import Matching

if TYPE_CHECKING:
    import pandas as pd

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


def preload() -> None:
    """Import motmetrics and pandas now, as the first camera scored would (a process that
    forks scoring workers calls this first, so that they inherit them imported once)."""
    import motmetrics  # noqa: F401
    import pandas  # noqa: F401


_TYPES = ["RAW", "FP", "MISS", "SWITCH", "MATCH", "TRANSFER", "ASCEND", "MIGRATE"]  # motmetrics' categories
EVENT_TYPES: tuple[str, ...] = tuple(_TYPES)  # what :attr:`EventRows.code` indexes


def _keys(frames: np.ndarray, ids: np.ndarray, lo: int, span: int) -> np.ndarray:
    """One int64 per (frame, id) pair, for set membership."""
    return frames.astype(np.int64) * span + (ids.astype(np.int64) - lo)


def official_events(pairs: FramePairs, matching: Matching, threshold: float) -> pd.DataFrame:
    """motmetrics' event table for the official matching of one camera, built in whole arrays:
    RAW rows for every candidate pair (IoU >= threshold, TrackEval Identity's rule) and for
    each box without one (its presence in the frame), MATCH/SWITCH for the chosen pairs, MISS
    and FP for the rest."""
    import motmetrics as mm
    import pandas as pd

    frame, code, oid, hid, d = official_event_arrays(pairs, matching, threshold)
    if not len(frame):
        return mm.MOTAccumulator.new_event_dataframe()
    return mm.MOTAccumulator.new_event_dataframe_with_data(
        {"FrameId": frame, "Event": np.arange(len(frame))},
        {"Type": pd.Categorical.from_codes(code, categories=_TYPES), "OId": oid, "HId": hid, "D": d},
    )


def official_event_arrays(
    pairs: FramePairs, matching: Matching, threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`official_events`' rows as arrays (frame, type code, object id, hypothesis id,
    distance; NaN: none), in the table's order."""
    frames = np.asarray(pairs.frames, np.int64)
    empty = np.empty(0, np.int64)
    gt_f = np.repeat(frames, [len(g) for g in pairs.gt_ids])
    gt_id = np.concatenate([empty, *pairs.gt_ids])
    hyp_f = np.repeat(frames, [len(h) for h in pairs.hyp_ids])
    hyp_id = np.concatenate([empty, *pairs.hyp_ids])
    cand_f, cand_g, cand_h, cand_iou, gt_alone_mask, hyp_alone_mask = _candidates(pairs, threshold, gt_id, hyp_id)
    ids = np.concatenate([gt_id, hyp_id, [0]])
    lo, span = int(ids.min()), int(ids.max() - ids.min()) + 1
    missed = ~np.isin(_keys(gt_f, gt_id, lo, span), _keys(matching.frame, matching.gt_id, lo, span))
    false = ~np.isin(_keys(hyp_f, hyp_id, lo, span), _keys(matching.frame, matching.hyp_id, lo, span))
    sw = matching.switch
    nan = np.nan

    def full(n: int) -> np.ndarray:
        return np.full(n, nan)

    parts = [  # (type, frames, oid, hid, distance)
        ("RAW", cand_f, cand_g, cand_h, 1.0 - cand_iou),
        # A box's presence in a frame is already on record through its candidate pairs.
        (
            "RAW",
            gt_f[gt_alone_mask],
            gt_id[gt_alone_mask],
            full(int(gt_alone_mask.sum())),
            full(int(gt_alone_mask.sum())),
        ),
        (
            "RAW",
            hyp_f[hyp_alone_mask],
            full(int(hyp_alone_mask.sum())),
            hyp_id[hyp_alone_mask],
            full(int(hyp_alone_mask.sum())),
        ),
        ("SWITCH", matching.frame[sw], matching.gt_id[sw], matching.hyp_id[sw], 1.0 - matching.iou[sw]),
        ("MATCH", matching.frame[~sw], matching.gt_id[~sw], matching.hyp_id[~sw], 1.0 - matching.iou[~sw]),
        ("MISS", gt_f[missed], gt_id[missed], full(int(missed.sum())), full(int(missed.sum()))),
        ("FP", hyp_f[false], full(int(false.sum())), hyp_id[false], full(int(false.sum()))),
    ]
    frame = np.concatenate([np.asarray(p[1], np.int64) for p in parts])
    order = np.argsort(frame, kind="stable")  # frame order, RAW first within a frame (as motmetrics)
    codes = np.concatenate([np.full(len(p[1]), _TYPES.index(p[0]), np.int8) for p in parts])
    return (
        frame[order],
        codes[order],
        np.concatenate([np.asarray(p[2], float) for p in parts])[order],
        np.concatenate([np.asarray(p[3], float) for p in parts])[order],
        np.concatenate([np.asarray(p[4], float) for p in parts])[order],
    )


def _candidates(
    pairs: FramePairs, threshold: float, gt_id: np.ndarray, hyp_id: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every frame's pairable (gt, hypothesis) entries (IoU >= threshold) in frame then row-major
    order (frame, gt id, hypothesis id, IoU), and which boxes have none, over all frames at once."""
    e = entries_at_least(pairs.ious, threshold)
    gt_alone = np.bincount(e.row, minlength=len(gt_id)) == 0
    hyp_alone = np.bincount(e.col, minlength=len(hyp_id)) == 0
    frames = np.asarray(pairs.frames, np.int64)
    return frames[e.matrix], gt_id[e.row], hyp_id[e.col], e.value, gt_alone, hyp_alone


def motmetrics_events(pairs: FramePairs, threshold: float) -> pd.DataFrame:
    """motmetrics' accumulator fed frame by frame: its own matching rule.

    Distance is 1 - IoU, NaN (do not pair) where it exceeds ``1 - threshold``, as motmetrics'
    ``iou_matrix`` with ``max_iou=1 - threshold`` (IoU == 0.5 still pairs at the default).
    """
    import motmetrics as mm

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

    def __init__(self, fallback: str | Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]) -> None:
        import motmetrics as mm

        self._fallback = mm.lap.solver_map[fallback] if isinstance(fallback, str) else fallback

    def __call__(self, costs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rows, cols = np.nonzero(np.isfinite(costs))
        if np.all(rows[1:] != rows[:-1]) and np.unique(cols).size == cols.size:
            return rows, cols
        return self._fallback(costs)


def event_counts(events: pd.DataFrame, track_counts: bool = False) -> dict[str, float]:
    """:data:`EVENT_COUNTS` (plus :data:`TRACK_COUNTS` if asked) of an event table, from
    motmetrics' own metric functions."""
    return _motmetrics_counts(events, track_counts)[0]


def _motmetrics_counts(events: pd.DataFrame, track_counts: bool) -> tuple[dict[str, float], np.ndarray]:
    """:func:`event_counts` and the identity global assignment's ``(object, hypothesis)`` id
    pairs (rows of a float array), from one pass of motmetrics' metric functions (called
    directly: its ``compute`` re-inspects ~30 function signatures per call)."""
    import motmetrics as mm

    names = EVENT_COUNTS + (TRACK_COUNTS if track_counts else ())
    if len(events) == 0:
        return dict.fromkeys(names, 0), np.empty((0, 2))
    f = mm.metrics
    df = f.events_to_df_map(events)
    objects, predictions = f.obj_frequencies(df), f.pred_frequencies(df)
    num_objects = f.num_objects(df, objects)
    assignment = f.id_global_assignment(df)
    idfn = f.idfn(df, assignment)
    values = {
        "num_frames": f.num_frames(df),
        "num_objects": num_objects,
        "num_predictions": f.num_predictions(df, predictions),
        "num_matches": f.num_matches(df),
        "num_switches": f.num_switches(df),
        "num_false_positives": f.num_false_positives(df),
        "num_misses": f.num_misses(df),
        "num_unique_objects": f.num_unique_objects(df, objects),
        "num_predicted_unique_objects": len(predictions),
        "idtp": f.idtp(df, assignment, num_objects, idfn),
        "idfp": f.idfp(df, assignment),
        "idfn": idfn,
    }
    if track_counts:
        ratios = f.track_ratios(df, objects)
        values.update(
            mostly_tracked=f.mostly_tracked(df, ratios),
            partially_tracked=f.partially_tracked(df, ratios),
            mostly_lost=f.mostly_lost(df, ratios),
            num_fragmentations=f.num_fragmentations(df, objects),
        )
    # The assignment's rows and columns: the ids with RAW rows, sorted (id_global_assignment's order).
    oids, hids = (np.unique(df.raw[c].dropna().to_numpy(np.float64)) for c in ("OId", "HId"))
    rids, cids = assignment["rids"], assignment["cids"]
    real = (rids < len(oids)) & (cids < len(hids))
    pairs = np.column_stack([oids[rids[real]], hids[cids[real]]])
    return {name: _number(values[name]) for name in names}, pairs


def assigned_pairs(events: pd.DataFrame) -> frozenset[tuple[float, float]]:
    """The (object, hypothesis) pairs motmetrics' identity global assignment chose."""
    pairs = _motmetrics_counts(events, False)[1]
    return frozenset(zip(pairs[:, 0].tolist(), pairs[:, 1].tolist(), strict=True))


def distance_sum(events: pd.DataFrame) -> float:
    """Sum of distances (1 - IoU) of the matches: motmetrics' MOTP numerator."""
    matched = events[(events.Type == "MATCH") | (events.Type == "SWITCH")]
    return float(matched["D"].sum())


@dataclass(frozen=True, slots=True, eq=False)
class EventRows:
    """An event table as column arrays (its row order: frame order), with the camera's counts
    and each row's part in the camera's identity assignment, for counting any frame range.

    :meth:`counts` computes, over a range of rows, exactly what motmetrics' metric functions
    (:func:`event_counts`) compute on that slice of the table, in NumPy: the same counts, and
    the identity global assignment from the same cost matrices through motmetrics' own LAP
    solver (so ties break alike). ``tests/test_scoring_ranges.py`` holds the two equal.
    """

    frame: np.ndarray  # int64, ascending
    code: np.ndarray  # int8, index into _TYPES
    oid: np.ndarray  # float64, NaN: none
    hid: np.ndarray  # float64, NaN: none
    d: np.ndarray  # float64, NaN: not pairable
    camera: dict[str, float]  # event_counts of the whole table (motmetrics' own functions)
    assigned: np.ndarray  # bool: a pairable RAW row of a pair the camera's assignment chose

    @staticmethod
    def of(events: pd.DataFrame, track_counts: bool = False) -> EventRows:
        import pandas as pd

        camera, pairs = _motmetrics_counts(events, track_counts)
        frame = events.index.get_level_values(0).to_numpy().astype(np.int64)
        code = pd.Categorical(events["Type"], categories=_TYPES).codes.astype(np.int8)
        oid, hid, d = (events[c].to_numpy(np.float64) for c in ("OId", "HId", "D"))
        pairable = (code == _RAW) & ~np.isnan(d) & ~np.isnan(oid) & ~np.isnan(hid)
        assigned = np.zeros(len(frame), bool)
        if len(pairs) and pairable.any():
            order = np.argsort(pairs[:, 0])
            keys, values = pairs[order, 0], pairs[order, 1]
            rows = np.flatnonzero(pairable)
            at = np.minimum(np.searchsorted(keys, oid[rows]), len(keys) - 1)
            assigned[rows] = (keys[at] == oid[rows]) & (values[at] == hid[rows])
        return EventRows(frame, code, oid, hid, d, camera, assigned)

    def rows(self, first: int, last: int) -> tuple[int, int]:
        """The row range of frames ``first..last`` (inclusive)."""
        lo, hi = np.searchsorted(self.frame, [first, last + 1]).tolist()
        return lo, hi

    def counts(self, lo: int, hi: int) -> dict[str, float]:
        """:data:`EVENT_COUNTS` of rows ``lo:hi``, as :func:`event_counts` of that slice."""
        if hi <= lo:
            return dict.fromkeys(EVENT_COUNTS, 0)
        frame, code = self.frame[lo:hi], self.code[lo:hi]
        oid, hid, d = self.oid[lo:hi], self.hid[lo:hi], self.d[lo:hi]
        typed = np.bincount(code, minlength=len(_TYPES))
        noraw = (code == _FP) | (code == _MISS) | (code == _SWITCH) | (code == _MATCH)
        has_o, has_h = ~np.isnan(oid), ~np.isnan(hid)
        num_objects = int(np.count_nonzero(noraw & has_o))
        unique_objects = np.unique(oid[noraw & has_o])
        unique_predictions = np.unique(hid[noraw & has_h])
        idfp, idfn = _identity(frame, code == _RAW, oid, hid, d, has_o, has_h)
        values = {
            "num_frames": 1 + int(np.count_nonzero(frame[1:] != frame[:-1])),
            "num_objects": num_objects,
            "num_predictions": int(np.count_nonzero(noraw & has_h)),
            "num_matches": int(typed[_MATCH]),
            "num_switches": int(typed[_SWITCH]),
            "num_false_positives": int(typed[_FP]),
            "num_misses": int(typed[_MISS]),
            "num_unique_objects": len(unique_objects),
            "num_predicted_unique_objects": len(unique_predictions),
            "idtp": num_objects - idfn,
            "idfp": idfp,
            "idfn": idfn,
        }
        return {name: _number(values[name]) for name in EVENT_COUNTS}

    def distance_sum(self, lo: int, hi: int) -> float:
        """Sum of distances (1 - IoU) of the matches in rows ``lo:hi``: motmetrics' MOTP
        numerator (the same values in the same order as :func:`distance_sum`)."""
        code = self.code[lo:hi]
        return float(self.d[lo:hi][(code == _MATCH) | (code == _SWITCH)].sum())

    def assigned_true_positives(self, lo: int, hi: int) -> int:
        """Rows ``lo:hi``' frames in which a pair of the camera's identity assignment is
        pairable: the run's IDTP attributed to frames, so it adds up over any cut into windows."""
        return int(np.count_nonzero(self.assigned[lo:hi]))


_RAW, _FP, _MISS, _SWITCH, _MATCH = (_TYPES.index(t) for t in ("RAW", "FP", "MISS", "SWITCH", "MATCH"))


def _identity(
    frame: np.ndarray,
    raw: np.ndarray,
    oid: np.ndarray,
    hid: np.ndarray,
    d: np.ndarray,
    has_o: np.ndarray,
    has_h: np.ndarray,
) -> tuple[float, float]:
    """IDFP and IDFN as motmetrics' ``id_global_assignment``: per id the number of frames it
    has RAW rows in, per pair the number of pairable RAW rows, the same ``fpmatrix`` and
    ``fnmatrix``, solved by motmetrics' LAP solver."""
    import motmetrics as mm

    span = int(frame[-1] - frame[0]) + 1
    o_rows, h_rows = raw & has_o, raw & has_h
    oids, o_index = np.unique(oid[o_rows], return_inverse=True)
    hids, h_index = np.unique(hid[h_rows], return_inverse=True)
    no, nh = len(oids), len(hids)
    ocs = np.bincount(np.unique(o_index * span + (frame[o_rows] - frame[0])) // span, minlength=no)
    hcs = np.bincount(np.unique(h_index * span + (frame[h_rows] - frame[0])) // span, minlength=nh)
    pair_rows = raw & has_o & has_h & ~np.isnan(d)
    pair_o = np.searchsorted(oids, oid[pair_rows])
    pair_h = np.searchsorted(hids, hid[pair_rows])
    pair_keys, tps = np.unique(pair_o * max(nh, 1) + pair_h, return_counts=True)
    r, c = pair_keys // max(nh, 1), pair_keys % max(nh, 1)
    fpmatrix = np.full((no + nh, no + nh), 0.0)
    fnmatrix = np.full((no + nh, no + nh), 0.0)
    fpmatrix[no:, :nh] = np.nan
    fnmatrix[:no, nh:] = np.nan
    rows, cols = np.arange(no), np.arange(nh)
    fnmatrix[:no, :nh] = ocs[:, None]
    fnmatrix[rows, nh + rows] = ocs
    fpmatrix[:no, :nh] = hcs[None, :]
    fpmatrix[cols + no, cols] = hcs
    fpmatrix[r, c] -= tps
    fnmatrix[r, c] -= tps
    rids, cids = mm.lap.linear_sum_assignment(fpmatrix + fnmatrix)
    return float(fpmatrix[rids, cids].sum()), float(fnmatrix[rids, cids].sum())


def _number(value: object) -> float:
    value = value.item() if isinstance(value, np.generic) else value
    number = float(value)  # type: ignore[arg-type]
    return int(number) if math.isfinite(number) and number.is_integer() else number
