"""Hydra's Ray launcher for real: docs/scale-out.md's local-Ray form, and its join-a-cluster form
against a Ray head on 127.0.0.1 started in another folder. Jobs log into the sweep's own MLflow
store and write into the sweep's folder, wherever the head runs. (The `ray` extra shares the
environment with the joblib launcher: joblib 1.5 accepts Ray's cloudpickle 2.)"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from .conftest import assert_complete, local_client, local_runs, sweep_family, trackbench_command

pytestmark = pytest.mark.slow

SMALL = ("dataset.synthetic.n_cameras=2", "dataset.synthetic.n_frames=60", "runner.workers=1")


def trackbench(cwd: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([*trackbench_command(), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    return proc


def test_multirun_joins_a_running_ray_cluster_by_address(tmp_path, ray_head):
    assert ray_head.addresses(), "the head listens somewhere"
    assert all(a.startswith(("127.0.0.1:", "[::ffff:127.0.0.1]:")) for a in ray_head.addresses()), ray_head.addresses()
    # The command of docs/scale-out.md, with the head's address; RAY_AUTH_MODE=token (the head has a token).
    trackbench(
        tmp_path,
        ray_head.env,
        "-m",
        "tracker=ocsort,bytetrack,sort,botsort",
        *SMALL,
        "hydra/launcher=ray",
        f"+hydra.launcher.ray.init.address={ray_head.address}",
        "+hydra.launcher.ray.init.object_store_memory=null",
        "hydra.sweep.dir=sweep",
    )
    parent, children = sweep_family(local_runs(tmp_path))  # the sweep's default sqlite:///mlflow.db
    assert parent.info.status == "FINISHED"
    assert sorted(r.data.tags["tracker_kind"] for r in children) == ["botsort", "bytetrack", "ocsort", "sort"]
    sweep = tmp_path / "sweep"
    assert sorted(Path(r.data.tags["output_dir"]) for r in children) == [sweep / str(i) for i in range(4)]
    client = local_client(tmp_path)
    for run in children:
        assert_complete(client, run, Path(run.data.tags["output_dir"]))
    left_in_head = sorted(p.name for p in ray_head.folder.iterdir())
    assert left_in_head == ["head.log", "home", "tmp"], "nothing of the sweep lands where the head runs"


def test_multirun_on_local_ray(tmp_path):
    scratch = Path(tempfile.mkdtemp(prefix="tbray-"))  # short: Ray's socket paths must stay < 107 characters
    env = {
        **os.environ,
        "HOME": str(tmp_path),  # the token Ray makes for a new local cluster stays in the test's folder
        "RAY_TMPDIR": str(scratch),
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",  # keep Ray on 127.0.0.1 (../shared/NOTES.md)
        "RAY_USAGE_STATS_ENABLED": "0",
    }
    try:
        trackbench(
            tmp_path,
            env,
            "-m",
            "tracker=ocsort,bytetrack",
            *SMALL,
            "hydra/launcher=ray",
            "+hydra.launcher.ray.init.num_cpus=2",
            "hydra.sweep.dir=sweep",
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    parent, children = sweep_family(local_runs(tmp_path))
    assert sorted(r.data.tags["tracker_kind"] for r in children) == ["bytetrack", "ocsort"]
    assert all(r.info.status == "FINISHED" for r in [parent, *children])
    assert (tmp_path / "sweep" / "1" / "metrics.json").is_file()
    # the Ray jobs logged the sweep's standing to the parent as they finished (step = jobs finished)
    history = local_client(tmp_path).get_metric_history(parent.info.run_id, "best_idf1")
    assert len(history) >= 3 and max(m.step for m in history) == 2, [(m.step, m.timestamp) for m in history]


def test_optuna_study_on_a_running_ray_cluster(tmp_path, ray_head):
    """The sweep issue's Optuna sweeper on the Ray launcher: trials two at a time on the head,
    one shared study (SQLite beside the MLflow store), each trial run exactly once."""
    import yaml

    trackbench(
        tmp_path,
        ray_head.env,
        "hparams_search=sort_optuna",
        "hydra.sweeper.n_trials=4",
        "hydra.sweeper.n_jobs=2",
        *SMALL,
        "hydra/launcher=ray",
        f"+hydra.launcher.ray.init.address={ray_head.address}",
        "+hydra.launcher.ray.init.object_store_memory=null",
        "hydra.sweep.dir=study",
    )
    results = yaml.safe_load((tmp_path / "study" / "optimization_results.yaml").read_text())
    assert results["states"] == {"COMPLETE": 4}, results
    parent, children = sweep_family(local_runs(tmp_path))
    assert parent.info.status == "FINISHED"
    assert sorted(int(r.data.tags["trackbench.trial"]) for r in children) == [0, 1, 2, 3], "each trial once"
    assert all(r.info.status == "FINISHED" and r.data.tags["trackbench.split"] == "tune" for r in children)
    best = max(children, key=lambda r: r.data.metrics["idf1"])
    assert results["best_value"] == best.data.metrics["idf1"]
    assert (tmp_path / "study" / "experiment" / "best.yaml").is_file()
    assert (tmp_path / "optuna.db").is_file(), (
        "the study lives beside the sweep's MLflow store, not in the head's folder"
    )
    assert sorted(p.name for p in ray_head.folder.iterdir()) == ["head.log", "home", "tmp"]
