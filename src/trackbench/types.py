"""Typed records exchanged between trackbench's stages (frozen dataclasses, no logic).

Boxes are always ``(x, y, w, h)`` in pixels, top-left corner plus size, as in MOTChallenge
files. Frames are 1-based integers, as in MOTChallenge files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FrameStatus = Literal["detected", "coasted"]
Box = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class Detection:
    """One detector output in one frame."""

    x: float
    y: float
    w: float
    h: float
    confidence: float
    class_id: int | None = None


@dataclass(frozen=True, slots=True)
class CameraBatch:
    """A camera's detections for consecutive frames; ``detections[i]`` belongs to ``frames[i]``.

    Frames without detections are present with an empty tuple: the tracker must see them.
    """

    camera_id: str
    frames: tuple[int, ...]
    detections: tuple[tuple[Detection, ...], ...]


@dataclass(frozen=True, slots=True)
class Tracklet2D:
    """A confirmed track in one camera: one entry per frame, in frame order.

    ``frame_status[i]`` is "detected" when the tracker matched a detection in ``frames[i]``
    (the box is the one the tracker reports) and "coasted" when it only predicted the box.
    """

    camera_id: str
    track_id: int
    frames: tuple[int, ...]
    centroids: tuple[tuple[float, float], ...]
    bboxes: tuple[Box, ...]
    frame_status: tuple[FrameStatus, ...]


@dataclass(frozen=True, slots=True)
class CarryForward:
    """Per-camera tracker state between batches: opaque, immutable values.

    With the Python backend each value is self-contained bytes (a tracker checkpoint plus a
    journal of the detections fed since; ``trackbench.tracking.journal``), so a carry can be
    reused, written to disk or sent to another process without touching live trackers.
    boxmot's C++ trackers cannot be copied: with ``tracker.backend=cpp`` the value is a
    one-use handle to a live tracker in the process that made it (misuse is an error).
    """

    states: tuple[tuple[str, bytes], ...] = ()

    def get(self, camera_id: str) -> bytes | None:
        return dict(self.states).get(camera_id)


@dataclass(frozen=True, slots=True)
class ReportedRows:
    """The rows boxmot's ``update()`` returned online for one camera's frames: per frame, the
    confirmed tracks matched in it, with the box boxmot reported, in frame then track-id order.
    Track ids are the tracklets' ids. What published MOT results score (``eval.frames=reported``).
    """

    camera_id: str
    frames: tuple[int, ...] = ()
    track_ids: tuple[int, ...] = ()
    bboxes: tuple[Box, ...] = ()


@dataclass(frozen=True, slots=True)
class TrackingContext:
    """What flows through :class:`TrackingStage`: the batch in, the tracklets out, and the rows
    boxmot reported for exactly this batch's frames (one :class:`ReportedRows` per camera batch)."""

    batches: tuple[CameraBatch, ...]
    tracklets: tuple[Tracklet2D, ...] = ()
    reported: tuple[ReportedRows, ...] = ()


@dataclass(frozen=True, slots=True)
class CameraInfo:
    """Static facts about one camera of a dataset."""

    camera_id: str
    first_frame: int
    last_frame: int
    width: int | None = None
    height: int | None = None
    frame_rate: float | None = None
