"""TrackingStage: every camera through its own tracker, one frame batch at a time.

Per camera we keep, besides the boxmot tracker, the entries of tracks still on probation
(emitted with the track once it is confirmed, even from an earlier batch), the set of ids
already confirmed (OC-SORT resets ``hit_streak`` on any gap and would hide a re-found track for
``min_hits - 1`` frames; a confirmed id stays confirmed here) and our own small track ids.
With ``tracker.backend=cpp`` only boxmot's reported rows exist (no probation, no coasting) and
the carry holds a one-use, process-local handle instead of a checkpoint and journal
(``native_carry``).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from itertools import pairwise

import numpy as np

from trackbench.errors import TrackbenchError
from trackbench.tracking import native_carry
from trackbench.tracking.adapter import TrackerAdapter, dumps_state, loads_state
from trackbench.tracking.config import TrackingConfig, validate_tracking
from trackbench.tracking.journal import DEFAULT_CHECKPOINT_FRAMES, Journal, frames_and_arrays, record
from trackbench.tracking.kinds import SUPPORTED_KINDS
from trackbench.tracking.views import Box
from trackbench.types import (
    CarryForward,
    Detection,
    FrameStatus,
    ReportedRows,
    TrackingContext,
    Tracklet2D,
)

# (frame, (x1, y1, x2, y2), status)
Entry = tuple[int, Box, FrameStatus]
# (frame, our track id, (x1, y1, x2, y2)): one row boxmot's update() returned
Row = tuple[int, int, Box]


@dataclass
class _CameraState:
    """Everything one camera's tracking needs between frames; lives in the carry as bytes
    (checkpointed; for the C++ backend a handle to this object, parked in the process)."""

    tracker: TrackerAdapter
    next_frame: int | None = None
    next_id: int = 1
    ids: dict[int, int] = field(default_factory=dict)  # boxmot id -> our id, once confirmed
    pending: dict[int, list[Entry]] = field(default_factory=dict)  # boxmot id -> probation entries


def detections_array(detections: tuple[Detection, ...]) -> np.ndarray:
    """boxmot's input layout: ``N x 6`` rows ``x1, y1, x2, y2, conf, cls``."""
    if not detections:
        return np.empty((0, 6), dtype=np.float64)
    rows = [(d.x, d.y, d.x + d.w, d.y + d.h, d.confidence, 0 if d.class_id is None else d.class_id) for d in detections]
    return np.asarray(rows, dtype=np.float64)


