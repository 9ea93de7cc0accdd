"""TrackingStage contracts: unit cases of the originating design, carry semantics, invariants."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trackbench.errors import TrackbenchError
from trackbench.tracking.config import TrackingConfig
from trackbench.tracking.journal import Journal
from trackbench.tracking.kinds import SUPPORTED_KINDS
from trackbench.tracking.stage import TrackingStage, join_reported, stitch
from trackbench.types import CameraBatch, CarryForward, Detection, ReportedRows, TrackingContext, Tracklet2D

from .scenes import batches, scene


def run_batched_full(
    kind: str, per_camera: dict[str, list], size: int, **cfg
) -> tuple[tuple[Tracklet2D, ...], tuple[ReportedRows, ...]]:
    """Stitched tracklets and joined reported rows; checks that every batch's reported rows
    lie in that batch's frames."""
    stage = TrackingStage(TrackingConfig(tracker_kind=kind, **cfg))
    split = {cam: batches(cam, dets, size) for cam, dets in per_camera.items()}
    n_batches = max(len(b) for b in split.values())
    carry, pieces, rows = CarryForward(), [], []
    for i in range(n_batches):
        ctx = TrackingContext(tuple(b[i] for b in split.values() if i < len(b)))
        ctx, carry = stage.run(ctx, carry)
        assert [r.camera_id for r in ctx.reported] == [b.camera_id for b in ctx.batches]
        for batch, reported in zip(ctx.batches, ctx.reported, strict=True):
            assert set(reported.frames) <= set(batch.frames), "a batch reports only its own frames"
        pieces.extend(ctx.tracklets)
        rows.extend(ctx.reported)
    return stitch(pieces), join_reported(rows)


def run_batched(kind: str, per_camera: dict[str, list], size: int, **cfg) -> tuple[Tracklet2D, ...]:
    return run_batched_full(kind, per_camera, size, **cfg)[0]


def whole_full(
    kind: str, per_camera: dict[str, list], **cfg
) -> tuple[tuple[Tracklet2D, ...], tuple[ReportedRows, ...]]:
    return run_batched_full(kind, per_camera, max(len(d) for d in per_camera.values()), **cfg)


def whole(kind: str, per_camera: dict[str, list], **cfg) -> tuple[Tracklet2D, ...]:
    return whole_full(kind, per_camera, **cfg)[0]


def steady(n: int, x0: float = 100.0) -> list[tuple[Detection, ...]]:
    return [(Detection(x0 + 2 * f, 50.0, 40.0, 60.0, 0.9),) for f in range(n)]


@pytest.mark.parametrize("kind", SUPPORTED_KINDS)
class TestUnitCases:
    def test_no_detections_no_tracklets(self, kind):
        assert whole(kind, {"c": [()] * 20}) == ()

    def test_one_steady_target(self, kind):
        (t,) = whole(kind, {"c": steady(15)})
        assert t.camera_id == "c" and t.track_id == 1
        assert t.frames == tuple(range(1, 16))
        assert set(t.frame_status) == {"detected"}
        for f, (cx, cy) in zip(t.frames, t.centroids, strict=True):
            # ByteTrack reports its Kalman-filtered box, OC-SORT the observation itself.
            assert cx == pytest.approx(100 + 2 * (f - 1) + 20, abs=0.5)
            assert cy == pytest.approx(80, abs=0.5)

    def test_gap_gives_coasted_entries(self, kind):
        dets = steady(20)
        for f in (9, 10, 11):
            dets[f - 1] = ()
        (t,) = whole(kind, {"c": dets})
        status = dict(zip(t.frames, t.frame_status, strict=True))
        assert [status[f] for f in (9, 10, 11)] == ["coasted"] * 3
        assert status[8] == status[12] == "detected"
        assert t.frames == tuple(range(1, 21))

    def test_two_separated_targets_two_ids(self, kind):
        dets = [a + b for a, b in zip(steady(15), steady(15, x0=500.0), strict=True)]
        ts = whole(kind, {"c": dets})
        assert [t.track_id for t in ts] == [1, 2]
        assert all(len(t.frames) == 15 for t in ts)

    def test_state_round_trip_continues_ids(self, kind):
        stage = TrackingStage(TrackingConfig(tracker_kind=kind))
        first, second = batches("c", steady(20), 10)
        ctx, carry = stage.run(TrackingContext((first,)), CarryForward())
        carry = pickle.loads(pickle.dumps(carry))
        ctx2, _ = stage.run(TrackingContext((second,)), carry)
        assert [t.track_id for t in ctx.tracklets] == [t.track_id for t in ctx2.tracklets] == [1]
        assert ctx2.tracklets[0].frames == tuple(range(11, 21))


@pytest.mark.parametrize("kind", SUPPORTED_KINDS)
def test_coasting_stops_after_max_coast_frames(kind):
    dets = steady(10) + [()] * 20
    (t,) = whole(kind, {"c": dets}, max_coast_frames=5)
    assert t.frame_status.count("coasted") == 5
    assert t.frames[-1] == 15


@pytest.mark.parametrize("kind", SUPPORTED_KINDS)
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), size=st.sampled_from([1, 2, 7]))
def test_batch_size_invariance(kind, seed, size):
    # Tracklets and reported rows alike.
    cams = {"a": scene(seed, n_frames=40), "b": scene(seed + 1, n_frames=40)}
    assert run_batched_full(kind, cams, size) == whole_full(kind, cams)


