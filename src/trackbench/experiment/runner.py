"""Orchestration only: every camera tracked batch by batch in worker processes, and scored.

A camera is the unit of parallelism: its batches must run in order (the carry goes from one
to the next), cameras are independent. Each worker opens its own camera from the (cheaply
pickled) dataset, so detections stream from disk batch by batch inside the worker, and hands
back its hypothesis rows (trackbench.experiment.camera_worker). The job's process scores each camera as
it arrives: the scoring's heavy libraries (motmetrics, pandas) are imported at the first camera
scored, after the workers started tracking. Workers kept from job to job (a sweep's trials,
``runner.reuse_workers``) score their own cameras as well, so that scoring runs on every core.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from trackbench.artifacts import write_events, write_identity
from trackbench.config import AppConfig
from trackbench.datasets.base import Dataset, slice_frames
from trackbench.experiment._cores import resolve_workers
from trackbench.experiment.camera_worker import (
    CameraJob,
    FramesHook,
    PrefixTracks,
    TrackedCamera,
    TrackerCpu,
    cut_batches,
    init_worker,
    n_frames,
    prefix_ends,
    scored_rows,
    track_and_write,
    track_camera,
)
from trackbench.experiment.workers import (
    cancel_pending,
    forget_broken,
    forkserver_started,
    manager,
    parent_of,
    shared_pool,
    worker_context,
    worker_processes,
    worker_result,
)
from trackbench.scoring import score_camera, summarize
from trackbench.scoring.attribution import RUN_FIXES
from trackbench.scoring.diagnosis import diagnose
from trackbench.scoring.score import scored_camera
from trackbench.tracking import adapter
from trackbench.tracking.kinds import PRECOMPUTED
from trackbench.types import ReportedRows, Tracklet2D

if TYPE_CHECKING:
    from queue import Queue

    from trackbench.artifacts import Span
    from trackbench.scoring import CameraScores, Scores
    from trackbench.scoring.diagnosis import CameraDiagnosis

__all__ = ["CameraJob", "CameraOutcome", "RunResult", "cut_batches", "n_frames", "prefix_ends", "run", "track_camera"]

log = logging.getLogger(__name__)


PrefixHook = Callable[[str, int, "CameraScores"], None]  # (camera id, frames scored, scores of that prefix)


@dataclass(frozen=True)
class CameraOutcome:
    """One camera's result: its :class:`TrackedCamera` (tracklets None with an output
    directory) and its scores."""

    camera_id: str
    tracklets: tuple[Tracklet2D, ...] | None
    n_tracklets: int
    spans: tuple[Span, ...]
    scores: CameraScores
    n_frames: int
    tracking_seconds: float
    scoring_seconds: float
    worker_pid: int = field(default=0, compare=False)  # the process that tracked it (for the log)
    # Error events, identity, attribution: derived from the above, so not compared.
    diagnosis: CameraDiagnosis | None = field(default=None, compare=False)
    diagnosis_seconds: float = field(default=0.0, compare=False)
    tracker_cpu: TrackerCpu = field(default_factory=TrackerCpu, compare=False)  # a measurement


CameraHook = Callable[[CameraOutcome], None]  # each finished camera's outcome, in camera order


@dataclass(frozen=True)
class RunResult:
    cameras: tuple[CameraOutcome, ...]
    scores: Scores
    wall_seconds: float
    workers: int


def run_camera(
    job: CameraJob, on_frames: FramesHook | None = None, on_prefix: PrefixHook | None = None
) -> CameraOutcome:
    """Track and score one camera in this process. ``on_prefix``: see :func:`track_camera`;
    it gets the scores of the camera's frames so far."""
    prefix = None if on_prefix is None else _prefix_scorer(job, on_prefix)
    return scored(job, track_and_write(job, on_frames, prefix))


def scored(job: CameraJob, tracked: TrackedCamera) -> CameraOutcome:
    """A tracked camera's rows scored against its ground truth (in the job's process)."""
    start = time.perf_counter()
    gt = job.dataset.ground_truth(job.camera.camera_id)
    full = scored_camera(
        gt,
        tracked.hypotheses,
        job.eval.iou_threshold,
        matching=job.eval.matching,
        window_frames=job.eval.window_frames,
        frame_range=(job.camera.first_frame, job.camera.last_frame),
    )
    scores, scoring_seconds = full.scores, time.perf_counter() - start
    fixes = () if job.eval.attribution == "none" else RUN_FIXES  # "best" is the job's own choice (app)
    diagnosis = diagnose(full, gt, tracked.hypotheses, job.eval.iou_threshold, job.eval.matching, fixes)
    if job.output_dir is not None:  # errors/ and identity/ beside mot/ (they need the gt, so here)
        write_events(job.output_dir, tracked.camera_id, diagnosis.events)
        write_identity(job.output_dir, tracked.camera_id, diagnosis.holders, diagnosis.holder_boxes)
    return CameraOutcome(
        camera_id=tracked.camera_id,
        tracklets=tracked.tracklets,
        n_tracklets=tracked.n_tracklets,
        spans=tracked.spans,
        scores=scores,
        n_frames=n_frames(job.camera),
        tracking_seconds=tracked.tracking_seconds,
        worker_pid=tracked.worker_pid,
        scoring_seconds=scoring_seconds,
        diagnosis=diagnosis,
        diagnosis_seconds=time.perf_counter() - start - scoring_seconds,
        tracker_cpu=tracked.tracker_cpu,
    )


