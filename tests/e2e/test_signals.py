"""SIGTERM (what SLURM, Kubernetes, Ray and systemd send) behaves like Ctrl-C, and no process
outlives its job: checked on the process tree (psutil), the MLflow run and the run's folder."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import psutil
import pytest

from trackbench.record.run_keeper import ORPHANED

from .conftest import local_client, local_runs, sweep_family
from .test_killed_jobs import start_job, wait_running

pytestmark = pytest.mark.slow
LONG = ("dataset.synthetic.n_frames=3000", "mlflow.heartbeat_s=60", "hydra.run.dir=out")


def _tree(pid: int) -> list[psutil.Process]:
    """The job's descendants (camera workers, the run keeper, a progress manager)."""
    return psutil.Process(pid).children(recursive=True)


def _wait_for_workers(proc: subprocess.Popen, count: int, timeout: float = 120) -> list[psutil.Process]:
    """Descendants once ``count`` camera workers (besides the keeper) run."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tree = _tree(proc.pid)
        if len(tree) >= count + 1:  # + the run keeper
            return tree
        time.sleep(0.2)
    raise AssertionError(f"{count} workers did not start: {_tree(proc.pid)}")


def _all_gone(processes: list[psutil.Process], within: float) -> None:
    _, alive = psutil.wait_procs(processes, timeout=within)
    assert not alive, f"outlived their job: {[(p.pid, p.status()) for p in alive]}"


def _snapshot(folder: Path) -> dict[str, int]:
    return {str(p): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def _stopped(tmp_path: Path, proc: subprocess.Popen, stop) -> tuple[str, float]:
    try:
        run = wait_running(tmp_path, proc)
        tree = _wait_for_workers(proc, 1)
        time.sleep(1.5)  # into the tracking
        stopped = time.monotonic()
        stop()
        _, stderr = proc.communicate(timeout=60)
        _all_gone(tree, within=5)
        took = time.monotonic() - stopped
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        if proc.poll() is None:
            proc.communicate(timeout=60)
    return run, stderr, took


def _nothing_presented_or_written_after(out: Path) -> None:
    assert not any((out / name).exists() for name in ("metrics.json", "mot", "tracklets", "plots"))
    before = _snapshot(out)
    time.sleep(2)
    assert _snapshot(out) == before, "files were written after the run ended"


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_ends_the_run_killed_stops_every_worker_and_exits_143(tmp_path, workers):
    proc = start_job(tmp_path, *LONG, f"runner.workers={workers}", "dataset.synthetic.n_cameras=2")
    run, stderr, took = _stopped(tmp_path, proc, lambda: os.kill(proc.pid, signal.SIGTERM))
    assert proc.returncode == 143, stderr
    assert stderr.strip().splitlines() == ["trackbench: terminated"], stderr
    assert took < 15, took
    ended = local_client(tmp_path).get_run(run.info.run_id)
    assert ended.info.status == "KILLED"
    assert ended.data.tags["error"] == "terminated (SIGTERM)"
    out = tmp_path / "out"
    _nothing_presented_or_written_after(out)
    assert "terminated (SIGTERM)" in (out / "trackbench.log").read_text().splitlines()[-1]
    assert (out / "checkpoints").is_dir(), "resumable"


def test_a_killed_worker_stops_the_job_in_one_line_and_no_process_is_left(tmp_path):
    proc = start_job(tmp_path, *LONG, "runner.workers=2", "dataset.synthetic.n_cameras=2")

    def kill_a_worker() -> None:
        # The job's children: its run keeper (forked first), then the camera workers.
        _keeper, *workers = sorted(psutil.Process(proc.pid).children(), key=lambda p: p.create_time())
        workers[0].send_signal(signal.SIGTERM)

    run, stderr, _ = _stopped(tmp_path, proc, kill_a_worker)
    assert proc.returncode == 143, stderr
    (line,) = stderr.strip().splitlines()
    assert line.startswith("trackbench: error: a camera worker (pid ") and "killed by SIGTERM" in line, line
    ended = local_client(tmp_path).get_run(run.info.run_id)
    assert ended.info.status == "KILLED"
    assert "killed by SIGTERM" in ended.data.tags["error"]
    _nothing_presented_or_written_after(tmp_path / "out")


def test_a_job_killed_by_sigkill_takes_its_workers_with_it(tmp_path):
    proc = start_job(tmp_path, *LONG, "runner.workers=2", "dataset.synthetic.n_cameras=2")
    run, _, _ = _stopped(tmp_path, proc, lambda: os.kill(proc.pid, signal.SIGKILL))
    assert proc.returncode == -signal.SIGKILL
    client = local_client(tmp_path)
    deadline = time.monotonic() + 30
    while (ended := client.get_run(run.info.run_id)).info.status == "RUNNING":
        assert time.monotonic() < deadline, "the keeper did not end the run"
        time.sleep(0.3)
    assert ended.info.status == "FAILED" and ended.data.tags["error"] == ORPHANED
    _nothing_presented_or_written_after(tmp_path / "out")


def _sweep_workers(proc: subprocess.Popen, timeout: float = 120) -> list[psutil.Process]:
    """The sweep driver's descendants once camera workers forked by its forkserver run."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        tree = _tree(proc.pid)
        servers = [p for p in tree if "multiprocessing.forkserver" in " ".join(p.cmdline())]
        forked = [c for s in servers for c in s.children()]
        if len(forked) >= 2:
            return tree
        time.sleep(0.2)
    raise AssertionError(f"no camera workers under a forkserver (exit code {proc.poll()}): {_tree(proc.pid)}")


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM])
def test_a_stopped_sweep_leaves_no_forkserver_or_worker_behind(tmp_path, signum):
    # A sweep's trials share workers forked by the driver's forkserver, which imported the
    # tracker meanwhile: the server and its workers die with the driver, however it ends.
    proc = start_job(
        tmp_path,
        *("hparams_search=ocsort_optuna", "hydra.sweeper.n_trials=40", "hydra/sweeper/pruner=nop"),
        *("dataset.synthetic.n_frames=1500", "runner.progress=never", "hydra.sweep.dir=sweep"),
    )
    try:
        tree = _sweep_workers(proc)
        time.sleep(1.0)  # into a trial's tracking
        os.kill(proc.pid, signum)
        _, stderr = proc.communicate(timeout=60)
        _all_gone(tree, within=5)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        if proc.poll() is None:
            proc.communicate(timeout=60)
    assert proc.returncode == (-signal.SIGKILL if signum == signal.SIGKILL else 143), stderr
    if signum == signal.SIGTERM:
        assert stderr.strip().splitlines()[-1] == "trackbench: terminated", stderr
        # The sweep's parent run and the trial it stopped end KILLED with the reason, as one job's does.
        parent, jobs = sweep_family(local_runs(tmp_path))
        assert (parent.info.status, parent.data.tags.get("error")) == ("KILLED", "terminated (SIGTERM)")
        stopped = [j for j in jobs if j.info.status != "FINISHED"]
        assert [(j.info.status, j.data.tags.get("error")) for j in stopped] == [("KILLED", "terminated (SIGTERM)")]
