"""The runner's per-camera hook: called in camera order; raising stops the run."""

from __future__ import annotations

import pytest

from trackbench.config import load_config
from trackbench.datasets.factory import open_dataset
from trackbench.experiment.runner import run


class Stop(Exception):
    pass


@pytest.mark.parametrize("workers", [1, 2])
def test_hook_sees_cameras_in_order_and_can_stop_the_run(workers):
    cfg = load_config({"dataset": {"synthetic": {"n_cameras": 3, "n_frames": 30}}, "runner": {"workers": workers}})
    dataset = open_dataset(cfg.dataset)
    seen = []
    result = run(dataset, cfg, None, on_camera=lambda o: seen.append(o.camera_id))
    assert seen == [o.camera_id for o in result.cameras] == [c.camera_id for c in dataset.cameras()]

    def stop_after_first(outcome):
        seen.append(outcome.camera_id)
        raise Stop

    seen.clear()
    with pytest.raises(Stop):
        run(dataset, cfg, None, on_camera=stop_after_first)
    assert seen == [dataset.cameras()[0].camera_id]
