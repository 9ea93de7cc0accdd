"""tracker.backend=cpp: boxmot's C++ trackers against its Python ones, and the one-use carry.

Skipped, with the reason, where the C++ build is unavailable (no CMake, OpenCV or Eigen: `apt-get
install cmake libopencv-dev libeigen3-dev`). The first use per machine compiles each kind into
boxmot's site-packages (15-25 s a kind); only the kinds tested here are built.
"""

from __future__ import annotations

import functools
import itertools
import pickle
import shutil
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trackbench.errors import TrackbenchError
from trackbench.tracking import native_carry
from trackbench.tracking.adapter import TrackerAdapter
from trackbench.tracking.config import TrackingConfig, validate_tracking
from trackbench.tracking.kinds import NATIVE_KINDS, SUPPORTED_KINDS
from trackbench.tracking.stage import TrackingStage, detections_array
from trackbench.types import CarryForward, TrackingContext

from .scenes import batches, scene
from .test_faithfulness import plain_loop
from .test_stage import run_batched, run_batched_full, whole, whole_full

# Largest box difference, in pixels, between a C++ row and the Python row of the same track and
# frame, measured on these scenes. The C++ builds compute in float32, boxmot's Python in float64:
# OC-SORT, OccluBoost and SFSORT agreed to float32 rounding (0 to 2.4e-7 px), ByteTrack and
# BoT-SORT, which report their Kalman state, to 1.2e-4 px.
BOX_ATOL = {"ocsort": 1e-4, "sfsort": 1e-4, "occluboost": 1e-4, "bytetrack": 1e-3, "botsort": 1e-3}


@functools.cache
def _unavailable(kind: str) -> str | None:
    if shutil.which("cmake") is None:
        return "cmake not found (apt-get install cmake libopencv-dev libeigen3-dev)"
    try:
        TrackerAdapter(TrackingConfig(tracker_kind=kind, backend="cpp"))
    except TrackbenchError as exc:
        return str(exc)
    return None


def need_native(kind: str) -> None:
    reason = _unavailable(kind)
    if reason is not None:
        pytest.skip(f"C++ {kind} unavailable: {reason}")


def entries(tracklets) -> dict[tuple[int, int], tuple[float, ...]]:
    out = {}
    for t in tracklets:
        assert set(t.frame_status) == {"detected"}, "the C++ backend has no coasted frames"
        out.update({(f, t.track_id): b for f, b in zip(t.frames, t.bboxes, strict=True)})
    return out


