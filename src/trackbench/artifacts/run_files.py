"""What a run leaves in its output directory; every file is written atomically.

- ``tracklets/<camera_id>.jsonl``: one JSON object per Tracklet2D, every field, lossless
  (floats are written with Python's shortest round-trip repr); read back with
  :func:`read_tracklets` (one file or the whole folder).
- ``mot/<camera_id>.txt``: MOTChallenge tracker files (``frame,id,x,y,w,h,conf,-1,-1,-1``) of
  exactly the frames that were scored, so TrackEval or the devkit score the same run.
- ``errors/<camera_id>.csv``: the camera's error events (:mod:`trackbench.artifacts.events`).
- ``metrics.json``: overall and per-camera metrics, identity and attribution, what was scored, timings.
- ``config.yaml``: the resolved configuration of the run.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from trackbench.artifacts.events import ErrorEvents, format_events
from trackbench.artifacts.identity import IdentityFrames, format_identity
from trackbench.datasets.base import BoxTable
from trackbench.datasets.motfile import write_results
from trackbench.tracking.hypotheses import FrameMode, hypotheses_from_tracklets
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
    """Tracklets from one ``.jsonl`` file, or from every ``*.jsonl`` file of a folder."""
    path = Path(path)
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    out: list[Tracklet2D] = []
    for file in files:
        with open(file, encoding="utf-8") as handle:
            out.extend(tracklet_from_json(line) for line in handle if line.strip())
    return tuple(out)


def write_camera_files(output_dir: Path, camera_id: str, tracklets: Sequence[Tracklet2D], scored: BoxTable) -> None:
    """A camera's tracklets (in full, whatever was scored) and its MOTChallenge result file of
    the ``scored`` rows (written by its worker), into the run's :data:`STAGING` folder."""
    staging = Path(output_dir) / STAGING
    write_tracklets(staging / "tracklets" / f"{camera_id}.jsonl", tracklets)
    (staging / "mot").mkdir(parents=True, exist_ok=True)
    write_mot_table(staging / "mot" / f"{camera_id}.txt", scored)


# Per-camera result folders are written under STAGING while the run goes on and moved into the
# run's folder by publish() once every camera is scored: a run that failed or was killed shows
# no partial mot/ or tracklets/ as results (its trackbench.log says why; its checkpoints/ resume it).
STAGING = "incomplete"
CAMERA_FOLDERS = ("mot", "tracklets", "errors", "identity")


def publish(output_dir: Path) -> None:
    """Move the staged result folders into ``output_dir`` (replacing a resumed run's), then
    remove the staging folder."""
    staging = Path(output_dir) / STAGING
    for name in CAMERA_FOLDERS:
        if (staging / name).is_dir():
            target = Path(output_dir) / name
            if target.exists():
                shutil.rmtree(target)
            os.replace(staging / name, target)
    if staging.is_dir():
        shutil.rmtree(staging)


def write_identity(output_dir: Path, camera_id: str, holders: IdentityFrames, boxes: np.ndarray) -> None:
    """A camera's ``identity/<camera>.csv``: who held each scored ground-truth box (staged)."""
    atomic_write_text(Path(output_dir) / STAGING / "identity" / f"{camera_id}.csv", format_identity(holders, boxes))


def write_events(output_dir: Path, camera_id: str, events: ErrorEvents) -> None:
    """A camera's error events as ``errors/<camera>.csv`` (written where it is scored), staged
    with the other per-camera folders."""
    atomic_write_text(Path(output_dir) / STAGING / "errors" / f"{camera_id}.csv", format_events(events))


# (track_id, first frame, number of frames, status): a run of consecutive same-status entries
Span = tuple[int, int, int, str]


def timeline_spans(tracklets: Sequence[Tracklet2D]) -> tuple[Span, ...]:
    """Runs of consecutive frames with the same status, per tracklet: all a timeline plot needs."""
    spans: list[Span] = []
    for t in tracklets:
        for frame, status in zip(t.frames, t.frame_status, strict=True):
            last = spans[-1] if spans else None
            if last and last[0] == t.track_id and last[3] == status and last[1] + last[2] == frame:
                spans[-1] = (last[0], last[1], last[2] + 1, status)
            else:
                spans.append((t.track_id, frame, 1, status))
    return tuple(spans)


def write_mot_results(path: Path, tracklets: Iterable[Tracklet2D], frames: FrameMode) -> None:
    """The scored rows of one camera as a MOTChallenge tracker file, sorted by frame and id."""
    write_mot_table(path, hypotheses_from_tracklets(tracklets, frames))


def write_mot_table(path: Path, table: BoxTable) -> None:
    """Hypothesis rows as a MOTChallenge tracker file, sorted by frame and id."""
    order = np.lexsort((table.ids, table.frames))
    tmp = path.with_name(f".{path.name}.tmp")
    write_results(tmp, table.frames[order], table.ids[order], table.boxes[order], table.confidences[order])
    os.replace(tmp, path)


def write_json(path: Path, data: Mapping[str, Any]) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True, allow_nan=True) + "\n")
