"""Multirun: child runs under one parent, parallel jobs on SQLite, Optuna's objective."""

from __future__ import annotations

import pytest
import yaml

from .conftest import local_runs, sweep_family

pytestmark = pytest.mark.slow

SMALL = ("dataset.synthetic.n_cameras=2", "dataset.synthetic.n_frames=60", "runner.workers=1")


def test_two_tracker_kinds_two_children_under_one_parent(cli, tmp_path):
    cli("-m", "tracker=ocsort,bytetrack", *SMALL, "hydra.sweep.dir=sweep")
    all_runs = local_runs(tmp_path)
    parent, children = sweep_family(all_runs)
    assert len(all_runs) == 3
    assert parent.info.status == "FINISHED"
    assert sorted(r.data.tags["tracker_kind"] for r in children) == ["bytetrack", "ocsort"]
    assert all(r.info.status == "FINISHED" and "idf1" in r.data.metrics for r in children)


def test_parallel_jobs_on_sqlite_lose_nothing(cli, tmp_path):
    cli(
        "-m", "tracker.n_init=1,2,3,4", *SMALL, "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "hydra.sweep.dir=sw"
    )
    parent, children = sweep_family(local_runs(tmp_path))
    assert sorted(r.data.params["tracker.n_init"] for r in children) == ["1", "2", "3", "4"]
    n_metrics = {len(r.data.metrics) for r in children}
    n_params = {len(r.data.params) for r in children}
    assert len(n_metrics) == 1 and len(n_params) == 1, "every job logged the same set of keys"
    assert all(r.info.status == "FINISHED" for r in children) and parent.info.status == "FINISHED"


def test_optuna_sweep_optimises_the_returned_objective(cli, tmp_path):
    cli("hparams_search=ocsort_optuna", "hydra.sweeper.n_trials=3", *SMALL, "hydra.sweep.dir=opt")
    best = yaml.safe_load((tmp_path / "opt" / "optimization_results.yaml").read_text())
    _, children = sweep_family(local_runs(tmp_path))
    assert len(children) == 3
    assert best["best_value"] == pytest.approx(max(r.data.metrics["idf1"] for r in children))


def test_experiment_configs_compose(cli):
    for experiment in ("compare_kinds", "smoke"):
        proc = cli(f"experiment={experiment}", "--cfg", "job")
        assert "tracker" in proc.stdout
