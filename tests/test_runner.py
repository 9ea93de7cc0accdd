"""The runner: results do not depend on how a camera's frames are batched or checkpointed."""

from __future__ import annotations

import multiprocessing
import time
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trackbench.config import AppConfig, DatasetConfig, RunnerConfig
from trackbench.datasets.factory import open_dataset
from trackbench.datasets.synthetic import SyntheticConfig
from trackbench.experiment import camera_worker, runner

BASE = AppConfig(
    dataset=DatasetConfig(synthetic=SyntheticConfig(n_cameras=2, n_frames=120)),
    runner=RunnerConfig(workers=1, progress="never"),
)


def _tracklets(monkeypatch, **options) -> tuple:
    cfg = replace(BASE, runner=replace(BASE.runner, **options))
    made = []
    real = camera_worker.TrackingStage

    def recording(*args, **kwargs):
        stage = real(*args, **kwargs)
        made.append(stage.checkpoint_frames)
        return stage

    monkeypatch.setattr(camera_worker, "TrackingStage", recording)  # what a camera in this process builds
    result = runner.run(open_dataset(cfg.dataset), cfg, None)
    assert made == [cfg.runner.checkpoint_frames] * 2, "each camera's stage gets runner.checkpoint_frames"
    return tuple(c.tracklets for c in result.cameras)


def test_results_do_not_depend_on_batch_size_or_checkpoint_interval(monkeypatch):
    reference = _tracklets(monkeypatch)
    assert all(reference), "both cameras produce tracklets"
    assert _tracklets(monkeypatch, batch_size=7, checkpoint_frames=0) == reference
    assert _tracklets(monkeypatch, batch_size=13, checkpoint_frames=20) == reference


def _untimed(result: runner.RunResult) -> tuple:
    return tuple(replace(c, tracking_seconds=0.0, scoring_seconds=0.0) for c in result.cameras)


def _prefixes(cfg: AppConfig) -> tuple[runner.RunResult, list]:
    seen = []
    result = runner.run(open_dataset(cfg.dataset), cfg, None, on_prefix=lambda *a: seen.append(a))
    return result, seen


def test_prefix_reports_do_not_depend_on_batch_size_and_leave_the_results_alone():
    from trackbench.config import TuningConfig

    plain = runner.run(open_dataset(BASE.dataset), BASE, None)
    cfg = replace(BASE, tuning=TuningConfig(report_frames=50))
    result, seen = _prefixes(cfg)
    assert [(camera, n) for camera, n, _ in seen] == [("cam0", 50), ("cam0", 100), ("cam1", 50), ("cam1", 100)]
    assert _untimed(result) == _untimed(plain), "reports cut batches; the results stay those of the plain run"
    for batch_size in (7, 64):
        again, seen_again = _prefixes(replace(cfg, runner=replace(cfg.runner, batch_size=batch_size)))
        assert _untimed(again) == _untimed(plain)
        assert seen_again == seen, f"batch_size={batch_size}: the same prefixes and scores"
    assert _prefixes(BASE)[1] == [], "no report_frames, no prefix reports"


def test_a_prefix_scores_as_a_run_that_ends_at_its_last_frame(tmp_path):
    """The scores reported after a camera's first N frames are those of a run over only those
    frames: nothing a later frame decides leaks into them."""
    from trackbench.config import TuningConfig
    from trackbench.datasets.export import export_mot

    export_mot(open_dataset(BASE.dataset), tmp_path)  # MOT folders take a frame range
    folders = replace(BASE.dataset, name="mot", root=str(tmp_path))
    for frames in ("detected", "reported"):
        every = TuningConfig(report_frames=40)
        cfg = replace(BASE, dataset=folders, tuning=every, eval=replace(BASE.eval, frames=frames))
        _, seen = _prefixes(cfg)
        by_end = {(camera, n): scores for camera, n, scores in seen}
        assert sorted(by_end) == [(c, n) for c in ("cam0", "cam1") for n in (40, 80)]
        for last in (40, 80):
            short = replace(cfg, dataset=replace(folders, last_frame=last), tuning=TuningConfig())
            for camera in runner.run(open_dataset(short.dataset), short, None).cameras:
                assert by_end[(camera.camera_id, last)].counts == camera.scores.counts, (frames, last)
                assert by_end[(camera.camera_id, last)].metrics == camera.scores.metrics, (frames, last)


@given(
    sizes=st.lists(st.integers(1, 9), min_size=1, max_size=8),
    ends=st.frozensets(st.integers(1, 40), max_size=10),
)
def test_cut_batches_split_after_every_end_and_keep_every_frame(sizes, ends):
    from trackbench.types import CameraBatch, Detection

    frames = list(range(1, sum(sizes) + 1))
    batches, start = [], 0
    for size in sizes:
        chunk = frames[start : start + size]
        batches.append(CameraBatch("c", tuple(chunk), tuple((Detection(f, 0, 1, 1, 0.9),) for f in chunk)))
        start += size
    out = list(runner.cut_batches(batches, ends))
    assert [f for b in out for f in b.frames] == frames
    assert [d for b in out for d in b.detections] == [d for b in batches for d in b.detections]
    assert all(b.frames for b in out)
    for b in out:
        assert not any(f in ends for f in b.frames[:-1]), "an end frame closes its batch"
    old_ends = {b.frames[-1] for b in batches}
    assert {b.frames[-1] for b in out} == old_ends | (ends & set(frames))


