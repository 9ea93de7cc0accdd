"""Hydra callback grouping a multirun's jobs under one MLflow parent run.

The parent is created once, in the launcher process, before any job starts; its id is written
to ``<sweep dir>/.mlflow_parent_run_id`` where every job (any launcher sharing the sweep dir)
reads it. If the sweep dies, the parent is marked FAILED at exit instead of staying RUNNING.
"""

from __future__ import annotations

import atexit
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

PARENT_FILE = ".mlflow_parent_run_id"
SWEPT_FILE = ".trackbench_swept_keys"  # one key per line: what the jobs' run names show


def swept_keys_of(sweep_dir: str | Path) -> list[str] | None:
    path = Path(sweep_dir) / SWEPT_FILE
    return path.read_text().split() if path.exists() else None


def parent_run_id(sweep_dir: str | Path) -> str | None:
    path = Path(sweep_dir) / PARENT_FILE
    return path.read_text().strip() if path.exists() else None


class MlflowSweepCallback(Callback):
    def __init__(self) -> None:
        self._logger: Any = None

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        from trackbench.config import load_config

        app_keys = [k for k in config if k != "hydra"]
        cfg = load_config(OmegaConf.to_container(OmegaConf.masked_copy(config, app_keys), resolve=True))
        if not cfg.mlflow.enabled:
            return
        import time

        from trackbench.mlflow_log import ROLE_TAG, SWEEP_TAG, RunLogger
        from trackbench.naming import sweep_title, swept_keys

        sweep_dir = Path(str(config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        task = list(config.hydra.overrides.task)
        params = list(OmegaConf.select(config, "hydra.sweeper.params", default=None) or {})
        (sweep_dir / SWEPT_FILE).write_text("\n".join(swept_keys(task, params)) + "\n")
        self._logger = RunLogger(cfg.mlflow)
        self._logger.start(
            sweep_title(task, params, time.strftime("%Y-%m-%d %H:%M")),
            {SWEEP_TAG: str(sweep_dir), ROLE_TAG: "sweep", "overrides": " ".join(task)},
        )
        (sweep_dir / PARENT_FILE).write_text(self._logger.run_id)
        atexit.register(self._abandon)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        if self._logger is not None:
            self._logger.end("FINISHED")
            self._logger = None

    def _abandon(self) -> None:
        if self._logger is not None:
            self._logger.end("FAILED", "the sweep ended before all jobs finished")
            self._logger = None
