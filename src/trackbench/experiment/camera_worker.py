"""What a camera worker does: track one camera batch by batch, write its files, hand back
its hypothesis rows. No scoring here (the job's process scores), so a worker needs only the
tracker's imports and starts tracking while the job's process imports the scoring code.
"""

from __future__ import annotations

import logging
import math
import os
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trackbench.artifacts import Span, timeline_spans, write_camera_files
from trackbench.config import EvalConfig, PostprocessConfig
from trackbench.datasets.base import BoxTable, Dataset
from trackbench.experiment._lifeline import die_with_parent
from trackbench.experiment.checkpoints import CameraCheckpoints
from trackbench.experiment.postprocess import postprocessed
from trackbench.experiment.precomputed import read_tracklets, reported_rows
from trackbench.tracking.config import TrackingConfig
from trackbench.tracking.hypotheses import hypotheses_from_reported, hypotheses_from_tracklets
from trackbench.tracking.journal import DEFAULT_CHECKPOINT_FRAMES
from trackbench.tracking.kinds import PRECOMPUTED
from trackbench.tracking.stage import TrackingStage, join_reported, stitch
from trackbench.types import CameraBatch, CameraInfo, CarryForward, ReportedRows, TrackingContext, Tracklet2D

if TYPE_CHECKING:
    from queue import Queue


@dataclass(frozen=True)
class CameraJob:
    dataset: Dataset
    camera: CameraInfo
    tracking: TrackingConfig
    batch_size: int
    eval: EvalConfig
    output_dir: Path | None = None  # where the worker writes this camera's files (and checkpoints)
    checkpoint_frames: int = DEFAULT_CHECKPOINT_FRAMES  # see TrackingStage
    resume: bool = False  # continue from the camera's checkpoint in output_dir (runner.resume)
    report_frames: int | None = None  # with an ``on_prefix`` hook: score the camera's first k * N frames
    postprocess: PostprocessConfig = field(default_factory=PostprocessConfig)  # offline, on the scored rows


PrefixTracks = Callable[[int, tuple[Tracklet2D, ...], ReportedRows], None]  # (last frame, tracklets, rows) so far
FramesHook = Callable[[str, int], None]  # (camera id, frames tracked): progress


@dataclass(frozen=True)
class TrackerCpu:
    """CPU seconds a camera's tracker spent, over the frames it tracked in this session."""

    seconds: float = 0.0
    frames: int = 0

    @property
    def ms_per_frame(self) -> float:
        return 1000.0 * self.seconds / self.frames if self.frames else math.nan


@dataclass(frozen=True)
class TrackedCamera:
    """One camera tracked: the rows to score. With an output directory the tracklets stay in
    the worker's files (``tracklets`` is None) and only their timeline spans come back: a long
    recording's tracklets never pile up in the job's process."""

    camera_id: str
    tracklets: tuple[Tracklet2D, ...] | None
    n_tracklets: int
    spans: tuple[Span, ...]
    hypotheses: BoxTable
    tracking_seconds: float
    worker_pid: int = field(default=0, compare=False)  # the process that tracked it (for the log)
    # The tracker's own CPU time (TrackingStage.cpu_seconds) and the frames it tracked in this
    # session: a measurement, not a result, so left out of equality.
    tracker_cpu: TrackerCpu = field(default_factory=TrackerCpu, compare=False)


_progress_queue: Queue[Any] | None = None  # set in worker processes by init_worker


def init_worker(queue: Queue[Any] | None, parent: int | None, shared: bool = False) -> None:
    """A worker's start. ``parent``: the job's process, which forked it (None: forked by the
    job's forkserver, see :mod:`trackbench.experiment._forkserver`)."""
    global _progress_queue
    _progress_queue = queue
    die_with_parent(parent)  # a killed job leaves no worker behind; SIGTERM stops a worker at once
    if shared:  # serves many jobs: the first job's log file (inherited at the fork) is not theirs
        root = logging.getLogger()
        for handler in [h for h in root.handlers if isinstance(h, logging.FileHandler)]:
            root.removeHandler(handler)
    # Ctrl-C reaches the whole process group: the main process reports it (one line, run
    # KILLED); a worker just stops, without a traceback of its own.
    signal.signal(signal.SIGINT, lambda signum, frame: os._exit(130))


def track_and_write(
    job: CameraJob, on_frames: FramesHook | None = None, on_prefix: PrefixTracks | None = None
) -> TrackedCamera:
    """Track one camera (in a worker process, or in-process with ``on_frames``), write its
    tracklets and MOTChallenge file (with an output directory) and return what is scored."""
    queue = _progress_queue
    if on_frames is None and queue is not None:

        def on_frames(camera_id: str, n: int) -> None:
            queue.put((camera_id, n))

    start = time.perf_counter()
    tracklets, reported, cpu = track_camera_timed(job, on_frames, on_prefix)
    tracked = time.perf_counter() - start
    hyp = scored_rows(job, tracklets, reported)
    if job.output_dir is not None:
        write_camera_files(job.output_dir, job.camera.camera_id, tracklets, hyp)
    return TrackedCamera(
        camera_id=job.camera.camera_id,
        tracklets=None if job.output_dir is not None else tracklets,
        n_tracklets=len(tracklets),
        spans=timeline_spans(tracklets),
        hypotheses=hyp,
        tracking_seconds=tracked,
        worker_pid=os.getpid(),
        tracker_cpu=cpu,
    )


