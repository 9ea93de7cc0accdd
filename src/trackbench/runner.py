"""Orchestration only: every camera tracked batch by batch and scored, in worker processes.

A camera is the unit of parallelism: its batches must run in order (the carry goes from one
to the next), cameras are independent. Each worker opens its own camera from the (cheaply
pickled) dataset, so detections stream from disk batch by batch inside the worker.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from trackbench.artifacts import Span, timeline_spans, write_camera_files
from trackbench.checkpoints import CameraCheckpoints
from trackbench.config import AppConfig, EvalConfig
from trackbench.cores import resolve_workers
from trackbench.datasets.base import BoxTable, Dataset, slice_frames
from trackbench.scoring import (
    CameraScores,
    Scores,
    hypotheses_from_reported,
    hypotheses_from_tracklets,
    score_camera,
    summarize,
)
from trackbench.tracking.config import TrackingConfig
from trackbench.tracking.journal import DEFAULT_CHECKPOINT_FRAMES
from trackbench.tracking.kinds import PRECOMPUTED
from trackbench.types import CameraBatch, CameraInfo, CarryForward, ReportedRows, TrackingContext, Tracklet2D

log = logging.getLogger(__name__)


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


PrefixHook = Callable[[str, int, CameraScores], None]  # (camera id, frames scored, scores of that prefix)
PrefixTracks = Callable[[int, tuple[Tracklet2D, ...], ReportedRows], None]  # (last frame, tracklets, rows) so far


@dataclass(frozen=True)
class CameraOutcome:
    """One camera's result. With an output directory the tracklets stay in the worker's files
    (``tracklets`` is None) and only their timeline spans come back: a long recording's
    tracklets never pile up in the main process."""

    camera_id: str
    tracklets: tuple[Tracklet2D, ...] | None
    n_tracklets: int
    spans: tuple[Span, ...]
    scores: CameraScores
    n_frames: int
    tracking_seconds: float
    scoring_seconds: float


@dataclass(frozen=True)
class RunResult:
    cameras: tuple[CameraOutcome, ...]
    scores: Scores
    wall_seconds: float
    workers: int


_progress_queue = None  # set in worker processes by _init_worker


def _init_worker(queue) -> None:
    global _progress_queue
    _progress_queue = queue
    # Ctrl-C reaches the whole process group: the main process reports it (one line, run
    # KILLED); a worker just stops, without a traceback of its own.
    signal.signal(signal.SIGINT, lambda signum, frame: os._exit(130))


def track_camera(
    job: CameraJob, on_frames=None, on_prefix: PrefixTracks | None = None
) -> tuple[tuple[Tracklet2D, ...], ReportedRows]:
    """All batches of one camera through one TrackingStage, carry passed along; the stitched
    tracklets and the rows boxmot reported. With ``tracker=precomputed``, the camera's result
    file read as tracklets instead (every row is a reported row). With ``on_prefix`` and
    ``job.report_frames``, batches are also cut at every ``report_frames``-th frame of the
    camera, and ``on_prefix(last frame, tracklets so far, rows so far)`` is called there: the
    same frames whatever the batch size."""
    camera = job.camera
    if job.tracking.tracker_kind == PRECOMPUTED:
        from trackbench.precomputed import read_tracklets, reported_rows

        tracklets = read_tracklets(job.tracking.results_dir or "", camera)
        if on_frames is not None:
            on_frames(camera.camera_id, n_frames(camera))
        return tracklets, reported_rows(camera.camera_id, tracklets)
    from trackbench.tracking.stage import TrackingStage, join_reported, stitch  # boxmot (torch) only when tracking

    sizes = {camera.camera_id: (camera.width, camera.height)} if camera.width and camera.height else {}
    stage = TrackingStage(job.tracking, frame_sizes=sizes, checkpoint_frames=job.checkpoint_frames)
    # On disk after every batch (the Python backend's carry is bytes; the C++ one is a live handle).
    disk = CameraCheckpoints(job.output_dir, camera.camera_id) if _checkpointed(job) else None
    kept = disk.load() if disk is not None and job.resume else None
    if disk is not None and kept is None:
        disk.start()
    carry = kept.carry if kept else CarryForward()
    pieces: list[Tracklet2D] = list(kept.pieces) if kept else []
    reported: list[ReportedRows] = [ReportedRows(camera.camera_id), *(kept.reported if kept else ())]
    ends = prefix_ends(camera, job.report_frames) if on_prefix is not None else frozenset()
    batches = job.dataset.iter_batches(job.camera.camera_id, job.batch_size)
    for number, batch in enumerate(cut_batches(batches, ends)):
        if kept is None or number >= kept.batches:
            context, carry = stage.run(TrackingContext((batch,)), carry)
            pieces.extend(context.tracklets)
            reported.extend(context.reported)
            if disk is not None:
                disk.save(number + 1, carry, context.tracklets, context.reported)
        if on_frames is not None:
            on_frames(job.camera.camera_id, len(batch.frames))
        if on_prefix is not None and batch.frames and batch.frames[-1] in ends:
            on_prefix(batch.frames[-1], stitch(pieces), join_reported(reported)[0])
    (rows,) = join_reported(reported)
    return stitch(pieces), rows


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


def run_camera(job: CameraJob, on_frames=None, on_prefix: PrefixHook | None = None) -> CameraOutcome:
    """Track and score one camera (in a worker process, or in-process with ``on_frames``).
    ``on_prefix``: see :func:`track_camera`; it gets the scores of the camera's frames so far."""
    queue = _progress_queue
    if on_frames is None and queue is not None:

        def on_frames(camera_id: str, n: int) -> None:
            queue.put((camera_id, n))

    start = time.perf_counter()
    tracklets, reported = track_camera(job, on_frames, None if on_prefix is None else _prefix_scorer(job, on_prefix))
    tracked = time.perf_counter()
    hyp = _hypotheses(job.eval, tracklets, reported)
    scores = score_camera(
        job.dataset.ground_truth(job.camera.camera_id),
        hyp,
        job.eval.iou_threshold,
        matching=job.eval.matching,
        window_frames=job.eval.window_frames,
        frame_range=(job.camera.first_frame, job.camera.last_frame),
    )
    done = time.perf_counter()
    if job.output_dir is not None:
        write_camera_files(job.output_dir, job.camera.camera_id, tracklets, hyp)
    return CameraOutcome(
        camera_id=job.camera.camera_id,
        tracklets=None if job.output_dir is not None else tracklets,
        n_tracklets=len(tracklets),
        spans=timeline_spans(tracklets),
        scores=scores,
        n_frames=n_frames(job.camera),
        tracking_seconds=tracked - start,
        scoring_seconds=done - tracked,
    )