@pytest.mark.parametrize("kind", NATIVE_KINDS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cpp_tracklets_are_exactly_the_rows_python_boxmot_reports(kind, seed):
    need_native(kind)
    dets = scene(seed, n_frames=150, n_targets=6, miss=0.15)
    reported = plain_loop(kind, dets)  # (frame, python id) -> xywh, boxmot's Python backend
    ours = entries(whole(kind, {"c": dets}, backend="cpp"))
    assert len(ours) == len(reported)
    by_frame: dict[int, list[tuple[int, tuple[float, ...]]]] = {}
    for (frame, tid), box in ours.items():
        by_frame.setdefault(frame, []).append((tid, box))
    id_map: dict[int, int] = {}  # python id -> our id: one bijection for the whole sequence
    for (frame, py_id), box in sorted(reported.items()):
        close = [
            tid for tid, b in by_frame[frame] if max(abs(x - y) for x, y in zip(b, box, strict=True)) <= BOX_ATOL[kind]
        ]
        assert len(close) == 1, (frame, py_id, box)
        assert id_map.setdefault(py_id, close[0]) == close[0], "one Python id, one track id"
    assert len(set(id_map.values())) == len(id_map)


@pytest.mark.parametrize("kind", NATIVE_KINDS)
def test_cpp_track_ids_follow_the_python_backend(kind):
    # Ids 1, 2, 3... in order of confirmation: the same tracks get the same ids as with the
    # Python backend, whose tracklets only add probation, hidden and coasted frames.
    need_native(kind)
    dets = scene(5, n_frames=150, n_targets=6, miss=0.15)
    py = whole(kind, {"c": dets})
    cpp = entries(whole(kind, {"c": dets}, backend="cpp"))
    assert set(cpp) <= {(f, t.track_id) for t in py for f in t.frames}
    if kind == "sfsort":  # no probation, no hidden frames: the detected entries are the same
        detected = {
            (f, t.track_id) for t in py for f, s in zip(t.frames, t.frame_status, strict=True) if s == "detected"
        }
        assert set(cpp) == detected


@pytest.mark.parametrize("kind", NATIVE_KINDS)
def test_every_native_option_is_ours(kind):
    # boxmot's C++ wrappers fill missing options from its YAML files; we pass every key, with
    # the Python build's values (e.g. OC-SORT inertia 0.2, not the YAML's 0.1).
    need_native(kind)
    cfg = TrackingConfig(tracker_kind=kind, backend="cpp")
    resolved = TrackerAdapter(cfg)._tracker.cfg
    from trackbench.tracking.adapter import _kinds  # the options the adapter hands over
    from trackbench.tracking.native_options import native_options

    k = _kinds()[kind]
    passed = native_options(kind, k.cls, k.kwargs(cfg, None), resolved)
    assert {key: passed.get(key, "missing") for key in resolved} == resolved, "every C++ option is ours"
    if kind == "ocsort":
        assert (resolved["inertia"], resolved["det_thresh"]) == (0.2, 0.3)  # YAML: 0.1, 0.6


@pytest.mark.parametrize("kind", NATIVE_KINDS)
@pytest.mark.parametrize("coast", [30, 49, 50, 55, 80])
def test_the_cpp_build_keeps_the_observation_history_the_python_build_keeps(kind, coast):
    """boxmot's Python trackers raise max_obs to max_age + 5 where max_age >= max_obs; its C++
    builds do not. Found in a sweep: an OC-SORT track re-found after 54 missed frames was
    re-updated from its pre-gap observation in Python only, and the rows drifted apart."""
    from boxmot.trackers.config import load_tracker_defaults

    from trackbench.tracking.adapter import _kinds
    from trackbench.tracking.native_options import native_options

    cfg = TrackingConfig(tracker_kind=kind, max_coast_frames=coast)
    python = TrackerAdapter(cfg)._tracker
    k = _kinds()[kind]
    options = native_options(kind, k.cls, k.kwargs(cfg, None), load_tracker_defaults(kind))
    assert options["max_obs"] == python.max_obs


@pytest.mark.parametrize("kind", NATIVE_KINDS)
@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 10_000), size=st.sampled_from([1, 2, 7, 33]))
def test_cpp_batch_size_invariance(kind, seed, size):
    need_native(kind)
    cams = {"a": scene(seed, n_frames=70), "b": scene(seed + 1, n_frames=50)}
    assert run_batched_full(kind, cams, size, backend="cpp") == whole_full(kind, cams, backend="cpp")


@pytest.mark.parametrize("kind", NATIVE_KINDS)
@settings(max_examples=6, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    cuts=st.lists(st.integers(0, 90), max_size=6),
    empty=st.lists(st.integers(0, 89), max_size=8),
)
def test_steps_give_exactly_what_cpp_update_returns_frame_by_frame(kind, seed, cuts, empty):
    # The batch goes through boxmot's parser once and straight to its C++ library call; the
    # per-frame update() checks and repacks the same data. Same views and rows, float for float,
    # in the same order, whatever the batches (including empty frames and empty batches).
    need_native(kind)
    frames = [() if i in empty else d for i, d in enumerate(scene(seed, n_frames=90, n_targets=7, miss=0.2))]
    arrays = [detections_array(d) for d in frames]
    cfg = TrackingConfig(tracker_kind=kind, backend="cpp")
    batched, one_by_one = TrackerAdapter(cfg), TrackerAdapter(cfg)
    assert batched._direct is not None, "every kind trackbench builds takes the direct call"
    ours = []
    for start, end in itertools.pairwise([0, *sorted(cuts), len(arrays)]):
        ours.extend(batched.steps(arrays[start:end]))
    theirs = [one_by_one.step(a) for a in arrays]
    assert [(list(r.items()), v) for v, r in ours] == [(list(r.items()), v) for v, r in theirs]
    assert any(r for _, r in ours), "the scene has tracks"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ((10.0, 10.0, 40.0, 50.0, 1.5, 0.0), "scores must be in the inclusive range"),
        ((10.0, 10.0, 10.0, 50.0, 0.9, 0.0), "x2 > x1"),
        ((10.0, 10.0, 40.0, float("nan"), 0.9, 0.0), "finite"),
        ((10.0, 10.0, 40.0, 50.0, 0.9, 1.5), "class IDs"),
    ],
)
def test_steps_refuse_the_rows_update_refuses_with_its_words(row, message):
    need_native("ocsort")
    cfg = TrackingConfig(tracker_kind="ocsort", backend="cpp")
    good = detections_array(scene(4, n_frames=1)[0])
    bad = np.vstack([good, np.asarray([row])])
    with pytest.raises(ValueError, match=message) as by_update:
        TrackerAdapter(cfg).step(bad)
    with pytest.raises(ValueError, match=message) as by_steps:
        list(TrackerAdapter(cfg).steps([good, good, bad]))
    assert str(by_steps.value) == str(by_update.value)