class TrackingStage:
    """Runs one batch per camera from a carry and returns the confirmed tracklet pieces.

    ``frame_sizes`` maps a camera id to its image ``(width, height)`` where the dataset knows
    it (``CameraInfo.width/height``); SFSORT uses it, other cameras fall back to the config's.
    ``checkpoint_frames``: the carry holds a full tracker snapshot at least every this many
    frames and a journal of the detections since (``journal``); resuming from a carry replays
    fewer than this many frames. 0 snapshots after every batch."""

    def __init__(
        self,
        config: TrackingConfig,
        frame_sizes: Mapping[str, tuple[int, int]] | None = None,
        checkpoint_frames: int = DEFAULT_CHECKPOINT_FRAMES,
    ) -> None:
        validate_tracking(config, SUPPORTED_KINDS)
        if checkpoint_frames < 0:
            raise TrackbenchError(f"checkpoint_frames must be >= 0, got {checkpoint_frames}")
        self.config = config
        self.frame_sizes = dict(frame_sizes or {})
        self.checkpoint_frames = checkpoint_frames
        # The live state behind the carry value this stage made last, per camera: the next
        # batch from exactly that value continues it without restoring. Taken once, so a
        # second run from the same carry restores from the value.
        self._live: dict[str, tuple[bytes, _CameraState, Journal]] = {}
        # CPU time of this thread in the trackers' per-frame updates (not their construction,
        # a C++ build's check, a restore or a snapshot): what tracker_ms_per_frame divides.
        self.cpu_seconds = 0.0

    def run(self, context: TrackingContext, carry: CarryForward) -> tuple[TrackingContext, CarryForward]:
        """Track every camera's batch. Python backend: the carry is a value, never mutated,
        and the same batch from the same carry gives the same result. C++ backend: the carry is
        a handle that works once, in this process (a second use raises TrackbenchError)."""
        states = dict(carry.states)
        tracklets: list[Tracklet2D] = []
        reported: list[ReportedRows] = []
        for batch in context.batches:
            camera = batch.camera_id
            state, journal = self._restore(camera, states.get(camera))
            _check_frames(state, camera, batch.frames, len(batch.detections))
            arrays = [detections_array(d) for d in batch.detections]
            rows: list[Row] = []
            start = time.thread_time()
            emitted = self._track_frames(state, batch.frames, arrays, rows)
            self.cpu_seconds += time.thread_time() - start
            tracklets.extend(_tracklet(camera, tid, entries) for tid, entries in sorted(emitted.items()))
            reported.append(_reported_rows(camera, rows))
            if state.tracker.native:
                states[camera] = native_carry.park(state)
                continue
            state.tracker.compact()
            if batch.frames:
                journal = journal.add(record(batch.frames[0], arrays))
            if journal.n_frames >= self.checkpoint_frames:
                journal = Journal(dumps_state(state))
            value = journal.encode()
            states[camera] = value
            self._live[camera] = (value, state, journal)
        new_carry = CarryForward(tuple(sorted(states.items())))
        return replace(context, tracklets=tuple(tracklets), reported=tuple(reported)), new_carry

    def _restore(self, camera_id: str, value: bytes | None) -> tuple[_CameraState, Journal]:
        if value is None:
            return self._fresh(camera_id), Journal(None)
        native = self.config.backend == "cpp"
        if native_carry.is_handle(value) != native:
            made = "cpp" if native_carry.is_handle(value) else "python"
            raise TrackbenchError(
                f"camera {camera_id}: the carry was made with tracker.backend={made}, "
                f"this stage runs tracker.backend={self.config.backend}"
            )
        if native:
            return native_carry.take(value, camera_id), Journal(None)
        live = self._live.pop(camera_id, None)
        if live is not None and live[0] is value:
            return live[1], live[2]
        journal = Journal.decode(value, camera_id)
        state = self._fresh(camera_id) if journal.checkpoint is None else loads_state(journal.checkpoint)
        for rec in journal.records:  # replay the journal through the same path the live run took
            frames, arrays = frames_and_arrays(rec)
            _check_frames(state, camera_id, frames, len(arrays))
            self._track_frames(state, frames, arrays)
            state.tracker.compact()
        return state, journal

    def _fresh(self, camera_id: str) -> _CameraState:
        return _CameraState(TrackerAdapter(self.config, self.frame_sizes.get(camera_id)))

    @staticmethod
    def _track_frames(
        state: _CameraState, frames: tuple[int, ...], arrays: list[np.ndarray], rows: list[Row] | None = None
    ) -> defaultdict[int, list[Entry]]:
        """Feed consecutive frames; returns the entries of confirmed tracks by our track id and
        appends the rows boxmot's ``update()`` returned to ``rows`` (a journal replay passes None).
        The hot path: one pass over boxmot's live tracks per frame, no per-track objects
        beyond the entry itself (widths and centroids are derived once, in _tracklet)."""
        emitted: defaultdict[int, list[Entry]] = defaultdict(list)
        ids, pending = state.ids, state.pending
        for frame, (views, reported) in zip(frames, state.tracker.steps(arrays), strict=True):
            newly_confirmed = sorted(v[0] for v in views if v[2] and v[0] not in ids)
            for boxmot_id in newly_confirmed:
                ids[boxmot_id] = state.next_id
                state.next_id += 1
            if rows is not None and reported:
                # A reported track is confirmed in this frame, so it has its id by now.
                rows.extend(sorted((frame, ids[b], box) for b, box in reported.items()))
            on_probation = 0
            for boxmot_id, matched, _, box in views:
                status: FrameStatus = "detected" if matched else "coasted"
                entry: Entry = (frame, box, status)
                track_id = ids.get(boxmot_id)
                if track_id is None:
                    pending.setdefault(boxmot_id, []).append(entry)
                    on_probation += 1
                elif boxmot_id in pending:
                    out = emitted[track_id]
                    out.extend(pending.pop(boxmot_id))
                    out.append(entry)
                else:
                    emitted[track_id].append(entry)
            # Tracks that died on probation are never output; forget their entries. Every live
            # probation track got one entry above, so a count mismatch means some died.
            if on_probation != len(pending):
                alive = {v[0] for v in views}
                for dead in [k for k in pending if k not in alive]:
                    del pending[dead]
        return emitted


