"""runner.resume: a run killed with SIGKILL mid-way continues from its cameras' checkpoints on
disk; its results are byte-identical to an uninterrupted run's, and MLflow says it was resumed."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from .conftest import local_client, local_runs
from .test_killed_jobs import start_job

pytestmark = pytest.mark.slow
RUN = ("dataset.synthetic.n_cameras=2", "dataset.synthetic.n_frames=600", "runner.workers=1", "runner.batch_size=50")


def outputs(folder: Path) -> dict[str, bytes]:
    """Every result file; metrics.json without its timings (wall clock differs between any two runs)."""
    files = {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    files = {k: v for k, v in files.items() if not k.startswith((".hydra", "trackbench.log"))}
    metrics = json.loads(files.pop("metrics.json"))
    metrics.pop("timing")
    files["metrics.json"] = json.dumps(metrics, sort_keys=True).encode()
    return files


def test_a_killed_run_resumes_to_the_uninterrupted_result(cli, tmp_path):
    cli(*RUN, "hydra.run.dir=whole")
    proc = start_job(tmp_path, *RUN, "hydra.run.dir=cut")
    while not [r for r in local_runs(tmp_path) if r.info.status == "RUNNING"]:  # its MLflow run has started
        assert proc.poll() is None, "the run ended before it was killed"  # (in the background, while tracking)
        time.sleep(0.2)
    carry = tmp_path / "cut" / "checkpoints" / "cam0.carry"
    deadline = time.monotonic() + 300
    while not carry.exists() and proc.poll() is None:  # killed once the first camera has batches on disk
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (tmp_path / "cut" / "metrics.json").exists(), "killed before the end"
    (killed,) = [r for r in local_runs(tmp_path) if r.data.tags["output_dir"].endswith("cut")]

    done = cli(*RUN, f"runner.resume={tmp_path / 'cut'}", "hydra.run.dir=again")
    assert f"results: {tmp_path / 'cut'}" in done.stdout
    assert outputs(tmp_path / "cut") == outputs(tmp_path / "whole")
    assert not (tmp_path / "cut" / "checkpoints").exists()

    client = local_client(tmp_path)
    (resumed,) = [r for r in local_runs(tmp_path) if r.data.tags.get("trackbench.resumed_from")]
    assert resumed.info.status == "FINISHED"
    assert resumed.data.tags["trackbench.resumed_from"] == str(tmp_path / "cut")
    assert resumed.data.tags["trackbench.resumed_run_id"] == killed.info.run_id
    assert resumed.data.params["runner.resume"] == str(tmp_path / "cut")
    old = client.get_run(killed.info.run_id)
    assert old.info.status == "FAILED" and resumed.info.run_id in old.data.tags["error"]

    # a finished run, or another config, is refused in one line
    for args, named in [
        ((*RUN, f"runner.resume={tmp_path / 'cut'}"), "no checkpoints/ folder to resume from (it finished"),
        ((*RUN, "tracker.n_init=5", f"runner.resume={tmp_path / 'whole'}"), "tracker.n_init was 3 there, is 5 now"),
        ((*RUN, f"runner.resume={tmp_path / 'nowhere'}"), "no config.yaml there"),
    ]:
        if "n_init" in named:  # a resumable folder with another config
            (tmp_path / "whole" / "checkpoints").mkdir()
        bad = cli(*args, check=False)
        assert bad.returncode == 2 and named in bad.stderr and len(bad.stderr.strip().splitlines()) == 1, bad.stderr
