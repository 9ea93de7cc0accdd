"""Hydra callback grouping a multirun's jobs under one MLflow parent run.

The parent is created once, in the launcher process, before any job starts; its id is written
to ``<sweep dir>/.mlflow_parent_run_id`` where every job (any launcher sharing the sweep dir)
reads it. If the sweep dies, the parent is marked FAILED at exit instead of staying RUNNING.
"""

from __future__ import annotations

import atexit
import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

PARENT_FILE = ".mlflow_parent_run_id"


def parent_run_id(sweep_dir: str | Path) -> str | None:
    path = Path(sweep_dir) / PARENT_FILE
    return path.read_text().strip() if path.exists() else None


class MlflowSweepCallback(Callback):
    def __init__(self) -> None:
        self._logger: Any = None

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        from trackbench.config import load_config
        from trackbench.errors import TrackbenchError
        from trackbench.sweep_frames import check_one_frame_set

        app_keys = [k for k in config if k != "hydra"]
        try:
            cfg = load_config(OmegaConf.to_container(OmegaConf.masked_copy(config, app_keys), resolve=True))
            params = OmegaConf.select(config, "hydra.sweeper.params")
            params = OmegaConf.to_container(params, resolve=False) if params is not None else None
            check_one_frame_set(cfg.eval.frames, cfg.tracker.backend, config.hydra.overrides.task, params)
        except TrackbenchError as exc:  # before any job or MLflow run: one line, as the app's errors
            print(f"trackbench: error: {exc}", file=sys.stderr)
            sys.exit(2)
        if not cfg.mlflow.enabled:
            return
        from trackbench.mlflow_log import ROLE_TAG, SWEEP_TAG, RunLogger

        sweep_dir = Path(str(config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        self._logger = RunLogger(cfg.mlflow)
        overrides = " ".join(config.hydra.overrides.task)
        self._logger.start(
            f"sweep {sweep_dir.name}",
            {SWEEP_TAG: str(sweep_dir), ROLE_TAG: "sweep", "overrides": overrides},
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
