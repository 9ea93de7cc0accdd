"""Counts of a frame range in NumPy (``clear.EventRows``) equal py-motmetrics' own metric
functions on that slice of the event table, under both matchings, for every range (windows
are scored this way); motmetrics is imported here only as the reference."""

from __future__ import annotations

from pathlib import Path

import motmetrics as mm
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trackbench.datasets.base import BoxTable
from trackbench.scoring import clear
from trackbench.scoring.frames import prepare
from trackbench.scoring.matching import official_matching

MM_DATA = Path(mm.__file__).parent / "data"


def table(a: np.ndarray) -> BoxTable:
    """A BoxTable from ``(frame, id, x, y, w, h, ...)`` rows."""
    a = np.asarray(a, np.float64)
    a = a.reshape(-1, 6) if a.size == 0 else a
    return BoxTable(
        frames=a[:, 0].astype(np.int64),
        ids=a[:, 1].astype(np.int64),
        boxes=a[:, 2:6].copy(),
        confidences=np.ones(len(a)),
        distractor=np.zeros(len(a), bool),
    )


def events_of(gt: BoxTable, hyp: BoxTable, matching: str, threshold: float = 0.5) -> pd.DataFrame:
    pairs = prepare(gt, hyp)
    if matching == "official":
        return clear.official_events(pairs, official_matching(pairs, threshold), threshold)
    return clear.motmetrics_events(pairs, threshold)


def reference_range(events: pd.DataFrame, first: int, last: int) -> tuple[dict, int, float]:
    """motmetrics' counts of frames first..last, the camera assignment's pairable rows there,
    and the matches' distance sum, all through pandas on the sliced table."""
    frames = events.index.get_level_values(0)
    part = events[(frames >= first) & (frames <= last)]
    assigned = clear.assigned_pairs(events)
    raw = part[(part.Type == "RAW") & part.D.notna()]
    idtp_run = sum(1 for pair in zip(raw.OId.tolist(), raw.HId.tolist(), strict=True) if pair in assigned)
    return clear.event_counts(part), idtp_run, clear.distance_sum(part)


def assert_ranges_equal(events: pd.DataFrame, bounds: list[tuple[int, int]], track_counts: bool = False) -> None:
    rows = clear.EventRows.of(events, track_counts)
    assert rows.camera == clear.event_counts(events, track_counts)
    for first, last in bounds:
        counts, idtp_run, distance = reference_range(events, first, last)
        lo, hi = rows.rows(first, last)
        assert rows.counts(lo, hi) == counts, (first, last)
        assert rows.assigned_true_positives(lo, hi) == idtp_run, (first, last)
        assert rows.distance_sum(lo, hi) == distance, (first, last)


@pytest.mark.parametrize("matching", ["official", "motmetrics"])
@pytest.mark.parametrize("size", [1, 7, 50, 10_000])
def test_tud_ranges_equal_motmetrics(matching: str, size: int) -> None:
    for seq in ("TUD-Campus", "TUD-Stadtmitte"):
        gt = table(pd.read_csv(MM_DATA / seq / "gt.txt", header=None).to_numpy())
        hyp = table(pd.read_csv(MM_DATA / seq / "test.txt", header=None).to_numpy())
        events = events_of(gt, hyp, matching)
        last = int(max(gt.frames.max(), hyp.frames.max()))
        bounds = [(a, min(a + size - 1, last + 3)) for a in range(-2, last + 3, size)]
        assert_ranges_equal(events, bounds, track_counts=matching == "motmetrics")


rows_strategy = st.lists(
    st.tuples(
        st.integers(1, 8),
        st.integers(-2, 5),
        st.integers(0, 4),
        st.integers(0, 4),
        st.integers(0, 8),
        st.integers(3, 8),
    ),
    max_size=50,
    unique_by=lambda r: (r[0], r[1]),
)


@settings(max_examples=150, deadline=None)
@given(
    gt_rows=rows_strategy,
    hyp_rows=rows_strategy,
    matching=st.sampled_from(["official", "motmetrics"]),
    threshold=st.sampled_from([0.3, 0.5]),
    first=st.integers(0, 9),
    length=st.integers(0, 9),
)
def test_any_range_equals_motmetrics(
    gt_rows: list, hyp_rows: list, matching: str, threshold: float, first: int, length: int
) -> None:
    # Crowded integer boxes: ties in the identity assignment, ids that leave and come back,
    # frames with only gt or only hypotheses, empty ranges, negative ids.
    gt, hyp = table(np.asarray(gt_rows, float)), table(np.asarray(hyp_rows, float))
    events = events_of(gt, hyp, matching, threshold)
    assert_ranges_equal(events, [(first, first + length - 1), (1, 8), (first, 8)])