@pytest.mark.parametrize("kind", SUPPORTED_KINDS)
def test_reported_rows_are_detected_entries_with_the_tracklets_ids(kind):
    tracklets, reported = whole_full(kind, {"a": scene(4, n_frames=60), "b": scene(7, n_frames=60)})
    entries = {
        (t.camera_id, f, t.track_id): (b, s)
        for t in tracklets
        for f, b, s in zip(t.frames, t.bboxes, t.frame_status, strict=True)
    }
    assert [r.camera_id for r in reported] == ["a", "b"]
    for rows in reported:
        keys = list(zip(rows.frames, rows.track_ids, strict=True))
        assert keys == sorted(set(keys)), "frame then id order, one row per track and frame"
        assert rows.frames, "both cameras report rows"
        for frame, tid, box in zip(rows.frames, rows.track_ids, rows.bboxes, strict=True):
            assert entries[(rows.camera_id, frame, tid)] == (box, "detected")


@pytest.mark.parametrize("kind", SUPPORTED_KINDS)
def test_carry_is_a_snapshot(kind):
    stage = TrackingStage(TrackingConfig(tracker_kind=kind))
    first, second = batches("c", scene(3, n_frames=30), 15)
    _, carry = stage.run(TrackingContext((first,)), CarryForward())
    before = carry.states
    a = stage.run(TrackingContext((second,)), carry)
    b = stage.run(TrackingContext((second,)), carry)
    assert a[0] == b[0]
    assert carry.states == before


@pytest.mark.parametrize("kind", SUPPORTED_KINDS)
def test_camera_independence(kind):
    a, b, c = scene(1), scene(2), scene(3)
    two = whole(kind, {"a": a, "b": b})
    three = whole(kind, {"a": a, "x": c, "b": b})
    assert tuple(t for t in three if t.camera_id != "x") == two


def test_rejects_non_consecutive_batches():
    stage = TrackingStage(TrackingConfig())
    first, _, third = batches("c", steady(30), 10)
    _, carry = stage.run(TrackingContext((first,)), CarryForward())
    with pytest.raises(TrackbenchError, match="carry continues at 11"):
        stage.run(TrackingContext((third,)), carry)
    gap = CameraBatch("c", (1, 3), ((), ()))
    with pytest.raises(TrackbenchError, match="consecutive"):
        stage.run(TrackingContext((gap,)), CarryForward())


def test_unknown_kind_is_refused():
    with pytest.raises(TrackbenchError, match="tracker_kind='nope'"):
        TrackingStage(TrackingConfig(tracker_kind="nope"))


_CHILD = """
import pickle, sys
sys.path.insert(0, {tests!r})
from tracking.test_stage import whole
from tracking.scenes import scene
out = whole({kind!r}, {{"a": scene(5), "b": scene(6)}})
sys.stdout.buffer.write(pickle.dumps(out))
"""


@pytest.mark.slow
@pytest.mark.parametrize("kind", SUPPORTED_KINDS)
def test_deterministic_across_processes(kind):
    tests = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    outputs = []
    for seed in ("0", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        proc = subprocess.run(
            [sys.executable, "-c", _CHILD.format(tests=tests, kind=kind)],
            env=env,
            capture_output=True,
            check=True,
        )
        outputs.append(pickle.loads(proc.stdout))
    assert outputs[0] == outputs[1] == whole(kind, {"a": scene(5), "b": scene(6)})


@pytest.mark.parametrize("kind", SUPPORTED_KINDS)
@pytest.mark.parametrize("checkpoint_frames", [0, 7, 1000])
def test_any_carry_resumed_by_a_new_stage_continues_like_the_live_one(kind, checkpoint_frames):
    # A new stage has no live tracker: it restores the checkpoint and replays the journal.
    cfg = TrackingConfig(tracker_kind=kind)
    parts = batches("c", scene(5, n_frames=40), 5)
    live = TrackingStage(cfg, checkpoint_frames=checkpoint_frames)
    carry, carries, outputs = CarryForward(), [], []
    for part in parts:
        ctx, carry = live.run(TrackingContext((part,)), carry)
        carries.append(carry)
        outputs.append(ctx.tracklets)
        value = Journal.decode(carry.get("c"), "c")
        checkpoint, replayed = value.checkpoint, value.n_frames
        assert replayed < max(checkpoint_frames, 1), "a resume replays fewer than checkpoint_frames frames"
        assert (checkpoint is None) == (replayed == part.frames[-1])
    for i, resumed_from in enumerate(carries[:-1]):
        stage, carry, rest = TrackingStage(cfg, checkpoint_frames=checkpoint_frames), resumed_from, []
        for part in parts[i + 1 :]:
            ctx, carry = stage.run(TrackingContext((part,)), carry)
            rest.append(ctx.tracklets)
        assert rest == outputs[i + 1 :], f"resumed after batch {i + 1}"
        # The same journal as the live run (checkpoint bytes may differ in pickle layout only).
        resumed, live_value = (Journal.decode(c.get("c"), "c") for c in (carry, carries[-1]))
        assert resumed.records == live_value.records


def test_a_carry_that_is_not_ours_is_refused_in_one_line():
    stage = TrackingStage(TrackingConfig())
    (part,) = batches("c", steady(5), 5)
    with pytest.raises(TrackbenchError, match="camera c: the carry is not a trackbench tracker state"):
        stage.run(TrackingContext((part,)), CarryForward((("c", b"not a carry"),)))
    with pytest.raises(TrackbenchError, match="checkpoint_frames must be >= 0"):
        TrackingStage(TrackingConfig(), checkpoint_frames=-1)
