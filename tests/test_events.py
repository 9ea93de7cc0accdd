"""The error-event file: a lossless round trip, counts per kind, one-line errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trackbench.artifacts.events import COLUMNS, KINDS, ErrorEvents, format_events, parse_events, read_events
from trackbench.artifacts.identity import IDENTITY_COLUMNS, IdentityFrames, format_identity
from trackbench.errors import TrackbenchError

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
row = st.tuples(
    st.integers(0, len(KINDS) - 1), st.integers(1, 10**6), st.integers(-1, 10**4), st.integers(-1, 10**4),
    st.integers(-1, 10**4), st.tuples(finite, finite, finite, finite),
)  # fmt: skip


def _events(rows: list) -> ErrorEvents:
    if not rows:
        return ErrorEvents.empty()
    k, f, g, h, p, b = zip(*rows, strict=True)
    return ErrorEvents(
        np.array(k, np.int8), np.array(f, np.int64), np.array(g, np.int64), np.array(h, np.int64),
        np.array(p, np.int64), np.array(b, np.float64).reshape(-1, 4),
    )  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(st.lists(row, max_size=30))
def test_format_then_parse_is_lossless_and_sorted(rows: list) -> None:
    events = _events(rows)
    back = parse_events(format_events(events))
    want = events.sorted()
    for name in ("kinds", "frames", "gt_ids", "hyp_ids", "prev_hyp_ids", "boxes"):
        np.testing.assert_array_equal(getattr(back, name), getattr(want, name))
    assert back.counts() == events.counts()
    assert sum(back.counts().values()) == len(rows)


def test_counts_name_every_kind() -> None:
    assert ErrorEvents.empty().counts() == dict.fromkeys(KINDS, 0)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("", ":1: expected the header"),
        ("kind,frame\n", ":1: expected the header"),
        ("kind,frame,gt_id,hyp_id,prev_hyp_id,x,y,w,h\nfoo,1,1,-1,-1,0,0,1,1\n", ":2: kind 'foo'"),
        ("kind,frame,gt_id,hyp_id,prev_hyp_id,x,y,w,h\nfn,1,1\n", ":2: has 3 columns"),
        ("kind,frame,gt_id,hyp_id,prev_hyp_id,x,y,w,h\nfn,a,1,-1,-1,0,0,1,1\n", ":2: a column after kind"),
    ],
)
def test_bad_files_name_file_and_line(tmp_path, text: str, where: str) -> None:
    path = tmp_path / "cam.csv"
    path.write_text(text)
    with pytest.raises(TrackbenchError, match=where):
        read_events(path)


def _row_by_row(events: ErrorEvents) -> str:
    """The file as one f-string per row: what the column-wise writer must produce, byte for byte."""
    e = events.sorted()
    lines = [",".join(COLUMNS)]
    rows = zip(e.kinds.tolist(), e.frames.tolist(), e.gt_ids.tolist(), e.hyp_ids.tolist(),
               e.prev_hyp_ids.tolist(), e.boxes.tolist(), strict=True)  # fmt: skip
    lines += [f"{KINDS[k]},{f},{g},{h},{p},{x!r},{y!r},{w!r},{hh!r}" for k, f, g, h, p, (x, y, w, hh) in rows]
    return "\n".join(lines) + "\n"


signed = st.one_of(finite, st.sampled_from([0.0, -0.0, 1e-300, 912.0, 0.1 + 0.2]))
any_row = st.tuples(
    st.integers(0, len(KINDS) - 1), st.integers(-5, 10**6), st.integers(-1, 10**4), st.integers(-1, 10**4),
    st.integers(-1, 10**4), st.tuples(signed, signed, signed, signed),
)  # fmt: skip


@settings(max_examples=100, deadline=None)
@given(st.lists(any_row, max_size=40))
def test_events_are_written_as_row_by_row_formatting_would(rows: list) -> None:
    events = _events(rows)
    assert format_events(events) == _row_by_row(events)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 500), st.integers(1, 50), st.integers(-1, 99),
                          st.tuples(signed, signed, signed, signed)), max_size=40))  # fmt: skip
def test_identity_is_written_as_row_by_row_formatting_would(rows: list) -> None:
    f, g, h = (np.array([r[k] for r in rows], np.int64) for k in range(3))
    boxes = np.array([r[3] for r in rows], np.float64).reshape(-1, 4)
    order = np.lexsort((f, g))
    lines = [",".join(IDENTITY_COLUMNS)]
    lines += [
        f"{a},{b},{c},{x!r},{y!r},{w!r},{hh!r}"
        for a, b, c, (x, y, w, hh) in zip(
            f[order].tolist(), g[order].tolist(), h[order].tolist(), boxes[order].tolist(), strict=True
        )
    ]
    assert format_identity(IdentityFrames(f, g, h), boxes) == "\n".join(lines) + "\n"
