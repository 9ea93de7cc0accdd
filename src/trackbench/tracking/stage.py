"""TrackingStage: every camera through its own tracker, one frame batch at a time.

Per camera we keep, besides the boxmot tracker, the entries of tracks still on probation
(emitted with the track once it is confirmed, even from an earlier batch), the set of ids
already confirmed (OC-SORT resets ``hit_streak`` on any gap and would hide a re-found track for
``min_hits - 1`` frames; a confirmed id stays confirmed here) and our own small track ids.
With ``tracker.backend=cpp`` only boxmot's reported rows exist (no probation, no coasting) and
the carry holds a one-use, process-local handle instead of a snapshot (``native_carry``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from itertools import pairwise

import numpy as np

from trackbench.errors import TrackbenchError
from trackbench.tracking import native_carry
from trackbench.tracking.adapter import TrackerAdapter, dumps_state, loads_state
from trackbench.tracking.config import TrackingConfig, validate_tracking
from trackbench.tracking.kinds import SUPPORTED_KINDS
from trackbench.tracking.views import Box
from trackbench.types import (
    CameraBatch,
    CarryForward,
    Detection,
    FrameStatus,
    TrackingContext,
    Tracklet2D,
)

# (frame, (x1, y1, x2, y2), status)
Entry = tuple[int, Box, FrameStatus]


@dataclass
class _CameraState:
    """Everything one camera's tracking needs between frames; lives in the carry as bytes
    (a snapshot; for the C++ backend a handle to this object, parked in the process)."""

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
    it (``CameraInfo.width/height``); SFSORT uses it, other cameras fall back to the config's."""

    def __init__(self, config: TrackingConfig, frame_sizes: Mapping[str, tuple[int, int]] | None = None) -> None:
        validate_tracking(config, SUPPORTED_KINDS)
        self.config = config
        self.frame_sizes = dict(frame_sizes or {})
        # The live state behind the snapshot this stage made last, per camera: the next batch
        # from exactly that snapshot continues it without unpickling. Taken once, so a second
        # run from the same carry still starts from the bytes.
        self._live: dict[str, tuple[bytes, _CameraState]] = {}

    def run(self, context: TrackingContext, carry: CarryForward) -> tuple[TrackingContext, CarryForward]:
        """Track every camera's batch. Python backend: the carry is a snapshot, never mutated,
        and the same batch from the same carry gives the same result. C++ backend: the carry is
        a handle that works once, in this process (a second use raises TrackbenchError)."""
        states = dict(carry.states)
        tracklets: list[Tracklet2D] = []
        for batch in context.batches:
            state = self._restore(batch.camera_id, states.get(batch.camera_id))
            tracklets.extend(self._track_batch(state, batch))
            if state.tracker.native:
                states[batch.camera_id] = native_carry.park(state)
            else:
                state.tracker.compact()
                blob = dumps_state(state)
                states[batch.camera_id] = blob
                self._live[batch.camera_id] = (blob, state)
        new_carry = CarryForward(tuple(sorted(states.items())))
        return replace(context, tracklets=tuple(tracklets)), new_carry

    def _restore(self, camera_id: str, blob: bytes | None) -> _CameraState:
        if blob is None:
            return _CameraState(TrackerAdapter(self.config, self.frame_sizes.get(camera_id)))
        native = self.config.backend == "cpp"
        if native_carry.is_handle(blob) != native:
            made = "cpp" if native_carry.is_handle(blob) else "python"
            raise TrackbenchError(
                f"camera {camera_id}: the carry was made with tracker.backend={made}, "
                f"this stage runs tracker.backend={self.config.backend}"
            )
        if native:
            return native_carry.take(blob, camera_id)
        live = self._live.pop(camera_id, None)
        return live[1] if live is not None and live[0] is blob else loads_state(blob)

    def _track_batch(self, state: _CameraState, batch: CameraBatch) -> list[Tracklet2D]:
        # The hot path: one pass over boxmot's live tracks per frame, no per-track objects
        # beyond the entry itself (widths and centroids are derived once, in _tracklet).
        _check_frames(state, batch)
        emitted: defaultdict[int, list[Entry]] = defaultdict(list)
        ids, pending = state.ids, state.pending
        for frame, dets in zip(batch.frames, batch.detections, strict=True):
            reported, views = state.tracker.step(detections_array(dets))
            newly_confirmed = sorted(v[0] for v in views if v[0] not in ids and (v[2] or v[0] in reported))
            for boxmot_id in newly_confirmed:
                ids[boxmot_id] = state.next_id
                state.next_id += 1
            on_probation = 0
            for boxmot_id, matched, _, box in views:
                seen = reported.get(boxmot_id)
                if seen is not None:
                    entry = (frame, seen, "detected")
                else:
                    entry = (frame, box, "detected" if matched else "coasted")
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
        return [_tracklet(batch.camera_id, tid, entries) for tid, entries in sorted(emitted.items())]


def _check_frames(state: _CameraState, batch: CameraBatch) -> None:
    frames = batch.frames
    if not frames:
        return
    camera = batch.camera_id
    if len(frames) != len(batch.detections):
        raise TrackbenchError(f"camera {camera}: {len(frames)} frames but {len(batch.detections)} detection lists")
    if any(b != a + 1 for a, b in pairwise(frames)):
        raise TrackbenchError(f"camera {camera}: batch frames must be consecutive, got {frames[0]}..{frames[-1]}")
    if state.next_frame is not None and frames[0] != state.next_frame:
        raise TrackbenchError(
            f"camera {camera}: batch starts at frame {frames[0]} but the carry continues at {state.next_frame}"
        )
    state.next_frame = frames[-1] + 1


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
