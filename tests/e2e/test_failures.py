"""Bad data and interrupted runs: one clear line, MLflow run ended FAILED/KILLED, no half files."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from trackbench.datasets.export import export_mot
from trackbench.datasets.synthetic import SyntheticConfig, SyntheticDataset

from .conftest import local_runs, trackbench_command

pytestmark = pytest.mark.slow


def the_run(tmp_path):
    (run,) = local_runs(tmp_path)
    return run


@pytest.mark.parametrize(
    ("column", "value"),
    [(2, "abc"), (4, "1e300")],  # not a number; w finite as float64 but not as float32 (boxmot would raise)
)
def test_bad_detection_line_fails_the_run_with_file_and_line(cli, tmp_path, column, value):
    (folder, _) = export_mot(SyntheticDataset(SyntheticConfig(n_cameras=2, n_frames=50)), tmp_path / "data")
    det = folder / "det" / "det.txt"
    lines = det.read_text().splitlines()
    fields = lines[6].split(",")
    fields[column] = value
    lines[6] = ",".join(fields)
    det.write_text("\n".join(lines) + "\n")
    proc = cli(
        "dataset=mot", "dataset.root=data", "dataset.files.target_classes=null", "hydra.run.dir=out", check=False
    )
    assert proc.returncode == 2
    (line,) = proc.stderr.strip().splitlines()
    assert "data/cam0/det/det.txt:7" in line and value in line.replace("1e+300", "1e300"), line
    # Found before any MLflow run was opened or any camera tracked: no run, no store, no results.
    assert not (tmp_path / "mlflow.db").exists()
    assert not (tmp_path / "out" / "metrics.json").exists()
    assert not (tmp_path / "out" / "incomplete").exists()
    assert line in (tmp_path / "out" / "trackbench.log").read_text()


def wait_for_running_run(tmp_path, proc, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.5)
        try:
            run = the_run(tmp_path)
        except Exception:  # database or experiment not created yet
            continue
        if run.info.status == "RUNNING":
            return run
    raise AssertionError(f"no RUNNING run appeared (exit code {proc.poll()})")


@pytest.mark.parametrize(
    ("target", "workers"),
    [("process", 1), ("group", 2)],  # kill(pid) / a terminal's Ctrl-C, which reaches the workers too
)
def test_ctrl_c_prints_one_line_exits_130_and_marks_the_run_killed(tmp_path, target, workers):
    proc = subprocess.Popen(
        [
            *trackbench_command(),
            "dataset.synthetic.n_frames=20000",
            "dataset.synthetic.n_cameras=2",
            f"runner.workers={workers}",
            "hydra.run.dir=out",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a shell job has
        # A background child of a non-interactive shell starts with SIGINT ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        wait_for_running_run(tmp_path, proc)
        time.sleep(3)  # into the tracking (worker processes started)
        if target == "group":
            os.killpg(proc.pid, signal.SIGINT)
        else:
            os.kill(proc.pid, signal.SIGINT)
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, stderr
    assert stderr.strip().splitlines() == ["trackbench: interrupted"], stderr
    run = the_run(tmp_path)
    assert run.info.status == "KILLED"
    assert "interrupted" in run.data.tags["error"]
    assert not (tmp_path / "out" / "metrics.json").exists()
