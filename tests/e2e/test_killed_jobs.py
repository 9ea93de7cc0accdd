"""A job killed with SIGKILL (OOM killer, preempted node) cannot end its MLflow run: its
heartbeat stops, and a later trackbench command marks it FAILED. A live run is never marked."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from trackbench.record.mlflow_log import HEARTBEAT_TAG, STALE_TAG
from trackbench.record.stale import sweep_experiment

from .conftest import local_client, local_runs, trackbench_command

pytestmark = pytest.mark.slow

BEAT = ("mlflow.heartbeat_s=1", "mlflow.stale_after_s=4")


def gc_command() -> list[str]:
    exe = shutil.which("trackbench-gc", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "trackbench.stale"]


def start_job(tmp_path: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [*trackbench_command(), *args],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_running(tmp_path: Path, proc: subprocess.Popen, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.3)
        try:
            (run,) = local_runs(tmp_path)
        except Exception:  # store or experiment not there yet
            continue
        if run.info.status == "RUNNING":
            return run
    raise AssertionError(f"no RUNNING run (exit code {proc.poll()})")


def wait_for_heartbeat(tmp_path: Path, run, timeout: float = 30) -> None:
    client = local_client(tmp_path)
    first = run.data.tags[HEARTBEAT_TAG]
    deadline = time.monotonic() + timeout
    while client.get_run(run.info.run_id).data.tags[HEARTBEAT_TAG] == first:
        assert time.monotonic() < deadline, "heartbeat never refreshed"
        time.sleep(0.2)


@pytest.mark.parametrize("later", ["trackbench-gc", "trackbench run"])
def test_sigkilled_job_is_marked_failed_by_a_later_command(cli, tmp_path, later):
    proc = start_job(
        tmp_path, "dataset.synthetic.n_frames=20000", "dataset.synthetic.n_cameras=2", "runner.workers=2", *BEAT,
        "hydra.run.dir=killed",
    )  # fmt: skip
    try:
        run = wait_running(tmp_path, proc)
        wait_for_heartbeat(tmp_path, run)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the job and its camera workers, no chance to clean up
        proc.communicate(timeout=60)
    client = local_client(tmp_path)
    assert client.get_run(run.info.run_id).info.status == "RUNNING", "nobody ended it"
    time.sleep(5)  # longer than stale_after_s
    if later == "trackbench-gc":
        out = subprocess.run(
            [*gc_command(), "--stale-after", "4"], cwd=tmp_path, capture_output=True, text=True, timeout=300
        )
        assert out.returncode == 0, out.stderr
        assert out.stdout.splitlines() == [f"marked FAILED: {run.info.run_id}", "1 stale run(s) marked FAILED"]
    else:
        cli("dataset.synthetic.n_frames=30", "dataset.synthetic.n_cameras=1", *BEAT, "hydra.run.dir=later")
    dead = client.get_run(run.info.run_id)
    assert dead.info.status == "FAILED"
    assert "no heartbeat for" in dead.data.tags[STALE_TAG]
    assert dead.data.tags["error"] == dead.data.tags[STALE_TAG]


def test_sweeps_never_mark_a_live_run(tmp_path):
    proc = start_job(
        tmp_path, "dataset.synthetic.n_frames=1500", "dataset.synthetic.n_cameras=2", "runner.workers=1", *BEAT,
        "hydra.run.dir=live",
    )  # fmt: skip
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    sweeps = 0
    try:
        run = wait_running(tmp_path, proc)
        while proc.poll() is None:  # sweep again and again, with the shortest allowed timeout
            assert sweep_experiment(uri, "trackbench", 4.0) == []
            sweeps += 1
            time.sleep(0.5)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    assert sweeps >= 5, "the job ended before the sweeps could test it"
    assert local_client(tmp_path).get_run(run.info.run_id).info.status == "FINISHED"


def test_a_job_killed_alone_has_its_run_marked_failed_by_its_keeper(tmp_path):
    """The OOM killer kills one process: the job's. Its run keeper (the forked process that
    logs the run) outlives it and ends the run FAILED at once, without waiting to go stale."""
    from trackbench.record.run_keeper import ORPHANED

    proc = start_job(
        tmp_path, "dataset.synthetic.n_frames=20000", "dataset.synthetic.n_cameras=2", "runner.workers=2",
        "mlflow.heartbeat_s=60", "mlflow.stale_after_s=600", "hydra.run.dir=killed",
    )  # fmt: skip
    try:
        run = wait_running(tmp_path, proc)
        os.kill(proc.pid, signal.SIGKILL)  # the job's process only; its keeper and camera workers live on
        proc.wait(timeout=60)  # (they hold its stdout and stderr open)
        client = local_client(tmp_path)
        deadline = time.monotonic() + 60
        while (ended := client.get_run(run.info.run_id)).info.status == "RUNNING":
            assert time.monotonic() < deadline, "the keeper did not end the run"
            time.sleep(0.3)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # the camera workers, if still tracking
        proc.communicate(timeout=60)
    assert ended.info.status == "FAILED"
    assert ended.data.tags["error"] == ORPHANED
    assert STALE_TAG not in ended.data.tags  # not the stale-run sweep's doing
