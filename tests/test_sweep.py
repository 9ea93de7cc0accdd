"""Multirun paths resolve against the driver's working directory (Ray jobs run elsewhere)."""

from __future__ import annotations

from pathlib import Path

from omegaconf import OmegaConf

from trackbench.sweeps.callback import absolute_sqlite_uri, resolve_paths


def test_relative_sqlite_uri_becomes_absolute():
    cwd = Path("/work/here")
    assert absolute_sqlite_uri("sqlite:///mlflow.db", cwd) == "sqlite:////work/here/mlflow.db"
    assert absolute_sqlite_uri("sqlite:///runs/m.db", cwd) == "sqlite:////work/here/runs/m.db"
    for unchanged in ("sqlite:////abs/m.db", "http://host:5000", "postgresql://u@h/db", "sqlite:///:memory:"):
        assert absolute_sqlite_uri(unchanged, cwd) == unchanged


def test_resolve_paths_rewrites_config_and_the_overrides_jobs_are_composed_from():
    config = OmegaConf.create(
        {
            "mlflow": {"tracking_uri": "sqlite:///mlflow.db"},
            "hydra": {
                "sweep": {"dir": "sweep"},
                "overrides": {"hydra": ["hydra.sweep.dir=sweep"], "task": ["tracker=ocsort,sort"]},
            },
        }
    )
    OmegaConf.set_readonly(config, True)
    resolve_paths(config, Path("/d r/it's"))
    assert config.hydra.sweep.dir == "/d r/it's/sweep"
    assert config.mlflow.tracking_uri == "sqlite:////d r/it's/mlflow.db"
    assert list(config.hydra.overrides.hydra) == ["hydra.sweep.dir='/d r/it\\'s/sweep'"]
    assert list(config.hydra.overrides.task) == [
        "tracker=ocsort,sort",
        "mlflow.tracking_uri='sqlite:////d r/it\\'s/mlflow.db'",
    ]
