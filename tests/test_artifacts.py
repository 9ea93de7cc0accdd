"""Output files: the tracklet format is lossless, spans describe the timeline exactly."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trackbench.artifacts import read_tracklets, timeline_spans, write_tracklets
from trackbench.types import Tracklet2D

floats = st.floats(allow_nan=False, allow_infinity=False, width=64)


@st.composite
def tracklets(draw) -> Tracklet2D:
    n = draw(st.integers(1, 12))
    first = draw(st.integers(1, 10_000))
    sized = {"min_size": n, "max_size": n}
    return Tracklet2D(
        camera_id=draw(st.text(min_size=1, max_size=8)),
        track_id=draw(st.integers(1, 10**6)),
        frames=tuple(range(first, first + n)),
        centroids=tuple(draw(st.lists(st.tuples(floats, floats), **sized))),
        bboxes=tuple(draw(st.lists(st.tuples(floats, floats, floats, floats), **sized))),
        frame_status=tuple(draw(st.lists(st.sampled_from(["detected", "coasted"]), **sized))),
    )


# Each example is a few hundred floats; on a loaded CI machine drawing them can exceed
# Hypothesis' default time budget without anything being wrong.
data_heavy = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@data_heavy
@given(st.lists(tracklets(), max_size=4))
def test_tracklets_round_trip_exactly(tmp_path_factory, items):
    path = tmp_path_factory.mktemp("t") / "cam.jsonl"
    write_tracklets(path, items)
    assert read_tracklets(path) == tuple(items)
    assert read_tracklets(path.parent) == tuple(items)


@data_heavy
@given(st.lists(tracklets(), max_size=4))
def test_spans_cover_every_entry_once(items):
    expanded = {
        (track_id, first + k, status)
        for track_id, first, length, status in timeline_spans(items)
        for k in range(length)
    }
    entries = {(t.track_id, f, s) for t in items for f, s in zip(t.frames, t.frame_status, strict=True)}
    assert expanded == entries
