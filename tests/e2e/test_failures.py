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


def test_bad_detection_line_fails_the_run_with_file_and_line(cli, tmp_path):
    (folder, _) = export_mot(SyntheticDataset(SyntheticConfig(n_cameras=2, n_frames=50)), tmp_path / "data")
    det = folder / "det" / "det.txt"
    lines = det.read_text().splitlines()
    fields = lines[6].split(",")
    fields[2] = "abc"
    lines[6] = ",".join(fields)
    det.write_text("\n".join(lines) + "\n")
    proc = cli(
        "dataset=mot", "dataset.root=data", "dataset.files.target_classes=null", "hydra.run.dir=out", check=False
    )
    assert proc.returncode == 2
    (line,) = proc.stderr.strip().splitlines()
    assert "data/cam0/det/det.txt:7" in line and "abc" in line, line
    run = the_run(tmp_path)
    assert run.info.status == "FAILED"
    assert "data/cam0/det/det.txt:7" in run.data.tags["error"]
    assert not (tmp_path / "out" / "metrics.json").exists()


def test_ctrl_c_marks_the_run_killed(tmp_path):
    proc = subprocess.Popen(
        [*trackbench_command(), "dataset.synthetic.n_frames=20000", "runner.workers=1", "hydra.run.dir=out"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    run = None
    while time.monotonic() < deadline and run is None:
        time.sleep(0.5)
        try:
            run = the_run(tmp_path)
        except Exception:  # database or experiment not created yet
            run = None
    assert run is not None and run.info.status == "RUNNING"
    os.kill(proc.pid, signal.SIGINT)
    proc.communicate(timeout=120)
    assert proc.returncode != 0
    assert the_run(tmp_path).info.status == "KILLED"
