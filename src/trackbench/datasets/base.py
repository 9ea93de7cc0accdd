"""The small protocol every dataset source implements, and the array table they share."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from trackbench.types import CameraBatch, CameraInfo


@dataclass(frozen=True, slots=True, eq=False)
class BoxTable:
    """Rows of boxes over a sequence, as parallel NumPy arrays (one row per box and frame).

    Used for ground truth and for tracker hypotheses. ``boxes`` is ``(N, 4)`` float64
    ``x, y, w, h``; ``frames`` and ``ids`` are int64; ``confidences`` float64.
    ``distractor`` marks ground-truth rows that are not scored but whose matched hypotheses
    are removed before scoring (MOTChallenge "ignore" regions / non-target classes); it is
    all False for hypotheses.
    """

    frames: np.ndarray
    ids: np.ndarray
    boxes: np.ndarray
    confidences: np.ndarray
    distractor: np.ndarray

    @staticmethod
    def empty() -> BoxTable:
        return BoxTable(
            frames=np.empty(0, np.int64),
            ids=np.empty(0, np.int64),
            boxes=np.empty((0, 4), np.float64),
            confidences=np.empty(0, np.float64),
            distractor=np.empty(0, bool),
        )

    def __len__(self) -> int:
        return int(self.frames.shape[0])


class Dataset(Protocol):
    """A set of synchronized cameras. Implementations hold configuration, not data, and pickle
    cheaply, so a worker process can open its own camera."""

    name: str

    def cameras(self) -> tuple[CameraInfo, ...]:
        """The selected cameras, in a stable order."""
        ...

    def iter_batches(self, camera_id: str, batch_size: int) -> Iterator[CameraBatch]:
        """Detections of one camera in consecutive frame batches covering its frame range,
        empty frames included; loads no more than needed to yield the next batch."""
        ...

    def ground_truth(self, camera_id: str) -> BoxTable:
        """Annotated boxes of one camera within its selected frame range."""
        ...

    def sequence_length(self, camera_id: str) -> int:
        """The camera's last frame in its source, whatever frame range is selected."""
        ...

    def validate(self, camera_id: str) -> tuple[str, ...]:
        """Check the camera's input before any tracking (raise TrackbenchError naming the file
        and line); returns warnings for input that runs but is suspect."""
        ...


def slice_frames(table: BoxTable, first: int, last: int) -> BoxTable:
    """Rows of a frame-sorted table with ``first <= frame <= last``."""
    lo, hi = np.searchsorted(table.frames, [first, last + 1])
    return BoxTable(
        frames=table.frames[lo:hi],
        ids=table.ids[lo:hi],
        boxes=table.boxes[lo:hi],
        confidences=table.confidences[lo:hi],
        distractor=table.distractor[lo:hi],
    )
