"""Error events: the rows behind a camera's FP, FN, IDSW and Frag counts, and their CSV file.

NumPy only (no scoring imports), so readers such as a run-vs-run diff stay cheap. The file is
``errors/<camera>.csv`` in a run's folder, one row per event, with the header :data:`COLUMNS`:

- ``kind``: ``fn`` (a ground-truth box no hypothesis matched), ``fp`` (a hypothesis box matched
  to no ground truth), ``idsw`` (a ground-truth animal matched to another hypothesis than at its
  last match), ``frag`` (a ground-truth animal tracked again after frames it was not);
- ``frame``; ``gt_id`` (-1 for ``fp``); ``hyp_id`` (-1 for ``fn``; for ``idsw``/``frag`` the
  hypothesis that holds the animal now); ``prev_hyp_id`` (``idsw``/``frag``: the hypothesis
  that held it at its last match; -1 otherwise);
- ``x, y, w, h``: the ground-truth box (``fn``, ``idsw``, ``frag``) or the hypothesis box (``fp``).

Rows are sorted by frame, then kind in :data:`KINDS` order, then gt id, then hypothesis id.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trackbench.artifacts._csv import csv_text, float_texts, int_texts
from trackbench.errors import TrackbenchError

KINDS: tuple[str, ...] = ("fn", "fp", "idsw", "frag")
COLUMNS: tuple[str, ...] = ("kind", "frame", "gt_id", "hyp_id", "prev_hyp_id", "x", "y", "w", "h")
NONE = -1  # an id that does not apply to the event's kind


@dataclass(frozen=True, slots=True, eq=False)
class ErrorEvents:
    """One camera's error events as parallel arrays (``kinds`` holds indices into :data:`KINDS`)."""

    kinds: np.ndarray  # int8, index into KINDS
    frames: np.ndarray  # int64
    gt_ids: np.ndarray  # int64, NONE for fp
    hyp_ids: np.ndarray  # int64, NONE for fn
    prev_hyp_ids: np.ndarray  # int64, NONE unless idsw / frag
    boxes: np.ndarray  # (N, 4) float64 x, y, w, h

    @staticmethod
    def empty() -> ErrorEvents:
        return ErrorEvents(
            np.empty(0, np.int8),
            np.empty(0, np.int64),
            np.empty(0, np.int64),
            np.empty(0, np.int64),
            np.empty(0, np.int64),
            np.empty((0, 4), np.float64),
        )

    def __len__(self) -> int:
        return int(self.frames.shape[0])

    def counts(self) -> dict[str, int]:
        """Events per kind, every kind present (0 when none)."""
        found = np.bincount(self.kinds.astype(np.int64), minlength=len(KINDS))
        return {kind: int(found[i]) for i, kind in enumerate(KINDS)}

    def sorted(self) -> ErrorEvents:
        """The same events in the file's order (frame, kind, gt id, hypothesis id)."""
        order = np.lexsort((self.hyp_ids, self.gt_ids, self.kinds, self.frames))
        return ErrorEvents(
            self.kinds[order],
            self.frames[order],
            self.gt_ids[order],
            self.hyp_ids[order],
            self.prev_hyp_ids[order],
            self.boxes[order],
        )


def format_events(events: ErrorEvents) -> str:
    """The CSV text of ``events`` (header first; floats in shortest round-trip form)."""
    events = events.sorted()
    kinds = np.array(KINDS, dtype=object)[events.kinds.astype(np.int64)].tolist()
    ids = (events.frames, events.gt_ids, events.hyp_ids, events.prev_hyp_ids)
    boxes = np.asarray(events.boxes, np.float64).reshape(-1, 4)
    coordinates = [float_texts(boxes[:, k]) for k in range(4)]
    return csv_text(COLUMNS, [kinds, *(int_texts(i) for i in ids), *coordinates])


def parse_events(text: str, path: str | Path = "<events>") -> ErrorEvents:
    """Events from CSV text written by :func:`format_events`; a bad line is one error naming it."""
    lines = text.splitlines()
    if not lines or tuple(lines[0].strip().split(",")) != COLUMNS:
        raise TrackbenchError(f"{path}:1: expected the header {','.join(COLUMNS)}")
    kinds: list[int] = []
    numbers: list[list[float]] = []
    for number, line in enumerate(lines[1:], 2):
        if not line.strip():
            continue
        fields = line.strip().split(",")
        if len(fields) != len(COLUMNS):
            raise TrackbenchError(f"{path}:{number}: has {len(fields)} columns, expected {len(COLUMNS)}")
        if fields[0] not in KINDS:
            raise TrackbenchError(f"{path}:{number}: kind {fields[0]!r} is not one of {', '.join(KINDS)}")
        try:
            values = [float(f) for f in fields[1:]]
        except ValueError:
            raise TrackbenchError(f"{path}:{number}: a column after kind is not a number") from None
        kinds.append(KINDS.index(fields[0]))
        numbers.append(values)
    if not numbers:
        return ErrorEvents.empty()
    data = np.array(numbers, np.float64)
    return ErrorEvents(
        np.array(kinds, np.int8),
        data[:, 0].astype(np.int64),
        data[:, 1].astype(np.int64),
        data[:, 2].astype(np.int64),
        data[:, 3].astype(np.int64),
        np.ascontiguousarray(data[:, 4:8]),
    )


def read_events(path: str | Path) -> ErrorEvents:
    """One ``errors/<camera>.csv`` file."""
    path = Path(path)
    if not path.is_file():
        raise TrackbenchError(f"{path}: events file not found")
    return parse_events(path.read_text(encoding="utf-8"), path)
