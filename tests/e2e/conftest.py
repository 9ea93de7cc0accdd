"""Helpers for end-to-end tests: the installed console script, run as a user would."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from trackbench.mlflow_log import PARENT_TAG, ROLE_TAG


def trackbench_command() -> list[str]:
    exe = shutil.which("trackbench", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "trackbench"]


@pytest.fixture
def cli(tmp_path):
    def run(*args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [*trackbench_command(), *args], cwd=tmp_path, capture_output=True, text=True, timeout=timeout
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"trackbench {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
        return proc

    return run


def local_client(tmp_path) -> MlflowClient:
    """A client on the default store the CLI creates in its working directory."""
    return MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")


def local_runs(tmp_path, experiment: str = "trackbench") -> list:
    client = local_client(tmp_path)
    return client.search_runs([client.get_experiment_by_name(experiment).experiment_id])


def sweep_family(all_runs) -> tuple:
    """The sweep's parent run and the job runs under it."""
    (parent,) = [r for r in all_runs if r.data.tags.get(ROLE_TAG) == "sweep"]
    children = [r for r in all_runs if r.data.tags.get(PARENT_TAG) == parent.info.run_id]
    return parent, children
