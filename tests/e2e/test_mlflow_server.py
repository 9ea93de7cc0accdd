"""Against a live `mlflow server` (database backend, proxied artifacts) on 127.0.0.1."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from mlflow.tracking import MlflowClient

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def mlflow_server(tmp_path):
    port = free_port()
    server_dir = tmp_path / "server"
    server_dir.mkdir()
    log = open(server_dir / "server.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "mlflow", "server",
            "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
            "--backend-store-uri", f"sqlite:///{server_dir / 'store.db'}",
            "--artifacts-destination", str(server_dir / "artifacts"),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    uri = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(f"{uri}/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log.close()
            pytest.fail(f"mlflow server did not start:\n{(server_dir / 'server.log').read_text()[-3000:]}")
        time.sleep(0.5)
    yield uri
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def test_run_logged_to_live_server(cli, tmp_path, mlflow_server):
    cli(
        f"mlflow.tracking_uri={mlflow_server}",
        "mlflow.experiment_name=server-test",
        "dataset.synthetic.n_cameras=2",
        "dataset.synthetic.n_frames=60",
        "hydra.run.dir=out",
    )
    client = MlflowClient(tracking_uri=mlflow_server)
    experiment = client.get_experiment_by_name("server-test")
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.status == "FINISHED"
    assert {"mota", "idf1", "cam/cam0/mota"} <= set(run.data.metrics)
    assert run.data.params["tracker.tracker_kind"] == "ocsort"
    names = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"metrics.json", "tracklets", "mot"} <= names
    assert not (tmp_path / "mlflow.db").exists(), "nothing went to the local default store"
