"""A carry crosses a process boundary: batch 1 here, batch 2 in a fresh interpreter."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from trackbench.tracking.config import TrackingConfig
from trackbench.tracking.kinds import SUPPORTED_KINDS
from trackbench.tracking.stage import TrackingStage
from trackbench.types import CarryForward, TrackingContext

from .scenes import batches, scene

_CHILD = """
import pickle, sys
from trackbench.tracking.config import TrackingConfig
from trackbench.tracking.stage import TrackingStage
from trackbench.types import TrackingContext
kind, batch, carry = pickle.loads(sys.stdin.buffer.read())
context, carry = TrackingStage(TrackingConfig(tracker_kind=kind)).run(TrackingContext((batch,)), carry)
sys.stdout.buffer.write(pickle.dumps((context.tracklets, carry)))
"""


@pytest.mark.slow
@pytest.mark.parametrize("kind", SUPPORTED_KINDS)
def test_carry_resumes_in_another_process(kind, tmp_path):
    stage = TrackingStage(TrackingConfig(tracker_kind=kind))
    first, second, third = batches("c", scene(11, n_frames=60), 20)
    _, carry = stage.run(TrackingContext((first,)), CarryForward())
    checkpoint = tmp_path / "carry.pkl"
    checkpoint.write_bytes(pickle.dumps(carry))  # a checkpoint on disk, read back elsewhere

    here = stage.run(TrackingContext((second,)), carry)
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD],
        input=pickle.dumps((kind, second, pickle.loads(Path(checkpoint).read_bytes()))),
        capture_output=True,
        check=True,
    )
    there_tracklets, there_carry = pickle.loads(proc.stdout)
    assert there_tracklets == here[0].tracklets
    # ... and the state that came back continues exactly like the one that stayed here.
    assert stage.run(TrackingContext((third,)), there_carry)[0] == stage.run(TrackingContext((third,)), here[1])[0]
