"""A camera's progress on disk, so a killed run can be resumed (``runner.resume=<output_dir>``).

Per camera, in ``<output_dir>/checkpoints/``:
- ``<camera>.batches``: appended after every batch, one pickled record per batch: its number,
  the tracklet pieces and the reported rows it produced;
- ``<camera>.carry``: replaced atomically after the batch's record: how many batches are done
  and the carry after them (the Python backend's carry is self-contained bytes).
The carry file is the commit point: a record beyond its count (the process died between the two
writes) is ignored on resume. The folder is removed when the run has written its results, so a
finished run's folder is the same as one never interrupted. SIGKILL loses nothing written
(the page cache survives the process); a power cut may lose the last batches, which then run again.
"""

from __future__ import annotations

import os
import pickle
import shutil
from dataclasses import dataclass
from pathlib import Path

from trackbench.config import load_config
from trackbench.config.settings import to_flat_dict
from trackbench.errors import TrackbenchError
from trackbench.types import CarryForward, ReportedRows, Tracklet2D

FOLDER = "checkpoints"
RUN_ID_FILE = "mlflow_run_id"  # the interrupted run's MLflow id, for the resumed run's record
_TAG = "trackbench-camera-checkpoint-v1"


@dataclass(frozen=True)
class Progress:
    """A camera's state after ``batches`` batches."""

    batches: int
    carry: CarryForward
    pieces: tuple[Tracklet2D, ...]
    reported: tuple[ReportedRows, ...]


class CameraCheckpoints:
    def __init__(self, output_dir: Path, camera_id: str) -> None:
        self.folder = Path(output_dir) / FOLDER
        self.camera_id = camera_id
        self._batches = self.folder / f"{camera_id}.batches"
        self._carry = self.folder / f"{camera_id}.carry"

    def start(self) -> None:
        """A fresh camera: no progress kept from before."""
        self.folder.mkdir(parents=True, exist_ok=True)
        for path in (self._batches, self._carry):
            path.unlink(missing_ok=True)

    def save(
        self, done: int, carry: CarryForward, pieces: tuple[Tracklet2D, ...], reported: tuple[ReportedRows, ...]
    ) -> None:
        """Batch number ``done - 1`` finished with these pieces and reported rows; ``carry`` after it."""
        with self._batches.open("ab") as f:
            pickle.dump((done - 1, pieces, reported), f, protocol=pickle.HIGHEST_PROTOCOL)
        tmp = self._carry.with_suffix(".carry.tmp")
        tmp.write_bytes(pickle.dumps((_TAG, done, carry), protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(tmp, self._carry)

    def load(self) -> Progress:
        """The last committed progress (none: zero batches)."""
        if not self._carry.exists():
            return Progress(0, CarryForward(), (), ())
        try:
            tag, done, carry = pickle.loads(self._carry.read_bytes())
        except Exception as exc:  # truncated or foreign file
            raise TrackbenchError(f"{self._carry}: unreadable checkpoint ({type(exc).__name__})") from None
        if tag != _TAG:
            raise TrackbenchError(f"{self._carry}: not a trackbench camera checkpoint")
        pieces: list[Tracklet2D] = []
        reported: list[ReportedRows] = []
        seen = 0
        with self._batches.open("rb") as f:
            while seen < done:
                try:
                    number, batch_pieces, batch_reported = pickle.load(f)
                except EOFError:
                    raise TrackbenchError(f"{self._batches}: {seen} batches recorded, checkpoint says {done}") from None
                if number != seen:
                    raise TrackbenchError(f"{self._batches}: batch {number} where {seen} was expected")
                pieces.extend(batch_pieces)
                reported.extend(batch_reported)
                seen += 1
        return Progress(done, carry, tuple(pieces), tuple(reported))


def remove(output_dir: Path) -> None:
    shutil.rmtree(Path(output_dir) / FOLDER, ignore_errors=True)


def exists(output_dir: Path) -> bool:
    return (Path(output_dir) / FOLDER).is_dir()


def write_run_id(output_dir: Path, run_id: str) -> None:
    folder = Path(output_dir) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    (folder / RUN_ID_FILE).write_text(run_id)


def read_run_id(output_dir: Path) -> str | None:
    path = Path(output_dir) / FOLDER / RUN_ID_FILE
    if not path.exists():
        return None
    return path.read_text().strip() or None


# What must match between the interrupted run and its resumption: everything that shapes the
# results (how the cameras run, how they are logged, may differ).
_SAME = ("tracker.", "dataset.", "eval.", "runner.batch_size", "runner.checkpoint_frames")


def check_resumable(folder: Path, flat: dict[str, object], backend: str) -> None:
    """``folder`` is an interrupted run of the same config (``flat``: the resuming run's config,
    flattened): one line naming what is wrong otherwise."""
    from omegaconf import OmegaConf

    if backend != "python":
        raise TrackbenchError("runner.resume: needs tracker.backend=python (a C++ tracker's state cannot be saved)")
    saved = folder / "config.yaml"
    if not saved.is_file():
        raise TrackbenchError(f"runner.resume={folder}: no config.yaml there; not a trackbench run folder")
    if not exists(folder):
        done = " (it finished: metrics.json is there)" if (folder / "metrics.json").exists() else ""
        raise TrackbenchError(f"runner.resume={folder}: no {FOLDER}/ folder to resume from{done}")
    before = to_flat_dict(load_config(OmegaConf.to_container(OmegaConf.load(saved), resolve=True)))
    for key in sorted(set(before) | set(flat)):
        if key.startswith(_SAME) and before.get(key) != flat.get(key):
            raise TrackbenchError(
                f"runner.resume={folder}: {key} was {before.get(key)!r} there, is {flat.get(key)!r} now; "
                "resume with the interrupted run's config"
            )
