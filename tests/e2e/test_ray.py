"""Hydra's Ray launcher (optional extra `ray`; it pins cloudpickle<3, which the joblib launcher's
joblib 1.6 does not accept, so it lives in its own environment). Skipped when not installed."""

from __future__ import annotations

import importlib.util

import pytest

from .conftest import local_runs, sweep_family

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("hydra_plugins.hydra_ray_launcher") is None,
        reason="hydra-ray-launcher not installed (pip install -e '.[ray]' in a separate environment)",
    ),
]


def test_multirun_on_local_ray(cli, tmp_path):
    cli(
        "-m",
        "tracker=ocsort,bytetrack",
        "dataset.synthetic.n_cameras=2",
        "dataset.synthetic.n_frames=60",
        "runner.workers=1",
        "hydra/launcher=ray",
        "+hydra.launcher.ray.init.num_cpus=2",
        "hydra.sweep.dir=sweep",
    )
    parent, children = sweep_family(local_runs(tmp_path))
    assert sorted(r.data.tags["tracker_kind"] for r in children) == ["bytetrack", "ocsort"]
    assert all(r.info.status == "FINISHED" for r in [parent, *children])
