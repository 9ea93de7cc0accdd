"""Start-up validation: every bad key or value is one line naming it."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from trackbench.config import AppConfig, load_config
from trackbench.errors import TrackbenchError


def tree(**overrides) -> dict:
    base = asdict(AppConfig())
    for dotted, value in overrides.items():
        node = base
        *parents, leaf = dotted.split("__")
        for p in parents:
            node = node[p]
        node[leaf] = value
    return base


def test_defaults_load():
    assert load_config(tree()) == AppConfig()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"tracker__ocsort__inertai": 0.1}, "unknown config key 'tracker.ocsort.inertai'"),
        ({"runner__batch_size": "100"}, "runner.batch_size: expected int"),
        ({"runner__checkpoint_frames": -1}, "runner.checkpoint_frames must be >= 0"),
        ({"eval__frames": "coasted"}, "eval.frames='coasted' is not allowed"),
        ({"eval__iou_threshold": 0.0}, "eval.iou_threshold must lie in (0, 1]"),
        ({"tracker__tracker_kind": "strongsort"}, "ReID"),
        ({"tracker__backend": "cpp", "eval__frames": "interior"}, "tracker.backend=cpp does not give"),
        ({"tracker__backend": "cpp", "eval__frames": "detected"}, "use eval.frames=reported"),
        ({"dataset__synthetic__miss_rate": 3.0}, "miss_rate"),
        ({"dataset__name": "mot"}, "dataset.root"),
        ({"eval__matching": "devkit"}, "eval.matching='devkit' is not allowed; choose one of official, motmetrics"),
        ({"eval__window_frames": 0}, "eval.window_frames must be >= 1"),
        ({"tracker__tracker_kind": "precomputed"}, "tracker.results_dir must name a folder"),
    ],
)
def test_bad_values_name_the_key(overrides, message):
    with pytest.raises(TrackbenchError) as info:
        load_config(tree(**overrides))
    assert message in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"dataset__split": "tune"}, "dataset.splits.tune is not defined for dataset=synthetic"),
        (
            {"dataset__splits__tune": {"seed": 3}, "dataset__splits__test": {"seed": 3}},
            "tune and test overlap (all cameras, frames from 1 of the same scene seed)",
        ),
        (
            {
                "dataset__name": "mot",
                "dataset__root": "x",
                "dataset__splits__tune": {"cameras": ["a", "b"], "last_frame": 100},
                "dataset__splits__test": {"cameras": ["b", "c"], "first_frame": 50},
            },
            "tune and test overlap (cameras b, frames 50..100)",
        ),
        ({"dataset__name": "tud", "dataset__splits__tune": {"seed": 1}}, "seed applies to dataset=synthetic only"),
        ({"dataset__splits__test": {"first_frame": 9, "last_frame": 3}}, "last_frame 3 < first_frame 9"),
    ],
)
def test_bad_splits_name_the_key(overrides, message):
    with pytest.raises(TrackbenchError) as info:
        load_config(tree(**overrides))
    assert message in str(info.value)


def test_disjoint_splits_are_accepted_and_applied():
    from trackbench.datasets.factory import apply_split

    mot = tree(
        dataset__name="mot",
        dataset__root="x",
        dataset__split="test",
        dataset__splits__tune={"cameras": ["a"]},
        dataset__splits__test={"cameras": ["a"], "first_frame": 101},
    )
    mot["dataset"]["splits"]["tune"]["last_frame"] = 100
    cfg = load_config(mot)
    applied = apply_split(cfg.dataset)
    assert (applied.cameras, applied.first_frame, applied.last_frame) == (("a",), 101, None)
    synthetic = load_config(tree(dataset__split="test", dataset__splits__tune={}, dataset__splits__test={"seed": 9}))
    assert apply_split(synthetic.dataset).synthetic.seed == 9
    assert apply_split(load_config(tree()).dataset) == load_config(tree()).dataset


def test_shipped_splits_are_disjoint():
    """conf/dataset/*.yaml define tune and test for the tank and TUD; both load."""
    from hydra import compose, initialize_config_module
    from omegaconf import OmegaConf

    with initialize_config_module(config_module="trackbench.config.conf", version_base="1.3"):
        for dataset, split in [("synthetic", "tune"), ("synthetic", "test"), ("tud", "test")]:
            cfg = compose("config", overrides=[f"dataset={dataset}", f"dataset.split={split}"])
            tree_ = OmegaConf.to_container(cfg, resolve=True)
            tree_.pop("hydra", None)
            assert load_config(tree_).dataset.split == split
        # the spelling of docs/guide/splits.md for a MOT folder's splits
        readme = ["'dataset.splits.tune={cameras: [A, B]}'", "'dataset.splits.test={cameras: [C], first_frame: 5}'"]
        cfg = compose(
            "config",
            overrides=["dataset=mot", "dataset.root=/x", "dataset.split=test"] + [o.strip("'") for o in readme],
        )
        tree_ = OmegaConf.to_container(cfg, resolve=True)
        tree_.pop("hydra", None)
        splits = load_config(tree_).dataset.splits
        assert (splits.tune.cameras, splits.test.cameras, splits.test.first_frame) == (("A", "B"), ("C",), 5)


def test_every_hparams_search_tunes_on_the_tune_split():
    """A sweep picks settings on `tune` so that `test` stays held out (trackbench-benchmark)."""
    from importlib.resources import files

    from hydra import compose, initialize_config_module
    from omegaconf import OmegaConf

    import hydra_plugins.trackbench_optuna_sweeper.config  # noqa: F401  (registers hydra/sweeper=trackbench_optuna)

    names = sorted(
        p.name.removesuffix(".yaml") for p in files("trackbench.config.conf").joinpath("hparams_search").iterdir()
    )
    assert len(names) == 7
    with initialize_config_module(config_module="trackbench.config.conf", version_base="1.3"):
        for name in names:
            cfg = compose("config", overrides=[f"hparams_search={name}"], return_hydra_config=True)
            assert cfg.dataset.split == "tune", name
            tree_ = OmegaConf.to_container(cfg, resolve=False)
            tree_.pop("hydra", None)
            assert load_config(OmegaConf.to_container(OmegaConf.create(tree_), resolve=True)).dataset.split == "tune"
            # overridable as any key: a sweep on all the data is one override away
            again = compose("config", overrides=[f"hparams_search={name}", "dataset.split=all"])
            assert again.dataset.split == "all"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"postprocess__method": "kalman"}, "postprocess.method='kalman' is not allowed"),
        (
            {"postprocess__method": "linear", "postprocess__tau": 5.0},
            "postprocess.tau does not apply to postprocess=linear",
        ),
        ({"postprocess__n_estimators": 10}, "postprocess.n_estimators does not apply to postprocess=none"),
        ({"postprocess__method": "gsi", "postprocess__interval": 1}, "postprocess.interval must be >= 2"),
        ({"postprocess__method": "gsi", "postprocess__tau": 0.0}, "postprocess.tau must be > 0"),
        ({"postprocess__method": "gbrc", "postprocess__min_samples_split": 1}, "postprocess.min_samples_split must"),
        ({"postprocess__method": "gbrc", "postprocess__learning_rate": -0.1}, "postprocess.learning_rate must be > 0"),
    ],
)
def test_bad_postprocess_values_name_the_key(overrides, message):
    with pytest.raises(TrackbenchError) as info:
        load_config(tree(**overrides))
    assert message in str(info.value) and "\n" not in str(info.value)


def test_postprocess_group_composes_and_its_keys_can_be_searched():
    """conf/postprocess/*.yaml load (none by default), and a search space may hold postprocess.*
    keys beside the tracker's: the sweeper parses them and a trial's overrides compose."""
    from hydra import compose, initialize_config_module
    from omegaconf import OmegaConf

    import hydra_plugins.trackbench_optuna_sweeper.config  # noqa: F401  (registers hydra/sweeper=trackbench_optuna)
    from hydra_plugins.trackbench_optuna_sweeper.overrides import parse, value_text
    from trackbench.sweeps.tuning.space import FloatParam, IntParam

    def loaded(overrides: list[str]):
        cfg = compose("config", overrides=overrides)
        tree_ = OmegaConf.to_container(cfg, resolve=True)
        tree_.pop("hydra", None)
        return load_config(tree_)

    with initialize_config_module(config_module="trackbench.config.conf", version_base="1.3"):
        assert loaded([]).postprocess.method == "none"
        for method in ("linear", "gsi", "gbrc"):
            assert loaded([f"postprocess={method}"]).postprocess.method == method
        cfg = compose("config", overrides=["hparams_search=ocsort_optuna", "postprocess=gsi"], return_hydra_config=True)
        lines = [f"{k}={v}" for k, v in cfg.hydra.sweeper.params.items()]
        space, _ = parse([*lines, "postprocess.tau=interval(2.0, 20.0)", "postprocess.interval=range(5, 40, step=5)"])
        assert isinstance(space["postprocess.tau"], FloatParam) and isinstance(space["postprocess.interval"], IntParam)
        trial = {"tracker.n_init": 2, "postprocess.tau": 4.5, "postprocess.interval": 15}
        chosen = loaded(["postprocess=gsi", *(f"{k}={value_text(v)}" for k, v in trial.items())])
        assert (chosen.tracker.n_init, chosen.postprocess.tau, chosen.postprocess.interval) == (2, 4.5, 15)
