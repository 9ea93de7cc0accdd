"""run_experiment without Hydra's CLI: params logged, sweep parent found by its tags."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest
from mlflow.tracking import MlflowClient

from trackbench.config import AppConfig, DatasetConfig, MlflowConfig, RunnerConfig
from trackbench.datasets.synthetic import SyntheticConfig
from trackbench.errors import TrackbenchError
from trackbench.experiment.app import run_experiment
from trackbench.record.mlflow_log import ROLE_TAG, SWEEP_TAG, RunLogger


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
    assert run.data.params["dataset.synthetic.seed"] == "0" and "dataset.synthetic.n_frames" not in run.data.params
    assert result.objective == result.overall["idf1"]


def test_logged_params_describe_this_run_only():
    from trackbench.experiment.run_record import logged_params

    params = logged_params(AppConfig(), workers=2)
    assert params["runner.workers_resolved"] == 2 and params["tracker.max_coast_frames"] == 30
    assert params["dataset.synthetic.seed"] == 0 and "dataset.synthetic.n_fish" not in params  # see log_input
    assert not [
        k for k in params if k.startswith(("tracker.bytetrack.", "tracker.ocsort.", "dataset.files.", "mlflow."))
    ]
    assert len(params) <= 25, sorted(params)
    # The process layout is said once, resolved, even where the command line sets it.
    laid_out = logged_params(AppConfig(runner=RunnerConfig(workers=1, reuse_workers=False)), workers=1)
    assert laid_out["runner.workers_resolved"] == 1 and "runner.workers" not in laid_out
    assert "runner.reuse_workers" not in laid_out and len(laid_out) <= 25, sorted(laid_out)
    # A kind's own options are params where the run sets them (as every sweep over them does).
    swept = logged_params(AppConfig(), workers=2, overridden=["tracker.ocsort.inertia", "+tracker.bytetrack.min_conf"])
    assert swept["tracker.ocsort.inertia"] == 0.2 and "tracker.bytetrack.min_conf" not in swept
    mot = logged_params(AppConfig(dataset=DatasetConfig(name="mot", root="x")), workers=1)
    assert "dataset.files.score_map" in mot and not [k for k in mot if k.startswith("dataset.synthetic.")]


def test_hota_objective_windows_and_step_metrics(tmp_path):
    tree = tiny(tmp_path)
    tree["objective"] = {"metric": "hota", "direction": "maximize"}
    tree["eval"]["window_frames"] = 12
    result = run_experiment(tree, tmp_path / "job")
    assert result.objective == result.overall["hota"] and 0 < result.objective < 1
    metrics = json.loads((tmp_path / "job" / "metrics.json").read_text())
    assert metrics["matching"] == "official" and metrics["windows"]["window_frames"] == 12
    pooled = metrics["windows"]["pooled"]
    assert [(w["first_frame"], w["last_frame"]) for w in pooled] == [(1, 12), (13, 24), (25, 30)]
    assert sum(w["num_switches"] for w in pooled) == metrics["overall"]["num_switches"]
    client = MlflowClient(tracking_uri=tree["mlflow"]["tracking_uri"])
    history = client.get_metric_history(result.run_id, "window/hota")
    assert [(m.step, m.value) for m in history] == [(w["first_frame"], pytest.approx(w["hota"])) for w in pooled]
    run = client.get_run(result.run_id)
    assert run.data.params["eval.matching"] == "official" and run.data.metrics["hota"] == result.overall["hota"]
    assert (tmp_path / "job" / "plots" / "windows.png").stat().st_size > 0


def test_precomputed_scores_a_runs_own_files_exactly_as_the_run(tmp_path):
    """Scoring a run's mot/ files with tracker=precomputed reproduces its metrics."""
    tree = tiny(tmp_path)
    tree["mlflow"]["enabled"] = False
    tracked = run_experiment(tree, tmp_path / "tracked")
    tree["tracker"] = {"tracker_kind": "precomputed", "results_dir": str(tmp_path / "tracked" / "mot")}
    scored = run_experiment(tree, tmp_path / "scored")
    assert scored.overall == tracked.overall and scored.per_camera == tracked.per_camera
    a = json.loads((tmp_path / "tracked" / "metrics.json").read_text())["windows"]
    b = json.loads((tmp_path / "scored" / "metrics.json").read_text())["windows"]
    assert a == b
    assert (tmp_path / "scored" / "mot" / "cam0.txt").read_text() == (
        tmp_path / "tracked" / "mot" / "cam0.txt"
    ).read_text()


def test_precomputed_missing_or_malformed_file_is_one_line_before_any_run(tmp_path):
    tree = tiny(tmp_path)
    results = tmp_path / "results"
    results.mkdir()
    tree["tracker"] = {"tracker_kind": "precomputed", "results_dir": str(results)}
    with pytest.raises(TrackbenchError, match=r"no result file .*cam0\.txt for camera 'cam0'"):
        run_experiment(tree, tmp_path / "job")
    (results / "cam0.txt").write_text("1,1,0,0,10,10,1,-1,-1,-1\n2,1,0,0,ten,10,1,-1,-1,-1\n")
    with pytest.raises(TrackbenchError, match=r"cam0\.txt:2"):
        run_experiment(tree, tmp_path / "job")
    assert not (tmp_path / "mlflow.db").exists()
    tree["tracker"] = {"tracker_kind": "precomputed"}
    with pytest.raises(TrackbenchError, match=r"tracker\.results_dir must name a folder"):
        run_experiment(tree, tmp_path / "job")


