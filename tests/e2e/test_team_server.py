"""The README's team setup: PostgreSQL, an ``mlflow server`` on it with proxied artifacts, and
many concurrent jobs logging into it. None lost, none duplicated, every run complete."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from .conftest import assert_complete, sweep_family

pytestmark = pytest.mark.slow

SMALL = ("dataset.synthetic.n_cameras=2", "dataset.synthetic.n_frames=60", "runner.workers=1")


def experiment_runs(client: MlflowClient, name: str) -> list:
    experiment = client.get_experiment_by_name(name)
    return client.search_runs([experiment.experiment_id], max_results=1000)


def test_eight_concurrent_joblib_jobs_into_the_postgres_server(cli, tmp_path, team_server):
    cli(
        "-m",
        "tracker=ocsort,bytetrack",
        "tracker.max_coast_frames=5,10,20,30",
        *SMALL,
        "hydra/launcher=joblib",
        "hydra.launcher.n_jobs=8",
        f"mlflow.tracking_uri={team_server.uri}",
        "mlflow.experiment_name=team-joblib",
        "hydra.sweep.dir=sweep",
    )
    client = MlflowClient(tracking_uri=team_server.uri)
    all_runs = experiment_runs(client, "team-joblib")
    parent, children = sweep_family(all_runs)
    assert len(all_runs) == 9 and len(children) == 8, "one parent, eight jobs, nothing duplicated"
    assert parent.info.status == "FINISHED"
    combos = {(r.data.tags["tracker_kind"], r.data.params["tracker.max_coast_frames"]) for r in children}
    assert combos == {(k, str(m)) for k in ("ocsort", "bytetrack") for m in (5, 10, 20, 30)}
    for run in children:
        assert_complete(client, run, Path(run.data.tags["output_dir"]))
    assert not (tmp_path / "mlflow.db").exists(), "nothing went to the local default store"
    assert any(team_server.artifacts.rglob("metrics.json")), "artifacts went through the server to its folder"
