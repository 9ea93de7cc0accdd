"""Resuming an interrupted camera from its on-disk checkpoint gives exactly the uninterrupted result."""

from __future__ import annotations

import pytest

from trackbench.config import DatasetConfig, EvalConfig
from trackbench.datasets.factory import open_dataset
from trackbench.datasets.synthetic import SyntheticConfig
from trackbench.errors import TrackbenchError
from trackbench.experiment.checkpoints import CameraCheckpoints
from trackbench.experiment.runner import CameraJob, track_camera
from trackbench.tracking.config import TrackingConfig


class Killed(Exception):
    pass


def job(tmp_path, kind: str, resume: bool = False, batch_size: int = 20, checkpoint_frames: int = 50) -> CameraJob:
    dataset = open_dataset(DatasetConfig(synthetic=SyntheticConfig(n_cameras=1, n_frames=140, n_fish=6)))
    (camera,) = dataset.cameras()
    tracking = TrackingConfig(tracker_kind=kind)
    return CameraJob(dataset, camera, tracking, batch_size, EvalConfig(), tmp_path, checkpoint_frames, resume)


def kill_after(frames: int):
    seen = [0]

    def on_frames(camera_id: str, n: int) -> None:
        seen[0] += n
        if seen[0] >= frames:
            raise Killed

    return on_frames


@pytest.mark.parametrize("kind", ["ocsort", "bytetrack", "sort", "botsort"])
@pytest.mark.parametrize("killed_at", [20, 60, 120])
def test_resumed_camera_equals_uninterrupted(tmp_path, kind, killed_at):
    whole = track_camera(job(tmp_path / "whole", kind))
    with pytest.raises(Killed):
        track_camera(job(tmp_path / "cut", kind), kill_after(killed_at))
    assert CameraCheckpoints(tmp_path / "cut", "cam0").load().batches == killed_at // 20
    assert track_camera(job(tmp_path / "cut", kind, resume=True)) == whole
    # killed again after resuming, and resumed again
    with pytest.raises(Killed):
        track_camera(job(tmp_path / "cut", kind, resume=True), kill_after(killed_at + 20))
    assert track_camera(job(tmp_path / "cut", kind, resume=True)) == whole


def test_a_record_beyond_the_committed_carry_is_ignored(tmp_path):
    """The process died after appending a batch's record, before replacing the carry file."""
    with pytest.raises(Killed):
        track_camera(job(tmp_path, "ocsort"), kill_after(40))
    disk = CameraCheckpoints(tmp_path, "cam0")
    before = disk.load()
    disk._carry.rename(disk._carry.with_suffix(".keep"))
    with pytest.raises(Killed):
        track_camera(job(tmp_path, "ocsort"), kill_after(60))  # 3 batches recorded
    disk._carry.with_suffix(".keep").replace(disk._carry)  # ... but only 2 committed
    assert disk.load() == before
    assert track_camera(job(tmp_path, "ocsort", resume=True)) == track_camera(job(tmp_path / "whole", "ocsort"))


def test_a_fresh_run_forgets_old_checkpoints_and_bad_files_are_one_line(tmp_path):
    with pytest.raises(Killed):
        track_camera(job(tmp_path, "sort"), kill_after(40))
    track_camera(job(tmp_path, "sort"), kill_after(10**9))
    assert CameraCheckpoints(tmp_path, "cam0").load().batches == 7
    (tmp_path / "checkpoints" / "cam0.carry").write_bytes(b"garbage")
    with pytest.raises(TrackbenchError, match=r"cam0\.carry: unreadable checkpoint"):
        track_camera(job(tmp_path, "sort", resume=True))