def _hypotheses(cfg: EvalConfig, tracklets: tuple[Tracklet2D, ...], reported: ReportedRows) -> BoxTable:
    if cfg.frames == "reported":
        return hypotheses_from_reported(reported)
    return hypotheses_from_tracklets(tracklets, cfg.frames)


def _prefix_scorer(job: CameraJob, on_prefix: PrefixHook) -> PrefixTracks:
    """Scores the camera's frames up to ``last`` (its windows left out) for ``on_prefix``."""
    camera = job.camera
    gt = job.dataset.ground_truth(camera.camera_id)

    def score_prefix(last: int, tracklets: tuple[Tracklet2D, ...], reported: ReportedRows) -> None:
        hyp = _hypotheses(job.eval, tracklets, reported)
        prefix = score_camera(
            slice_frames(gt, camera.first_frame, last), hyp, job.eval.iou_threshold, matching=job.eval.matching
        )
        on_prefix(camera.camera_id, last - camera.first_frame + 1, prefix)

    return score_prefix


def _worker_context(method: str | None) -> mp.context.BaseContext:
    """``fork`` where available: workers inherit the imported tracker code (torch, boxmot)
    instead of importing it again, which costs seconds per job under ``spawn``."""
    if method is None:
        method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    # Inside a joblib/loky worker (Hydra's joblib launcher) the process-wide start method is
    # "loky", which a spawned child cannot restore; reset it for this job process.
    if method != "fork" and mp.get_start_method(allow_none=True) not in (None, "fork", "spawn", "forkserver"):
        mp.set_start_method(method, force=True)
    return mp.get_context(method)


def n_frames(camera: CameraInfo) -> int:
    """Frames in the camera's range."""
    return camera.last_frame - camera.first_frame + 1


