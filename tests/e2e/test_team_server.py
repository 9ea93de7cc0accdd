"""The team setup of docs/scale-out.md: PostgreSQL, an ``mlflow server`` on it with proxied artifacts, and
many concurrent jobs logging into it. None lost, none duplicated, every run complete."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from trackbench.record.mlflow_log import PARENT_TAG, ROLE_TAG, SWEEP_TAG

from .conftest import assert_complete, trackbench_command

pytestmark = pytest.mark.slow

SMALL = ("dataset.synthetic.n_cameras=2", "dataset.synthetic.n_frames=60", "runner.workers=1")


def experiment_runs(client: MlflowClient, name: str) -> list:
    experiment = client.get_experiment_by_name(name)
    return client.search_runs([experiment.experiment_id], max_results=1000)


def test_eight_concurrent_jobs_from_joblib_and_ray_into_the_postgres_server(tmp_path, team_server, ray_head):
    """Two sweeps at once into one server: 4 joblib workers and 4 jobs on a Ray head (4 CPUs)."""
    common = (*SMALL, f"mlflow.tracking_uri={team_server.uri}", "mlflow.experiment_name=team")
    sweeps = {
        "joblib": ("tracker.max_coast_frames=5,10,20,30", "hydra/launcher=joblib", "hydra.launcher.n_jobs=4"),
        "ray": (
            "tracker.max_coast_frames=6,11,21,31",
            "hydra/launcher=ray",
            f"+hydra.launcher.ray.init.address={ray_head.address}",
            "+hydra.launcher.ray.init.object_store_memory=null",
        ),
    }
    procs = {
        name: subprocess.Popen(
            [*trackbench_command(), "-m", *args, *common, f"hydra.sweep.dir={name}"],
            cwd=tmp_path,
            env=ray_head.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, args in sweeps.items()
    }
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=900)
        assert proc.returncode == 0, f"{name} sweep failed:\n{out[-2000:]}\n{err[-4000:]}"
    client = MlflowClient(tracking_uri=team_server.uri)
    all_runs = experiment_runs(client, "team")
    assert len(all_runs) == 10, "two parents, eight jobs, nothing lost or duplicated"
    parents = [r for r in all_runs if r.data.tags.get(ROLE_TAG) == "sweep"]
    assert all(p.info.status == "FINISHED" for p in parents) and len(parents) == 2
    for parent in parents:
        children = [r for r in all_runs if r.data.tags.get(PARENT_TAG) == parent.info.run_id]
        launcher = Path(parent.data.tags[SWEEP_TAG]).name
        expected = {"joblib": {"5", "10", "20", "30"}, "ray": {"6", "11", "21", "31"}}[launcher]
        assert {r.data.params["tracker.max_coast_frames"] for r in children} == expected
        for run in children:
            assert Path(run.data.tags["output_dir"]).parent == tmp_path / launcher
            assert_complete(client, run, Path(run.data.tags["output_dir"]))
    assert not (tmp_path / "mlflow.db").exists(), "nothing went to the local default store"
    assert any(team_server.artifacts.rglob("metrics.json")), "artifacts went through the server to its folder"
