"""Output files: the tracklet format is lossless, spans describe the timeline exactly."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from trackbench.artifacts import read_tracklets, timeline_spans, write_tracklets
from trackbench.types import Tracklet2D

floats = st.floats(allow_nan=False, allow_infinity=False, width=64)


@st.composite
def tracklets(draw) -> Tracklet2D:
    n = draw(st.integers(1, 20))
    first = draw(st.integers(1, 10_000))
    return Tracklet2D(
        camera_id=draw(st.text(min_size=1, max_size=8)),
        track_id=draw(st.integers(1, 10**6)),
        frames=tuple(range(first, first + n)),
        centroids=tuple(draw(st.tuples(floats, floats)) for _ in range(n)),
        bboxes=tuple(draw(st.tuples(floats, floats, floats, floats)) for _ in range(n)),
        frame_status=tuple(draw(st.sampled_from(["detected", "coasted"])) for _ in range(n)),
    )


@given(st.lists(tracklets(), max_size=5))
def test_tracklets_round_trip_exactly(tmp_path_factory, items):
    path = tmp_path_factory.mktemp("t") / "cam.jsonl"
    write_tracklets(path, items)
    assert read_tracklets(path) == tuple(items)
    assert read_tracklets(path.parent) == tuple(items)


@given(st.lists(tracklets(), max_size=5))
def test_spans_cover_every_entry_once(items):
    expanded = {
        (track_id, first + k, status)
        for track_id, first, length, status in timeline_spans(items)
        for k in range(length)
    }
    entries = {(t.track_id, f, s) for t in items for f, s in zip(t.frames, t.frame_status, strict=True)}
    assert expanded == entries
