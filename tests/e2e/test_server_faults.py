"""The team server going away mid-run: a short outage is absorbed by MLflow's own HTTP retries;
a longer one fails the job with one line, never a hang, and the stale-run sweep marks its run
FAILED once the server is back."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from .conftest import assert_complete, trackbench_command
from .test_killed_jobs import gc_command

pytestmark = pytest.mark.slow

JOB = ("dataset.synthetic.n_cameras=2", "dataset.synthetic.n_frames=600", "runner.workers=1")


def start_job(tmp_path: Path, server, experiment: str, *args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [
            *trackbench_command(), *JOB, *args,
            f"mlflow.tracking_uri={server.uri}", f"mlflow.experiment_name={experiment}", "hydra.run.dir=out",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


def wait_running(client: MlflowClient, experiment: str, proc: subprocess.Popen, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        found = client.get_experiment_by_name(experiment)
        runs = client.search_runs([found.experiment_id]) if found else []
        if runs and runs[0].info.status == "RUNNING":
            return runs[0]
        time.sleep(0.3)
    raise AssertionError(f"no RUNNING run (exit code {proc.poll()})")


def test_short_outage_is_absorbed(tmp_path, team_server):
    client = MlflowClient(tracking_uri=team_server.uri)
    proc = start_job(tmp_path, team_server, "outage-short", "mlflow.heartbeat_s=1")
    try:
        run = wait_running(client, "outage-short", proc)
        team_server.stop()
        down = time.monotonic()
        time.sleep(5)  # the job tracks on, its heartbeats and then its final logging meet a dead server
        team_server.start()
        outage = time.monotonic() - down
        _, stderr = proc.communicate(timeout=300)
    finally:
        if not team_server.healthy():
            team_server.start()
        if proc.poll() is None:
            proc.kill()
    # A real outage (restarting the server takes 5-30 s more), well inside MLflow's default retry
    # budget (retries after 2, 4, 8, 16, 32 and 64 s).
    assert 10 <= outage <= 100, outage
    assert proc.returncode == 0, stderr
    assert_complete(client, client.get_run(run.info.run_id), tmp_path / "out")


# MLflow's documented HTTP client settings, shortened so the retry budget is a few seconds
# instead of about four minutes.
SHORT_RETRIES = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "5",
}


def test_outage_past_the_retry_budget_fails_in_one_line_then_the_sweep_marks_the_run(tmp_path, team_server):
    client = MlflowClient(tracking_uri=team_server.uri)
    proc = start_job(
        tmp_path, team_server, "outage-long", "mlflow.heartbeat_s=1", "mlflow.stale_after_s=4", env=SHORT_RETRIES
    )
    try:
        run = wait_running(client, "outage-long", proc)
        team_server.stop()
        started = time.monotonic()
        _, stderr = proc.communicate(timeout=120)  # never a hang
        failed_after = time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.kill()
        team_server.start()
    assert proc.returncode == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr  # (shown whole: one CI run on 2026-12-02 had a second line)
    (line,) = lines
    assert line.startswith(f"trackbench: error: MLflow server {team_server.uri} did not answer ("), line
    assert "Connection refused" in line and run.info.run_id in line, line
    assert failed_after < 60, failed_after
    assert client.get_run(run.info.run_id).info.status == "RUNNING", "left for the sweep"
    time.sleep(5)  # past stale_after_s
    out = subprocess.run(
        [*gc_command(), "--tracking-uri", team_server.uri, "--experiment", "outage-long", "--stale-after", "4"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    swept = client.get_run(run.info.run_id)
    assert swept.info.status == "FAILED"
    assert "no heartbeat for" in swept.data.tags["trackbench.stale"]
