"""What a run leaves in its output directory; every file is written atomically.

- ``tracklets.jsonl``: one JSON object per Tracklet2D, every field, lossless (floats are
  written with Python's shortest round-trip repr); read back with :func:`read_tracklets`.
- ``mot/<camera_id>.txt``: MOTChallenge tracker files (``frame,id,x,y,w,h,conf,-1,-1,-1``) of
  exactly the frames that were scored, so TrackEval or the devkit score the same run.
- ``metrics.json``: overall and per-camera metrics, what was scored, timings.
- ``config.yaml``: the resolved configuration of the run.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from trackbench.datasets.motfile import write_results
from trackbench.scoring import hypotheses_from_tracklets
from trackbench.types import Tracklet2D


def atomic_write_text(path: Path, text: str) -> None:
    """Write a whole file or nothing: a crash never leaves half a file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def tracklet_to_json(t: Tracklet2D) -> str:
    return json.dumps(
        {
            "camera_id": t.camera_id,
            "track_id": t.track_id,
            "frames": list(t.frames),
            "centroids": [list(c) for c in t.centroids],
            "bboxes": [list(b) for b in t.bboxes],
            "frame_status": list(t.frame_status),
        },
        separators=(",", ":"),
    )


def tracklet_from_json(line: str) -> Tracklet2D:
    d = json.loads(line)
    return Tracklet2D(
        camera_id=d["camera_id"],
        track_id=d["track_id"],
        frames=tuple(d["frames"]),
        centroids=tuple((c[0], c[1]) for c in d["centroids"]),
        bboxes=tuple((b[0], b[1], b[2], b[3]) for b in d["bboxes"]),
        frame_status=tuple(d["frame_status"]),
    )


def write_tracklets(path: Path, tracklets: Iterable[Tracklet2D]) -> None:
    atomic_write_text(path, "".join(tracklet_to_json(t) + "\n" for t in tracklets))


def read_tracklets(path: Path) -> tuple[Tracklet2D, ...]:
    with open(path, encoding="utf-8") as handle:
        return tuple(tracklet_from_json(line) for line in handle if line.strip())


def write_mot_results(path: Path, tracklets: Iterable[Tracklet2D], frames: str) -> None:
    """The scored rows of one camera as a MOTChallenge tracker file, sorted by frame and id."""
    table = hypotheses_from_tracklets(tracklets, frames)
    order = np.lexsort((table.ids, table.frames))
    tmp = path.with_name(f".{path.name}.tmp")
    write_results(tmp, table.frames[order], table.ids[order], table.boxes[order], table.confidences[order])
    os.replace(tmp, path)


def write_json(path: Path, data: Mapping[str, Any]) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True, allow_nan=True) + "\n")