def test_precomputed_logs_only_where_results_came_from():
    from trackbench.experiment.run_record import logged_params
    from trackbench.tracking.config import TrackingConfig

    cfg = AppConfig(tracker=TrackingConfig(tracker_kind="precomputed", results_dir="/r"))
    params = logged_params(cfg, workers=1)
    assert {k for k in params if k.startswith("tracker.")} == {"tracker.tracker_kind", "tracker.results_dir"}
    assert "tracker.results_dir" not in logged_params(AppConfig(), workers=1)


@pytest.mark.parametrize("backend", ["python", "cpp"])
def test_a_postprocessed_run_scores_and_logs_the_postprocessed_rows_and_keeps_the_trackers_tracklets(tmp_path, backend):
    """postprocess=gsi: mot/ holds boxmot's GSI of the plain run's rows, metrics score exactly
    those rows, tracklets/ stay the tracker's, and the method is logged and printed."""
    import numpy as np

    from trackbench.artifacts import write_mot_table
    from trackbench.config import PostprocessConfig
    from trackbench.experiment.postprocess import from_mot_rows, postprocessed

    if backend == "cpp":
        from tests.tracking.test_native import need_native

        need_native("ocsort")
    tree = tiny(tmp_path)
    tree["dataset"]["synthetic"]["n_frames"] = 90
    tree["tracker"]["backend"] = backend
    plain = run_experiment({**tree, "mlflow": {**tree["mlflow"], "enabled": False}}, tmp_path / "plain")
    tree["postprocess"] = {"method": "gsi", "interval": 20, "tau": 10.0}
    result = run_experiment(tree, tmp_path / "gsi")

    def text(run: str, path: str) -> str:
        return (tmp_path / run / path).read_text()

    assert text("gsi", "tracklets/cam0.jsonl") == text("plain", "tracklets/cam0.jsonl")
    rows = from_mot_rows(np.loadtxt(tmp_path / "plain" / "mot" / "cam0.txt", delimiter=",", ndmin=2))
    write_mot_table(tmp_path / "expected.txt", postprocessed(PostprocessConfig(method="gsi"), rows))
    assert text("gsi", "mot/cam0.txt") == (tmp_path / "expected.txt").read_text() != text("plain", "mot/cam0.txt")
    assert result.overall["num_misses"] < plain.overall["num_misses"], "GSI filled missed frames"
    rescored = {**tree, "tracker": {"tracker_kind": "precomputed", "results_dir": str(tmp_path / "gsi" / "mot")}}
    rescored.update(postprocess={"method": "none"}, mlflow={**tree["mlflow"], "enabled": False})
    assert run_experiment(rescored, tmp_path / "rescored").overall == result.overall  # the mot/ rows were scored

    metrics = json.loads(text("gsi", "metrics.json"))
    assert metrics["postprocess"] == {"method": "gsi", "interval": 20, "tau": 10.0}
    assert "postprocess" not in json.loads(text("plain", "metrics.json"))
    assert "postprocess=gsi (interval 20, tau 10)" in result.scoring and "NOT comparable" in result.scoring
    assert "postprocess" not in plain.scoring
    run = MlflowClient(tracking_uri=tree["mlflow"]["tracking_uri"]).get_run(result.run_id)
    params = {k: v for k, v in run.data.params.items() if k.startswith("postprocess.")}
    assert params == {"postprocess.method": "gsi", "postprocess.interval": "20", "postprocess.tau": "10.0"}
    assert run.data.metrics["hota"] == result.overall["hota"]


def test_precomputed_results_are_postprocessed_like_a_run(tmp_path):
    """tracker=precomputed postprocess=linear on a run's mot/ scores what the run with linear scored."""
    tree = tiny(tmp_path)
    tree["mlflow"]["enabled"] = False
    tree["dataset"]["synthetic"]["n_frames"] = 90
    run_experiment(tree, tmp_path / "plain")
    tree["postprocess"] = {"method": "linear", "interval": 10}
    tracked = run_experiment(tree, tmp_path / "tracked")
    tree["tracker"] = {"tracker_kind": "precomputed", "results_dir": str(tmp_path / "plain" / "mot")}
    scored = run_experiment(tree, tmp_path / "scored")
    assert scored.overall == tracked.overall
    assert (tmp_path / "scored" / "mot" / "cam0.txt").read_text() == (
        tmp_path / "tracked" / "mot" / "cam0.txt"
    ).read_text()


@pytest.mark.parametrize(("sweep_dir", "shown"), [(None, "auto"), ("/shared/sweep/1", "never")])
def test_a_sweeps_jobs_draw_no_tracking_bar_on_a_terminal(tmp_path, monkeypatch, sweep_dir, shown):
    # A job with a bar could not share the sweep's kept camera workers: on a terminal a 20-trial
    # C++ study took 26 s instead of 17. A single run keeps its bar ("always" still shows one).
    from trackbench.experiment import app

    seen = []
    real = app.run

    def recording(dataset, cfg, *args, **kwargs):
        seen.append(cfg.runner.progress)
        return real(dataset, cfg, *args, **kwargs)

    monkeypatch.setattr(app, "run", recording)
    tree = tiny(tmp_path)
    tree["mlflow"]["enabled"] = False
    tree["runner"]["progress"] = "auto"
    run_experiment(tree, tmp_path / "job", sweep_dir=sweep_dir)
    assert seen == [shown]