def _first_batch(backend: str = "cpp"):
    stage = TrackingStage(TrackingConfig(tracker_kind="ocsort", backend=backend))
    first, second = batches("c", scene(3, n_frames=40), 20)
    _, carry = stage.run(TrackingContext((first,)), CarryForward())
    return stage, carry, second


def test_a_cpp_carry_runs_once():
    need_native("ocsort")
    stage, carry, second = _first_batch()
    stage.run(TrackingContext((second,)), carry)
    with pytest.raises(TrackbenchError, match="already used"):
        stage.run(TrackingContext((second,)), carry)


def test_a_cpp_carry_does_not_work_in_another_process(tmp_path):
    need_native("ocsort")
    stage, carry, second = _first_batch()
    path = tmp_path / "carry.pkl"
    path.write_bytes(pickle.dumps((carry, second)))
    code = (
        "import pickle, sys\n"
        "from trackbench.errors import TrackbenchError\n"
        "from trackbench.tracking.config import TrackingConfig\n"
        "from trackbench.tracking.stage import TrackingStage\n"
        "from trackbench.types import TrackingContext\n"
        f"carry, batch = pickle.loads(open({str(path)!r}, 'rb').read())\n"
        "stage = TrackingStage(TrackingConfig(tracker_kind='ocsort', backend='cpp'))\n"
        "try:\n"
        "    stage.run(TrackingContext((batch,)), carry)\n"
        "except TrackbenchError as exc:\n"
        "    print(exc)\n"
        "    sys.exit(3)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done.stderr
    assert "belongs to process" in done.stdout
    stage.run(TrackingContext((second,)), carry)  # the original still works where it was made


def test_carries_do_not_cross_backends():
    need_native("ocsort")
    _, cpp_carry, second = _first_batch("cpp")
    python_stage, python_carry, _ = _first_batch("python")
    with pytest.raises(TrackbenchError, match=r"made with tracker\.backend=cpp"):
        python_stage.run(TrackingContext((second,)), cpp_carry)
    cpp_stage = TrackingStage(TrackingConfig(tracker_kind="ocsort", backend="cpp"))
    with pytest.raises(TrackbenchError, match=r"made with tracker\.backend=python"):
        cpp_stage.run(TrackingContext((second,)), python_carry)


def test_dropped_cpp_carries_release_their_trackers():
    need_native("ocsort")
    before = native_carry.live_count()
    run_batched("ocsort", {"a": scene(1, n_frames=30), "b": scene(2, n_frames=30)}, 4, backend="cpp")
    assert native_carry.live_count() == before


# --- validation: no build needed -----------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(set(SUPPORTED_KINDS) - set(NATIVE_KINDS)))
def test_cpp_is_refused_for_kinds_without_a_cpp_build(kind):
    with pytest.raises(TrackbenchError, match=f"backend='cpp' is not available for '{kind}'") as err:
        validate_tracking(TrackingConfig(tracker_kind=kind, backend="cpp"), SUPPORTED_KINDS)
    assert "\n" not in str(err.value)


def test_unknown_backend_is_refused():
    with pytest.raises(TrackbenchError, match="choose one of python, cpp"):
        validate_tracking(TrackingConfig(backend="rust"), SUPPORTED_KINDS)


def test_cpp_occluboost_refuses_a_fractional_min_box_area():
    cfg = TrackingConfig(tracker_kind="occluboost", backend="cpp")
    cfg = TrackingConfig(tracker_kind="occluboost", backend="cpp", occluboost=type(cfg.occluboost)(min_box_area=2.5))
    with pytest.raises(TrackbenchError, match="whole number"):
        validate_tracking(cfg, SUPPORTED_KINDS)