def _prefix_scorer(job: CameraJob, on_prefix: PrefixHook) -> PrefixTracks:
    """Scores the camera's frames up to ``last`` (its windows left out) for ``on_prefix``."""
    camera = job.camera
    gt = job.dataset.ground_truth(camera.camera_id)

    def score_prefix(last: int, tracklets: tuple[Tracklet2D, ...], reported: ReportedRows) -> None:
        hyp = scored_rows(job, tracklets, reported)
        prefix = score_camera(
            slice_frames(gt, camera.first_frame, last), hyp, job.eval.iou_threshold, matching=job.eval.matching
        )
        on_prefix(camera.camera_id, last - camera.first_frame + 1, prefix)

    return score_prefix


@functools.cache
def settle_imports() -> None:
    """Once per process, after the heavy imports (torch, boxmot; a sweep's driver has mlflow
    and Optuna too): move every object alive now out of the garbage collector's reach
    (``gc.freeze``). They live as long as the process anyway, and each full collection walked
    them all: a 20-trial sweep's driver spent 1.7 s in 11 of them. Forked camera workers
    inherit the frozen set, which also spares their copy-on-write pages. Objects made later
    are collected as before."""
    gc.freeze()


def run(
    dataset: Dataset,
    cfg: AppConfig,
    output_dir: Path | None = None,
    on_camera: CameraHook | None = None,
    on_started: Callable[[], None] | None = None,
    on_prefix: PrefixHook | None = None,
    *,
    worker_process: bool = False,
) -> RunResult:
    """Track and score every camera of ``dataset``; results in camera order. With
    ``output_dir``, each worker writes its camera's tracklets and MOTChallenge file there.
    ``on_camera(outcome)`` is called as each camera finishes, in camera order; if it raises,
    the run stops (cameras not started yet are cancelled) and the exception propagates.
    ``on_started()`` is called once the worker processes exist (before the first camera
    without workers): where to start threads, which must not be running when workers fork.
    ``on_prefix(camera id, frames, scores)`` is called every ``cfg.tuning.report_frames`` frames
    of a camera with the scores of its frames so far, when cameras run in this process
    (one worker without ``worker_process``). ``worker_process``: one worker is a worker
    process too, tracking while this process imports the scoring code (a cold process: the
    CLI's single runs; a warm one, a multirun's job, has it imported and tracks in-process)."""
    started = on_started or (lambda: None)
    cameras = dataset.cameras()
    workers = resolve_workers(cfg.runner.workers, len(cameras))
    show = cfg.runner.progress == "always" or (cfg.runner.progress == "auto" and sys.stderr.isatty())
    in_process = workers == 1 and (on_prefix is not None or not worker_process)
    warm = not in_process and cfg.runner.reuse_workers and not worker_process and not show
    method = cfg.runner.start_method
    if warm and method is None and forkserver_started():
        method = "forkserver"  # the sweep's forkserver has the tracker imported: this process never does
    elif cfg.tracker.tracker_kind != PRECOMPUTED:
        adapter.preload()  # forked workers inherit boxmot and torch, imported once
        settle_imports()
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
            postprocess=cfg.postprocess,
        )
        for c in cameras
    ]
    total = sum(n_frames(c) for c in cameras)
    start = time.perf_counter()
    with _Progress(total, [c.camera_id for c in cameras], show) as progress:
        if in_process:
            started()
            outcomes = list(_notify((run_camera(job, progress.update, on_prefix) for job in jobs), on_camera))
        else:
            ctx = worker_context(method)
            with contextlib.ExitStack() as stack:
                if warm:
                    queue = None  # a warm process's jobs (a sweep's trials): one pool for all of them
                    pool = shared_pool(workers, ctx)
                    stack.callback(forget_broken, pool)
                else:
                    # Progress from workers travels through a manager's queue, shut down with the pool.
                    queue = stack.enter_context(manager(ctx)).Queue() if show else None
                    pool = stack.enter_context(
                        ProcessPoolExecutor(
                            workers, mp_context=ctx, initializer=init_worker, initargs=(queue, parent_of(ctx))
                        )
                    )
                stack.push(cancel_pending(pool))
                listener = progress.listen(queue)
                # Warm workers (kept from job to job) score their own cameras too: this process
                # scoring every camera in turn was the job's bottleneck once tracking got fast.
                # A fresh pool's workers only track: this process scores each camera as it
                # arrives, importing the scoring code while they track.
                work = run_camera if warm else track_and_write
                futures = [pool.submit(work, job) for job in jobs]  # with fork, the workers are made here
                processes = worker_processes(pool)
                started()
                done = (worker_result(f, job, processes) for f, job in zip(futures, jobs, strict=True))
                if warm:
                    outcomes = list(_notify(done, on_camera))
                else:
                    outcomes = list(_notify((scored(job, t) for job, t in zip(jobs, done, strict=True)), on_camera))
                if listener is not None and queue is not None:
                    queue.put(None)
                    listener.join()
    for o in outcomes:
        log.info(
            "camera %s: %d frames, %d tracklets, tracking %.2fs (pid %d), scoring %.2fs",
            *(o.camera_id, o.n_frames, o.n_tracklets, o.tracking_seconds, o.worker_pid, o.scoring_seconds),
        )
    scores = summarize({o.camera_id: o.scores for o in outcomes})
    return RunResult(tuple(outcomes), scores, time.perf_counter() - start, workers)


def _notify(outcomes: Iterable[CameraOutcome], on_camera: CameraHook | None) -> Iterator[CameraOutcome]:
    for outcome in outcomes:
        if on_camera is not None:
            on_camera(outcome)
        yield outcome


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

    def listen(self, queue: Queue[Any] | None) -> threading.Thread | None:
        if queue is None:
            return None

        def pump() -> None:
            for item in iter(queue.get, None):
                self.update(*item)

        thread = threading.Thread(target=pump, daemon=True)
        thread.start()
        return thread