def scored_rows(job: CameraJob, tracklets: tuple[Tracklet2D, ...], reported: ReportedRows) -> BoxTable:
    """What is scored and written to mot/: the ``eval.frames`` rows, post-processed."""
    return postprocessed(job.postprocess, hypotheses(job.eval, tracklets, reported))


def hypotheses(cfg: EvalConfig, tracklets: tuple[Tracklet2D, ...], reported: ReportedRows) -> BoxTable:
    """The rows scored for ``eval.frames``."""
    if cfg.frames == "reported":
        return hypotheses_from_reported(reported)
    return hypotheses_from_tracklets(tracklets, cfg.frames)


def track_camera(
    job: CameraJob, on_frames: FramesHook | None = None, on_prefix: PrefixTracks | None = None
) -> tuple[tuple[Tracklet2D, ...], ReportedRows]:
    """:func:`track_camera_timed` without the tracker's CPU time."""
    tracklets, rows, _ = track_camera_timed(job, on_frames, on_prefix)
    return tracklets, rows


def track_camera_timed(
    job: CameraJob, on_frames: FramesHook | None = None, on_prefix: PrefixTracks | None = None
) -> tuple[tuple[Tracklet2D, ...], ReportedRows, TrackerCpu]:
    """All batches of one camera through one TrackingStage, carry passed along; the stitched
    tracklets and the rows boxmot reported. With ``tracker=precomputed``, the camera's result
    file read as tracklets instead (every row is a reported row). With ``on_prefix`` and
    ``job.report_frames``, batches are also cut at every ``report_frames``-th frame of the
    camera, and ``on_prefix(last frame, tracklets so far, rows so far)`` is called there: the
    same frames whatever the batch size."""
    camera = job.camera
    if job.tracking.tracker_kind == PRECOMPUTED:
        tracklets = read_tracklets(job.tracking.results_dir or "", camera)
        if on_frames is not None:
            on_frames(camera.camera_id, n_frames(camera))
        return tracklets, reported_rows(camera.camera_id, tracklets), TrackerCpu()
    sizes = {camera.camera_id: (camera.width, camera.height)} if camera.width and camera.height else {}
    stage = TrackingStage(job.tracking, frame_sizes=sizes, checkpoint_frames=job.checkpoint_frames)
    # On disk after every batch (the Python backend's carry is bytes; the C++ one is a live handle).
    folder = job.output_dir
    disk = CameraCheckpoints(folder, camera.camera_id) if folder is not None and _checkpointed(job) else None
    kept = disk.load() if disk is not None and job.resume else None
    if disk is not None and kept is None:
        disk.start()
    carry = kept.carry if kept else CarryForward()
    pieces: list[Tracklet2D] = list(kept.pieces) if kept else []
    reported: list[ReportedRows] = [ReportedRows(camera.camera_id), *(kept.reported if kept else ())]
    ends = prefix_ends(camera, job.report_frames) if on_prefix is not None else frozenset()
    batches = job.dataset.iter_batches(job.camera.camera_id, job.batch_size)
    tracked = 0  # frames tracked in this session (a resumed camera skips its kept batches)
    for number, batch in enumerate(cut_batches(batches, ends)):
        if kept is None or number >= kept.batches:
            context, carry = stage.run(TrackingContext((batch,)), carry)
            tracked += len(batch.frames)
            pieces.extend(context.tracklets)
            reported.extend(context.reported)
            if disk is not None:
                disk.save(number + 1, carry, context.tracklets, context.reported)
        if on_frames is not None:
            on_frames(job.camera.camera_id, len(batch.frames))
        if on_prefix is not None and batch.frames and batch.frames[-1] in ends:
            on_prefix(batch.frames[-1], stitch(pieces), join_reported(reported)[0])
    (rows,) = join_reported(reported)
    return stitch(pieces), rows, TrackerCpu(stage.cpu_seconds, tracked)


def prefix_ends(camera: CameraInfo, every: int | None) -> frozenset[int]:
    """The last frames of the camera's first ``every``, ``2 * every``... frames, short of its
    last frame (the whole camera is reported when it finishes)."""
    if not every:
        return frozenset()
    return frozenset(range(camera.first_frame + every - 1, camera.last_frame, every))


def cut_batches(batches: Iterable[CameraBatch], ends: frozenset[int]) -> Iterator[CameraBatch]:
    """``batches`` split after every frame in ``ends`` (frames, detections and order kept)."""
    for batch in batches:
        start = 0
        for i, frame in enumerate(batch.frames):
            if frame in ends and i + 1 < len(batch.frames):
                yield CameraBatch(batch.camera_id, batch.frames[start : i + 1], batch.detections[start : i + 1])
                start = i + 1
        yield batch if start == 0 else CameraBatch(batch.camera_id, batch.frames[start:], batch.detections[start:])


def _checkpointed(job: CameraJob) -> bool:
    return job.output_dir is not None and job.tracking.backend == "python"


def n_frames(camera: CameraInfo) -> int:
    """Frames in the camera's range."""
    return camera.last_frame - camera.first_frame + 1