def _check_frames(state: _CameraState, camera: str, frames: tuple[int, ...], n_detection_lists: int) -> None:
    if not frames:
        return
    if len(frames) != n_detection_lists:
        raise TrackbenchError(f"camera {camera}: {len(frames)} frames but {n_detection_lists} detection lists")
    if any(b != a + 1 for a, b in pairwise(frames)):
        raise TrackbenchError(f"camera {camera}: batch frames must be consecutive, got {frames[0]}..{frames[-1]}")
    if state.next_frame is not None and frames[0] != state.next_frame:
        raise TrackbenchError(
            f"camera {camera}: batch starts at frame {frames[0]} but the carry continues at {state.next_frame}"
        )
    state.next_frame = frames[-1] + 1


def _reported_rows(camera_id: str, rows: list[Row]) -> ReportedRows:
    return ReportedRows(
        camera_id=camera_id,
        frames=tuple(r[0] for r in rows),
        track_ids=tuple(r[1] for r in rows),
        bboxes=tuple((x1, y1, x2 - x1, y2 - y1) for _, _, (x1, y1, x2, y2) in rows),
    )


def join_reported(pieces: list[ReportedRows] | tuple[ReportedRows, ...]) -> tuple[ReportedRows, ...]:
    """Join per-batch reported rows of the same camera in frame order, one per camera (sorted)."""
    grouped: dict[str, list[ReportedRows]] = {}
    for piece in pieces:
        grouped.setdefault(piece.camera_id, []).append(piece)
    result = []
    for camera_id, parts in sorted(grouped.items()):
        parts = sorted((p for p in parts if p.frames), key=lambda p: p.frames[0])
        result.append(
            ReportedRows(
                camera_id=camera_id,
                frames=tuple(f for p in parts for f in p.frames),
                track_ids=tuple(i for p in parts for i in p.track_ids),
                bboxes=tuple(b for p in parts for b in p.bboxes),
            )
        )
    return tuple(result)


def _tracklet(camera_id: str, track_id: int, entries: list[Entry]) -> Tracklet2D:
    bboxes = tuple((x1, y1, x2 - x1, y2 - y1) for _, (x1, y1, x2, y2), _ in entries)
    return Tracklet2D(
        camera_id=camera_id,
        track_id=track_id,
        frames=tuple(e[0] for e in entries),
        centroids=tuple((x + w / 2.0, y + h / 2.0) for x, y, w, h in bboxes),
        bboxes=bboxes,
        frame_status=tuple(e[2] for e in entries),
    )


def stitch(pieces: list[Tracklet2D] | tuple[Tracklet2D, ...]) -> tuple[Tracklet2D, ...]:
    """Join per-batch tracklet pieces of the same (camera_id, track_id) in frame order."""
    grouped: dict[tuple[str, int], list[Tracklet2D]] = {}
    for piece in pieces:
        grouped.setdefault((piece.camera_id, piece.track_id), []).append(piece)
    result = []
    for (camera_id, track_id), parts in sorted(grouped.items()):
        parts.sort(key=lambda p: p.frames[0])
        result.append(
            Tracklet2D(
                camera_id=camera_id,
                track_id=track_id,
                frames=tuple(f for p in parts for f in p.frames),
                centroids=tuple(c for p in parts for c in p.centroids),
                bboxes=tuple(b for p in parts for b in p.bboxes),
                frame_status=tuple(s for p in parts for s in p.frame_status),
            )
        )
    return tuple(result)
