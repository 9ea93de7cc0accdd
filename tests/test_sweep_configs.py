"""A trial's config composed once per shape of its overrides equals Hydra's own composition."""

from __future__ import annotations

import pytest
from hydra._internal.config_loader_impl import ConfigLoaderImpl
from hydra._internal.utils import create_config_search_path
from hydra.types import RunMode
from omegaconf import OmegaConf

import hydra_plugins.trackbench_optuna_sweeper.config  # noqa: F401  (registers the sweeper's configs)
from hydra_plugins.trackbench_optuna_sweeper import sweep_configs
from hydra_plugins.trackbench_optuna_sweeper.sweep_configs import SweepConfigs

HIDDEN = ["tuning.storage='sqlite:////tmp/o.db'", "tuning.study_name=s", "tuning.report_frames=150"]


def trial(n: int, coast: int, iou: float, func: str, byte: bool) -> list[str]:
    searched = [f"tracker.max_coast_frames={coast}", f"tracker.iou_threshold={iou!r}",
                f"tracker.ocsort.asso_func={func}", f"tracker.ocsort.use_byte={str(byte).lower()}"]  # fmt: skip
    return [*searched, "eval.frames=reported", *HIDDEN, f"tuning.trial={n}"]


TRIALS = [
    trial(0, 30, 0.3, "iou", False),
    trial(1, 12, 0.4472000788638726, "diou", True),
    trial(2, 60, 0.1, "giou", False),
    trial(3, 12, 0.4472000788638726, "diou", True),  # a value seen before
    ["tracker=bytetrack", "tracker.max_coast_frames=5", *HIDDEN, "tuning.trial=4"],  # another shape: a group
    ["tracker=bytetrack", "tracker.max_coast_frames=7", *HIDDEN, "tuning.trial=5"],
    [*trial(6, 20, 0.5, "ciou", False), "+tracker.ocsort.extra=1"],  # an addition is part of the shape
    [*trial(9, 25, 0.45, "iou", True), "+tracker.ocsort.extra=1"],
    [*trial(7, 20, 0.5, "ciou", False), "tracker.max_coast_frames=21"],  # a key set twice: the usual way
    trial(8, 31, 0.35, "iou", True),
]


@pytest.fixture
def loader() -> ConfigLoaderImpl:
    return ConfigLoaderImpl(config_search_path=create_config_search_path("pkg://trackbench.config.conf"))


def test_each_trial_config_equals_hydras_composition(loader, monkeypatch):
    monkeypatch.setattr(sweep_configs, "_COMPOSED", {})
    master = loader.load_configuration(
        "config", overrides=["hparams_search=ocsort_optuna", "hydra.sweep.dir=/tmp/s"], run_mode=RunMode.MULTIRUN
    )
    cached = SweepConfigs(loader)
    for overrides in TRIALS:
        expected = loader.load_sweep_config(master, list(overrides))
        got = cached.load_sweep_config(master, list(overrides))
        assert OmegaConf.to_yaml(got) == OmegaConf.to_yaml(expected), overrides
        assert OmegaConf.is_struct(got) and OmegaConf.is_readonly(got.hydra) == OmegaConf.is_readonly(expected.hydra)
        assert got.hydra.job.override_dirname == expected.hydra.job.override_dirname
    assert len(sweep_configs._COMPOSED) == 3  # ocsort, bytetrack, ocsort with the addition; not the key set twice


def test_plain_values_make_the_shape_anything_else_is_composed_as_usual():
    plan = sweep_configs._plan(trial(0, 30, 0.3, "iou", False))
    assert (
        plan is not None and plan.shape[0] == "=tracker.max_coast_frames" and "eval.frames=reported" not in plan.shape
    )
    assert plan.shape == sweep_configs._plan(trial(9, 1, 0.9, "giou", True)).shape
    assert sweep_configs._plan(["tracker.max_coast_frames=3", "tracker.max_coast_frames=4"]) is None
    assert sweep_configs._plan(["dataset.synthetic={n_fish: 3}", "dataset.synthetic.seed=1"]) is None
    groups = sweep_configs._plan(["tracker=bytetrack", "+x.y=1", "~z.w", "hydra.job.chdir=false"])
    assert groups is not None and groups.values == ()


def test_the_joblib_launcher_of_the_cores_rule_composes_through_the_cache(loader):
    """A study the cores rule runs in parallel (Hydra's joblib launcher) composes its trials
    through the same cache as one run trial by trial: the launcher gets the sweeper's loader."""
    from hydra.core.plugins import Plugins
    from hydra.core.utils import setup_globals
    from hydra.types import HydraContext

    setup_globals()
    config = loader.load_configuration(
        "config", overrides=["hparams_search=ocsort_optuna", "hydra.sweep.dir=/tmp/s"], run_mode=RunMode.MULTIRUN
    )
    context = HydraContext(config_loader=loader, callbacks=None)  # type: ignore[arg-type]
    sweeper = Plugins.instance().instantiate_sweeper(config=config, hydra_context=context, task_function=lambda c: 0)
    assert sweeper.launcher.hydra_context.config_loader is sweeper.configs
    parallel = sweeper._joblib(2)
    assert type(parallel).__name__ == "JoblibLauncher"
    assert parallel.hydra_context.config_loader is sweeper.configs
