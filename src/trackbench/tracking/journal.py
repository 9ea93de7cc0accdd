"""The Python backend's carry value: a tracker checkpoint plus a journal of the detections fed
to it since, so a snapshot is needed only every ``checkpoint_frames`` frames, not every batch.

Resuming from a value restores the checkpoint (or starts a fresh tracker when there is none)
and replays the journaled frames through the same code path; boxmot is deterministic for the
same inputs, so this gives exactly the state the live tracker had (pinned by the stage tests,
including across processes). The value is one self-contained ``bytes`` object: immutable,
picklable, writable to disk. (Two values for the same tracker state need not be equal bytes:
a restored checkpoint may pickle with a different layout.)
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from trackbench.errors import TrackbenchError
from trackbench.tracking.config import DEFAULT_CHECKPOINT_FRAMES as DEFAULT_CHECKPOINT_FRAMES  # re-exported

_TAG = "trackbench-carry-v2"
_COLUMNS = 6  # boxmot's input rows: x1, y1, x2, y2, conf, cls


class Record(NamedTuple):
    """One batch's tracker input: consecutive frames from ``first_frame``, their detection
    counts (int64) and rows (float64, ``N x 6``), as raw bytes."""

    first_frame: int
    counts: bytes
    rows: bytes

    @property
    def n_frames(self) -> int:
        return len(self.counts) // 8


def record(first_frame: int, arrays: Sequence[np.ndarray]) -> Record:
    """Journal one batch: the exact arrays handed to boxmot, frame by frame."""
    counts = np.fromiter((len(a) for a in arrays), dtype=np.int64, count=len(arrays))
    rows = np.concatenate(arrays) if arrays else np.empty((0, _COLUMNS))
    return Record(first_frame, counts.tobytes(), np.ascontiguousarray(rows, dtype=np.float64).tobytes())


def frames_and_arrays(rec: Record) -> tuple[tuple[int, ...], list[np.ndarray]]:
    """The frames and per-frame arrays a record was made from (fresh, writable copies)."""
    counts = np.frombuffer(rec.counts, dtype=np.int64)
    rows = np.frombuffer(rec.rows, dtype=np.float64).reshape(-1, _COLUMNS)
    ends = np.cumsum(counts).tolist()
    starts = [0, *ends[:-1]]
    arrays = [rows[a:b].copy() for a, b in zip(starts, ends, strict=True)]
    return tuple(range(rec.first_frame, rec.first_frame + len(arrays))), arrays


@dataclass(frozen=True)
class Journal:
    """A camera's carry value, decoded: the last checkpoint (None: a fresh tracker) and the
    batches fed since."""

    checkpoint: bytes | None
    records: tuple[Record, ...] = ()

    @property
    def n_frames(self) -> int:
        return sum(r.n_frames for r in self.records)

    def add(self, rec: Record) -> Journal:
        return Journal(self.checkpoint, (*self.records, rec))

    def encode(self) -> bytes:
        payload = (_TAG, self.checkpoint, tuple(tuple(r) for r in self.records))
        return pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def decode(cls, value: bytes, camera_id: str) -> Journal:
        try:
            tag, checkpoint, records = pickle.loads(value)
            if tag != _TAG:
                raise ValueError(tag)
            return cls(checkpoint, tuple(Record(*r) for r in records))
        except Exception as exc:
            raise TrackbenchError(f"camera {camera_id}: the carry is not a trackbench tracker state ({exc})") from None
