"""A sweep never mixes scored frame sets: checked before any job starts."""

from __future__ import annotations

import pytest

from trackbench.errors import TrackbenchError
from trackbench.sweeps.frames import check_one_frame_set, swept_values


def test_swept_values_from_the_command_line_and_the_sweeper_params():
    assert swept_values("eval.frames", ["eval.frames=detected,reported"], None) == ["detected", "reported"]
    assert swept_values("eval.frames", ["+eval.frames=detected"], None) == ["detected"]
    assert swept_values("tracker.backend", [], {"tracker.backend": "choice(python, cpp)"}) == ["python", "cpp"]
    assert swept_values("tracker.backend", ["tracker.backend=cpp"], {"tracker.backend": "python,cpp"}) == ["cpp"]
    assert swept_values("eval.frames", ["tracker.n_init=1,2"], {"tracker.det_thresh": "interval(0.1, 0.5)"}) is None


@pytest.mark.parametrize(
    ("frames", "backend", "overrides", "params", "message"),
    [
        ("reported", "python", ["eval.frames=detected,reported"], None, "eval.frames takes detected, reported"),
        ("reported", "python", [], {"eval.frames": "choice(all, reported)"}, "eval.frames takes all, reported"),
        ("detected", "python", ["tracker.backend=python,cpp"], None, "tracker.backend=cpp with eval.frames=detected"),
        ("interior", "python", [], {"tracker.backend": "cpp"}, "use eval.frames=reported"),
    ],
)
def test_mixed_frame_sets_are_refused_in_one_line(frames, backend, overrides, params, message):
    with pytest.raises(TrackbenchError, match=message) as err:
        check_one_frame_set(frames, backend, overrides, params)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("frames", "backend", "overrides", "params"),
    [
        ("reported", "python", ["tracker.backend=python,cpp"], None),  # the same rows either way
        ("detected", "python", ["tracker=ocsort,bytetrack", "tracker.n_init=1,2"], None),
        ("reported", "cpp", [], {"tracker.det_thresh": "interval(0.2, 0.7)", "tracker.n_init": "range(1, 6)"}),
        ("detected", "python", ["eval.frames=detected"], {"eval.frames": "detected,reported"}),  # CLI wins
    ],
)
def test_one_frame_set_sweeps_pass(frames, backend, overrides, params):
    check_one_frame_set(frames, backend, overrides, params)
