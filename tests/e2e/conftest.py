"""Helpers for end-to-end tests: the installed console script, run as a user would."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from trackbench.record.mlflow_log import PARENT_TAG, ROLE_TAG, open_client


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
    return open_client(f"sqlite:///{tmp_path / 'mlflow.db'}")  # not at the same moment as a job


def local_runs(tmp_path, experiment: str = "trackbench") -> list:
    client = local_client(tmp_path)
    return client.search_runs([client.get_experiment_by_name(experiment).experiment_id])


def sweep_family(all_runs) -> tuple:
    """The sweep's parent run and the job runs under it."""
    (parent,) = [r for r in all_runs if r.data.tags.get(ROLE_TAG) == "sweep"]
    children = [r for r in all_runs if r.data.tags.get(PARENT_TAG) == parent.info.run_id]
    return parent, children


@pytest.fixture(scope="session")
def team_server(tmp_path_factory):
    """The team setup of docs/scale-out.md on 127.0.0.1: PostgreSQL and an ``mlflow server`` on it with
    proxied artifacts. Tests that stop it (outages) start it again before they end."""
    from .servers import MlflowServer, postgres

    folder = tmp_path_factory.mktemp("team")
    with postgres() as database_uri:
        server = MlflowServer(database_uri, folder)
        server.start()
        try:
            yield server
        finally:
            server.stop()


def assert_complete(client: MlflowClient, run, output_dir) -> None:
    """A job run holds exactly what its output folder says: every param of its config, every
    metric of its metrics.json once (no duplicates), every file as an artifact."""
    import json

    import yaml

    from trackbench.config import load_config
    from trackbench.experiment.run_record import logged_params, mlflow_metrics, mlflow_step_metrics
    from trackbench.experiment.runner import resolve_workers
    from trackbench.record.mlflow_log import metric_key

    assert run.info.status == "FINISHED", (run.info.run_id, run.info.status, run.data.tags.get("error"))
    cfg_tree = yaml.safe_load((output_dir / "config.yaml").read_text())
    cfg_tree.pop("hydra", None)
    cfg = load_config(cfg_tree)
    n_cameras = cfg.dataset.synthetic.n_cameras
    expected_params = logged_params(cfg, resolve_workers(cfg.runner.workers, n_cameras))
    assert set(run.data.params) == set(expected_params)
    metrics = json.loads((output_dir / "metrics.json").read_text())
    expected_metrics = {metric_key(k): v for k, v in mlflow_metrics(metrics).items()}
    steps: dict[str, list] = {}
    for key, value, step in mlflow_step_metrics(metrics):  # per-window metrics: one value per step
        steps.setdefault(metric_key(key), []).append((step, pytest.approx(value)))
    assert set(run.data.metrics) == set(expected_metrics) | set(steps)
    for key, value in expected_metrics.items():
        history = client.get_metric_history(run.info.run_id, key)
        assert [m.value for m in history] == [pytest.approx(value)], key
    for key, series in steps.items():
        history = client.get_metric_history(run.info.run_id, key)
        assert sorted((m.step, m.value) for m in history) == series, key
    on_disk = {str(p.relative_to(output_dir)): p.stat().st_size for p in output_dir.rglob("*") if p.is_file()}
    logged = artifact_sizes(client, run.info.run_id)
    assert set(logged) == set(on_disk)
    # The job's log file grows after the upload (its last lines say the run ended).
    assert {k: v for k, v in logged.items() if k != "trackbench.log"} == {
        k: v for k, v in on_disk.items() if k != "trackbench.log"
    }


def artifact_sizes(client: MlflowClient, run_id: str, path: str | None = None) -> dict[str, int]:
    out: dict[str, int] = {}
    for info in client.list_artifacts(run_id, path):
        if info.is_dir:
            out.update(artifact_sizes(client, run_id, info.path))
        else:
            out[info.path] = info.file_size
    return out


@pytest.fixture(scope="session")
def ray_head():
    """A Ray head on 127.0.0.1 (token auth on), started in a folder of its own: jobs shipped to
    it run there, so tests see whether anything lands in the head's folder."""
    import tempfile

    from .servers import RayHead

    # Short and outside pytest's tmp_path: Ray's socket paths must stay under 107 characters.
    head = RayHead(Path(tempfile.mkdtemp(prefix="tbray-")))
    head.start()
    try:
        yield head
    finally:
        head.stop()
        shutil.rmtree(head.folder, ignore_errors=True)