def run(
    dataset: Dataset,
    cfg: AppConfig,
    output_dir: Path | None = None,
    on_camera: Callable | None = None,
    on_started: Callable[[], None] | None = None,
    on_prefix: PrefixHook | None = None,
) -> RunResult:
    """Track and score every camera of ``dataset``; results in camera order. With
    ``output_dir``, each worker writes its camera's tracklets and MOTChallenge file there.
    ``on_camera(outcome)`` is called as each camera finishes, in camera order; if it raises,
    the run stops (cameras not started yet are cancelled) and the exception propagates.
    ``on_started()`` is called once the worker processes exist (before the first camera
    without workers): where to start threads, which must not be running when workers fork.
    ``on_prefix(camera id, frames, scores)`` is called every ``cfg.tuning.report_frames`` frames
    of a camera with the scores of its frames so far, when cameras run in this process
    (one worker)."""
    started = on_started or (lambda: None)
    cameras = dataset.cameras()
    if cfg.tracker.tracker_kind != PRECOMPUTED:
        import trackbench.tracking.stage  # noqa: F401  (forked workers inherit boxmot and torch, imported once)
    resume = cfg.runner.resume is not None
    jobs = [
        CameraJob(
            dataset,
            c,
            cfg.tracker,
            cfg.runner.batch_size,
            cfg.eval,
            output_dir=output_dir,
            checkpoint_frames=cfg.runner.checkpoint_frames,
            resume=resume,
            report_frames=cfg.tuning.report_frames,
        )
        for c in cameras
    ]
    workers = resolve_workers(cfg.runner.workers, len(jobs))
    total = sum(n_frames(c) for c in cameras)
    show = cfg.runner.progress == "always" or (cfg.runner.progress == "auto" and sys.stderr.isatty())
    start = time.perf_counter()
    with _Progress(total, [c.camera_id for c in cameras], show) as progress:
        if workers == 1:
            started()
            outcomes = list(_notify((run_camera(job, progress.update, on_prefix) for job in jobs), on_camera))
        else:
            ctx = _worker_context(cfg.runner.start_method)
            with contextlib.ExitStack() as stack:
                # Progress from workers travels through a manager's queue, shut down with the pool.
                queue = stack.enter_context(ctx.Manager()).Queue() if show else None
                pool = stack.enter_context(
                    ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=(queue,))
                )
                stack.push(_cancel_pending(pool))
                listener = progress.listen(queue)
                pending = pool.map(run_camera, jobs)  # with fork, every worker process is made here
                started()
                outcomes = list(_notify(pending, on_camera))
                if listener is not None:
                    queue.put(None)
                    listener.join()
    for o in outcomes:
        log.info(
            "camera %s: %d frames, %d tracklets, tracking %.2fs, scoring %.2fs",
            *(o.camera_id, o.n_frames, o.n_tracklets, o.tracking_seconds, o.scoring_seconds),
        )
    scores = summarize({o.camera_id: o.scores for o in outcomes})
    return RunResult(tuple(outcomes), scores, time.perf_counter() - start, workers)


def _notify(outcomes: Iterable[CameraOutcome], on_camera: Callable | None) -> Iterator[CameraOutcome]:
    for outcome in outcomes:
        if on_camera is not None:
            on_camera(outcome)
        yield outcome


def _cancel_pending(pool: ProcessPoolExecutor) -> Callable[..., bool]:
    def on_exit(exc_type: type | None, *rest: object) -> bool:
        if exc_type is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        return False  # never swallow the exception

    return on_exit


class _Progress:
    """Frames tracked per camera: a tqdm bar on a terminal, nothing otherwise."""

    def __init__(self, total: int, camera_ids: list[str], show: bool) -> None:
        self.done = dict.fromkeys(camera_ids, 0)
        self.bar = tqdm(total=total, unit="frame", desc="tracking", disable=not show, file=sys.stderr)

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.close()

    def update(self, camera_id: str, n: int) -> None:
        self.done[camera_id] += n
        self.bar.update(n)
        self.bar.set_postfix_str(" ".join(f"{c}:{d}" for c, d in self.done.items()), refresh=False)

    def listen(self, queue) -> threading.Thread | None:
        if queue is None:
            return None

        def pump() -> None:
            for item in iter(queue.get, None):
                self.update(*item)

        thread = threading.Thread(target=pump, daemon=True)
        thread.start()
        return thread
