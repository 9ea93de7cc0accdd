"""run_experiment without Hydra's CLI: params logged, sweep parent found by its tags."""

from __future__ import annotations

from dataclasses import asdict

from mlflow.tracking import MlflowClient

from trackbench.app import run_experiment
from trackbench.config import AppConfig, DatasetConfig, MlflowConfig, RunnerConfig
from trackbench.datasets.synthetic import SyntheticConfig
from trackbench.mlflow_log import ROLE_TAG, SWEEP_TAG, RunLogger


def tiny(tmp_path) -> dict:
    cfg = AppConfig(
        dataset=DatasetConfig(synthetic=SyntheticConfig(n_cameras=1, n_frames=30)),
        runner=RunnerConfig(workers=1, progress="never"),
        mlflow=MlflowConfig(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}"),
    )
    return asdict(cfg)


def test_job_finds_its_sweep_parent_by_tags_without_the_sweep_dir_file(tmp_path):
    tree = tiny(tmp_path)
    parent = RunLogger(MlflowConfig(**tree["mlflow"]))
    parent.start("sweep", {SWEEP_TAG: "/shared/sweep/1", ROLE_TAG: "sweep"})
    result = run_experiment(tree, tmp_path / "job", sweep_dir="/shared/sweep/1")
    run = MlflowClient(tracking_uri=tree["mlflow"]["tracking_uri"]).get_run(result.run_id)
    assert run.data.tags["mlflow.parentRunId"] == parent.run_id
    assert run.data.params["dataset.synthetic.n_frames"] == "30"
    assert result.objective == result.overall["idf1"]


def test_logged_params_describe_this_run_only():
    from trackbench.app import logged_params

    params = logged_params(AppConfig(), workers=2)
    assert params["tracker.ocsort.inertia"] == 0.2 and params["runner.workers_resolved"] == 2
    assert params["dataset.synthetic.n_fish"] == 8
    assert not [k for k in params if k.startswith(("tracker.bytetrack.", "dataset.files.", "mlflow."))]
    mot = logged_params(AppConfig(dataset=DatasetConfig(name="mot", root="x")), workers=1)
    assert "dataset.files.score_map" in mot and not [k for k in mot if k.startswith("dataset.synthetic.")]