def test_cameras_tracked_in_worker_processes_equal_in_process(tmp_path):
    """Workers track and write; the job's process scores: the same outcomes and files as
    tracking and scoring in the job's process."""
    dataset = open_dataset(BASE.dataset)
    here = runner.run(dataset, BASE, tmp_path / "here")
    for workers in (1, 2):
        cfg = replace(BASE, runner=replace(BASE.runner, workers=workers))
        out = tmp_path / f"w{workers}"
        there = runner.run(dataset, cfg, out, worker_process=True)
        assert there.workers == workers
        assert _untimed(there) == _untimed(here)
        assert there.scores == here.scores
        files = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
        assert files and files == sorted(
            p.relative_to(tmp_path / "here") for p in (tmp_path / "here").rglob("*") if p.is_file()
        )
        assert all((out / f).read_bytes() == (tmp_path / "here" / f).read_bytes() for f in files)


def test_an_error_in_the_jobs_process_stops_the_workers_at_once():
    """Ctrl-C of the job's process alone (or an on_camera error): its workers are terminated,
    not left tracking their cameras to the end."""
    cfg = replace(
        BASE,
        dataset=DatasetConfig(synthetic=SyntheticConfig(n_cameras=2, n_frames=200_000)),
        runner=replace(BASE.runner, workers=1),
    )
    started = []

    def stop_soon():
        started.append(time.monotonic())
        raise KeyboardInterrupt

    before = set(multiprocessing.active_children())
    with pytest.raises(KeyboardInterrupt):
        runner.run(open_dataset(cfg.dataset), cfg, None, on_started=stop_soon, worker_process=True)
    left = [p for p in multiprocessing.active_children() if p not in before]
    deadline = time.monotonic() + 10
    while any(p.is_alive() for p in left) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert started and not any(p.is_alive() for p in left), "workers left running after the job's error"


_TWO_JOBS = r"""
import hashlib, json, os, sys
from pathlib import Path
from trackbench.config import AppConfig, DatasetConfig, RunnerConfig
from trackbench.datasets.factory import open_dataset
from trackbench.datasets.synthetic import SyntheticConfig
from trackbench.experiment import runner, workers

cfg = AppConfig(
    dataset=DatasetConfig(synthetic=SyntheticConfig(n_cameras=3, n_frames=150)),
    runner=RunnerConfig(workers=2, progress="never"),
)
if sys.argv[1] == "forkserver":
    workers.prepare_workers()
out = Path(sys.argv[2])
dataset = open_dataset(cfg.dataset)
results = [runner.run(dataset, cfg, out / str(job)) for job in range(2)]  # two jobs of one process
pids = {c.worker_pid for r in results for c in r.cameras}
parents = {int(next(l for l in open(f"/proc/{p}/status") if l.startswith("PPid:")).split()[1]) for p in pids}
files = {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest() for p in out.rglob("*") if p.is_file()}
print(json.dumps({
    "torch": "torch" in sys.modules,
    "workers": len(pids),
    "forked_here": parents == {os.getpid()},
    "scores": [repr(r.scores) for r in results],
    "files": files,
}))
"""


def _two_jobs(how: str, out) -> dict:
    import json
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _TWO_JOBS, how, str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_workers_forked_by_the_sweeps_forkserver_give_the_same_results_and_spare_the_driver_torch(tmp_path):
    """A sweep's driver starts a forkserver that imports the tracker (workers.prepare_workers):
    two jobs' kept workers come from it, the driver never imports torch, and every score and
    file is the one workers forked from the driver give."""
    served = _two_jobs("forkserver", tmp_path / "served")
    forked = _two_jobs("fork", tmp_path / "forked")
    assert (served["torch"], served["forked_here"], served["workers"]) == (False, False, 2)
    assert (forked["torch"], forked["forked_here"], forked["workers"]) == (True, True, 2)
    assert served["scores"] == forked["scores"] and served["scores"][0] == served["scores"][1]
    assert served["files"] and served["files"] == forked["files"]


@pytest.mark.parametrize("reuse", [False, True])
def test_runner_start_method_forkserver_gives_the_fork_results(tmp_path, reuse):
    # A forkserver's child has the server, not the job, as its parent: its lifeline must not
    # take that for the job's death (every worker used to exit at once, "killed by SIGTERM").
    dataset = open_dataset(BASE.dataset)
    runs = {}
    for method in ("fork", "forkserver"):
        cfg = replace(BASE, runner=replace(BASE.runner, workers=2, start_method=method, reuse_workers=reuse))
        runs[method] = runner.run(dataset, cfg, tmp_path / method, worker_process=not reuse)
    assert _untimed(runs["forkserver"]) == _untimed(runs["fork"])
    assert runs["forkserver"].scores == runs["fork"].scores
