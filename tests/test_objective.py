"""Objectives: one metric or several (accuracy against the tracker's CPU time per frame)."""

from __future__ import annotations

import json
import math
from dataclasses import asdict

import pytest

from trackbench.config import AppConfig, DatasetConfig, ObjectiveConfig, RunnerConfig, load_config
from trackbench.datasets.synthetic import SyntheticConfig
from trackbench.errors import TrackbenchError
from trackbench.experiment.app import run_experiment
from trackbench.experiment.run_record import mlflow_metrics


def with_objective(**objective) -> dict:
    tree = asdict(AppConfig())
    tree["objective"].update(objective)
    return tree


def test_a_metric_list_takes_a_default_direction_per_metric():
    cfg = load_config(with_objective(metrics=["hota", "tracker_ms_per_frame", "num_switches"])).objective
    assert cfg.names == ("hota", "tracker_ms_per_frame", "num_switches")
    assert cfg.senses == ("maximize", "minimize", "minimize")
    explicit = load_config(with_objective(metrics=["idf1", "mota"], directions=["maximize", "minimize"])).objective
    assert explicit.senses == ("maximize", "minimize")
    single = ObjectiveConfig(metric="mota", direction="minimize")
    assert (single.names, single.senses) == (("mota",), ("minimize",)), "objective.metric works as before"
    assert load_config(with_objective(metric="tracker_ms_per_frame")).objective.names == ("tracker_ms_per_frame",)


@pytest.mark.parametrize(
    ("objective", "message"),
    [
        ({"metrics": ["hota", "speed"]}, "objective.metrics: 'speed' is not a metric of the run; choose one of"),
        ({"metric": "speed"}, "objective.metric='speed' is not a metric of the run"),
        ({"metrics": []}, "objective.metrics is empty"),
        ({"metrics": ["hota", "hota"]}, "objective.metrics=['hota', 'hota'] names a metric twice"),
        ({"metrics": ["hota", "idf1"], "directions": ["maximize"]}, "objective.directions has 1 entries for 2"),
        ({"metrics": ["hota", "idf1"], "directions": ["up", "maximize"]}, "objective.directions: 'up' is not"),
        ({"directions": ["maximize"]}, "objective.directions is set without objective.metrics"),
    ],
)
def test_a_bad_objective_is_one_line_naming_the_key(objective, message):
    with pytest.raises(TrackbenchError) as info:
        load_config(with_objective(**objective))
    assert message in str(info.value) and "\n" not in str(info.value)


def test_tracker_cpu_time_per_frame_is_measured_logged_and_an_objective(tmp_path):
    tree = asdict(
        AppConfig(
            dataset=DatasetConfig(synthetic=SyntheticConfig(n_cameras=2, n_frames=40)),
            runner=RunnerConfig(workers=1, progress="never"),
            objective=ObjectiveConfig(metrics=("hota", "tracker_ms_per_frame")),
        )
    )
    tree["mlflow"]["enabled"] = False
    result = run_experiment(tree, tmp_path / "job")
    metrics = json.loads((tmp_path / "job" / "metrics.json").read_text())
    timing = metrics["timing"]
    assert "tracker_ms_per_frame" not in metrics["overall"], "overall stays deterministic"
    per_camera = timing["per_camera_tracker_ms_per_frame"]
    assert sorted(per_camera) == ["cam0", "cam1"] and all(v > 0 for v in per_camera.values())
    assert min(per_camera.values()) <= timing["tracker_ms_per_frame"] <= max(per_camera.values())
    # CPU time of the tracker alone: below the wall time of tracking (reading, writing included)
    assert timing["tracker_ms_per_frame"] * 80 / 1000 <= timing["tracking_summed_s"]
    assert result.objectives == (metrics["overall"]["hota"], timing["tracker_ms_per_frame"])
    logged = mlflow_metrics(metrics)
    assert logged["tracker_ms_per_frame"] == timing["tracker_ms_per_frame"]
    assert "cam/cam1/tracker_ms_per_frame" not in logged, "per camera in metrics.json only (a short run page)"


def test_precomputed_results_have_no_tracker_time(tmp_path):
    tree = asdict(AppConfig(runner=RunnerConfig(workers=1, progress="never")))
    tree["dataset"]["synthetic"].update(n_cameras=1, n_frames=20)
    tree["mlflow"]["enabled"] = False
    run_experiment(tree, tmp_path / "tracked")
    tree["tracker"].update(tracker_kind="precomputed", results_dir=str(tmp_path / "tracked" / "mot"))
    tree["objective"].update(metric="tracker_ms_per_frame", direction="minimize")
    result = run_experiment(tree, tmp_path / "scored")
    timing = json.loads((tmp_path / "scored" / "metrics.json").read_text())["timing"]
    assert math.isnan(timing["tracker_ms_per_frame"]) and result.objective == math.inf, "NaN is the worst value"


def test_the_accuracy_speed_preset_searches_kinds_and_backends_that_all_load():
    """Every (kind, backend) pair the preset's space holds composes and validates, so its front
    can mix boxmot's C++ and Python builds."""
    import itertools

    from hydra import compose, initialize_config_module
    from omegaconf import OmegaConf

    import hydra_plugins.trackbench_optuna_sweeper.config  # noqa: F401  (registers hydra/sweeper=trackbench_optuna)
    from hydra_plugins.trackbench_optuna_sweeper.overrides import parse

    two = ["experiment=accuracy_speed", "objective.metrics=[hota,tracker_ms_per_frame]"]
    with initialize_config_module(config_module="trackbench.config.conf", version_base="1.3"):
        cfg = compose("config", overrides=two, return_hydra_config=True)
        space, fixed = parse(f"{k}={v}" for k, v in cfg.hydra.sweeper.params.items())
        assert not fixed and space["tracker"].choices == ("ocsort", "bytetrack")
        for kind, backend in itertools.product(space["tracker"].choices, space["tracker.backend"].choices):
            job = compose("config", overrides=[*two, f"tracker={kind}", f"tracker.backend={backend}"])
            loaded = load_config(OmegaConf.to_container(job, resolve=True))
            assert (loaded.tracker.tracker_kind, loaded.tracker.backend) == (kind, backend)
            assert loaded.objective.senses == ("maximize", "minimize") and loaded.dataset.split == "tune"
