"""``tracker=precomputed``: existing MOTChallenge result files scored instead of tracking.

``tracker.results_dir`` holds one ``<camera>.txt`` per camera of the dataset (TrackEval's
layout for one tracker); every row becomes a "detected" entry of a tracklet, so the files go
through exactly the scorer, outputs and MLflow logging of a tracked run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from trackbench.datasets.base import BoxTable, Dataset, slice_frames
from trackbench.datasets.motfile import read_results
from trackbench.datasets.parse_cache import ParseCache
from trackbench.errors import TrackbenchError
from trackbench.types import CameraInfo, ReportedRows, Tracklet2D


def results_file(results_dir: str, camera_id: str) -> Path:
    return Path(results_dir) / f"{camera_id}.txt"


def check_results(results_dir: str | None, dataset: Dataset, cameras: tuple[CameraInfo, ...]) -> tuple[str, ...]:
    """Before any work: the folder exists and holds, for every camera, a readable file with rows,
    none beyond the camera's sequence (as for a det file). Returns a warning for each file with
    no row in its camera's scored frames."""
    if not results_dir:
        raise TrackbenchError("tracker.results_dir must name a folder of <camera>.txt files for tracker=precomputed")
    folder = Path(results_dir)
    if not folder.is_dir():
        raise TrackbenchError(f"tracker.results_dir: {folder} is not a folder")
    warnings: list[str] = []
    for camera in cameras:
        path = results_file(results_dir, camera.camera_id)
        if not path.is_file():
            raise TrackbenchError(f"tracker.results_dir: no result file {path} for camera {camera.camera_id!r}")
        # malformed rows, or rows past the sequence's end: one line naming file and line
        table = _read(path, dataset.sequence_length(camera.camera_id))
        if not len(table):
            raise TrackbenchError(f"{path}: no result rows (an empty file); tracker=precomputed scores its rows")
        if not len(slice_frames(table, camera.first_frame, camera.last_frame)):
            warnings.append(
                f"{path}: no result rows in frames {camera.first_frame}..{camera.last_frame}; "
                f"camera {camera.camera_id} scores every ground-truth box as missed"
            )
    return tuple(warnings)


# Result files checked before tracking (``last_frame`` only checks: the parse is the same): read
# again only if changed.
_PARSED: ParseCache[BoxTable] = ParseCache()


def _read(path: Path, last_frame: int) -> BoxTable:
    return _PARSED.get(path, lambda: read_results(path, last_frame=last_frame))


def read_tracklets(results_dir: str, camera: CameraInfo) -> tuple[Tracklet2D, ...]:
    """One camera's result rows within its frame range as tracklets (every entry detected),
    in id order."""
    path = results_file(results_dir, camera.camera_id)
    table = _PARSED.peek(path)
    if table is None:
        table = read_results(path)
    table = slice_frames(table, camera.first_frame, camera.last_frame)
    if not len(table):
        return ()
    order = np.lexsort((table.frames, table.ids))
    ids, frames, boxes = table.ids[order], table.frames[order], table.boxes[order]
    cuts = np.flatnonzero(np.diff(ids)) + 1
    tracklets = []
    for lo, hi in zip(np.r_[0, cuts].tolist(), np.r_[cuts, len(ids)].tolist(), strict=True):
        bboxes = tuple((x, y, w, h) for x, y, w, h in boxes[lo:hi].tolist())
        tracklets.append(
            Tracklet2D(
                camera_id=camera.camera_id,
                track_id=int(ids[lo]),
                frames=tuple(frames[lo:hi].tolist()),
                centroids=tuple((x + w / 2.0, y + h / 2.0) for x, y, w, h in bboxes),
                bboxes=bboxes,
                frame_status=("detected",) * (hi - lo),
            )
        )
    return tuple(tracklets)


def reported_rows(camera_id: str, tracklets: tuple[Tracklet2D, ...]) -> ReportedRows:
    """A result file is what some tracker reported: every row, in frame then id order."""
    rows = sorted((f, t.track_id, b) for t in tracklets for f, b in zip(t.frames, t.bboxes, strict=True))
    return ReportedRows(camera_id, tuple(r[0] for r in rows), tuple(r[1] for r in rows), tuple(r[2] for r in rows))
