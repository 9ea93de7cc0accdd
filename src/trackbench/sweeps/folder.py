"""What a sweep's folder tells its jobs: the MLflow parent run's id and the keys the sweep varies.

The sweep callback (:mod:`trackbench.sweeps.callback`) writes both files before any job starts;
every job (any launcher sharing the sweep folder) and the Optuna sweeper read them. Standard
library only: the CLI and the sweeper plugin import this on every command.
"""

from __future__ import annotations

from pathlib import Path

PARENT_FILE = ".mlflow_parent_run_id"
SWEPT_FILE = ".trackbench_swept_keys"  # one key per line: what the jobs' run names show


def swept_keys_of(sweep_dir: str | Path) -> list[str] | None:
    path = Path(sweep_dir) / SWEPT_FILE
    return path.read_text().split() if path.exists() else None


def parent_run_id(sweep_dir: str | Path) -> str | None:
    path = Path(sweep_dir) / PARENT_FILE
    return path.read_text().strip() if path.exists() else None
