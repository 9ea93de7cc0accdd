"""MOTChallenge-layout folders as a :class:`Dataset`: one sequence folder is one camera.

Layout: ``<root>/<sequence>/det/det.txt``, ``gt/gt.txt`` and ``seqinfo.ini``. Files are parsed
lazily into NumPy arrays, once per camera and process; Detection objects are built one batch
at a time.
"""

from __future__ import annotations

import configparser
import itertools
import math
from collections.abc import Callable, Hashable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from trackbench.datasets.base import BoxTable, slice_frames
from trackbench.datasets.motfile import (
    SCORE_MAPS,
    ZERO_CONF_RULES,
    ScoreMap,
    ZeroConf,
    read_detections,
    read_ground_truth,
)
from trackbench.datasets.parse_cache import ParseCache
from trackbench.errors import TrackbenchError
from trackbench.types import CameraBatch, CameraInfo, Detection

# Parsed det and gt files of this process by file and (kind, parse options).
_PARSED: ParseCache[BoxTable] = ParseCache()
T = TypeVar("T")


# seqinfo values beyond any real recording: 10 million frames (3.8 days at 30 fps), 100k pixels.
_LARGEST = {"seqLength": 10_000_000, "imWidth": 100_000, "imHeight": 100_000, "frameRate": 100_000}


class MotDataset:
    """Sequences of a MOTChallenge folder; see :func:`read_detections` for the score rule and
    :func:`read_ground_truth` for the ground-truth class conventions (same argument names).

    ``sequences`` selects folders (default: every folder with a det file, sorted);
    ``frame_range`` = (first, last) limits every sequence, clipped to its length (last None:
    to its end). Parsed files are kept per process (:data:`_PARSED`), so a file checked before
    tracking is not parsed again by the forked camera workers.
    """

    def __init__(
        self,
        root: str | Path,
        sequences: Sequence[str] | None = None,
        frame_range: tuple[int, int | None] | None = None,
        *,
        target_classes: Sequence[int] | None = (1,),
        distractor_classes: Sequence[int] = (2, 7, 8, 12),
        zero_conf: ZeroConf = "drop",
        min_score: float | None = None,
        score_map: ScoreMap = "none",
        det_file: str = "det/det.txt",
        gt_file: str = "gt/gt.txt",
        name: str = "mot",
    ) -> None:
        self.name = name
        self.root = Path(root)
        self.det_file = det_file
        self.gt_file = gt_file
        self.target_classes = None if target_classes is None else tuple(int(c) for c in target_classes)
        self.distractor_classes = tuple(int(c) for c in distractor_classes)
        self.zero_conf = zero_conf
        self.min_score = None if min_score is None else float(min_score)
        self.score_map = score_map
        if score_map not in SCORE_MAPS:
            raise TrackbenchError(f"score_map {score_map!r} is not one of {', '.join(SCORE_MAPS)}")
        if zero_conf not in ZERO_CONF_RULES:
            raise TrackbenchError(f"zero_conf {zero_conf!r} is not one of {', '.join(ZERO_CONF_RULES)}")
        if frame_range is not None:
            first, last = int(frame_range[0]), None if frame_range[1] is None else int(frame_range[1])
            if first < 1:
                raise TrackbenchError(f"dataset.first_frame={first} must be >= 1 (frames are 1-based)")
            if last is not None and last < first:
                raise TrackbenchError(f"dataset.last_frame={last} is before dataset.first_frame={first}")
            frame_range = (first, last)
        self.frame_range = frame_range
        if not self.root.is_dir():
            raise TrackbenchError(f"{self.root}: dataset folder not found")
        self.sequences = self._select(sequences)
        self._cache: dict[tuple[str, str], Any] = {}

    def _select(self, sequences: Sequence[str] | None) -> tuple[str, ...]:
        """The requested sequences, each checked to have its det file."""
        if sequences is None:
            found = sorted(p.name for p in self.root.iterdir() if (p / self.det_file).is_file())
            if not found:
                raise TrackbenchError(f"{self.root}: no sequence folder with a {self.det_file}")
            return tuple(found)
        for seq in sequences:
            if not (self.root / seq).is_dir():
                raise TrackbenchError(f"{self.root / seq}: sequence folder not found")
            if not (self.root / seq / self.det_file).is_file():
                raise TrackbenchError(f"{self.root / seq / self.det_file}: detection file not found")
        if len(set(sequences)) != len(sequences):
            raise TrackbenchError(f"sequences {tuple(sequences)} name a sequence twice")
        return tuple(sequences)

    # Parsed data lives in a per-process cache that pickling leaves out.
    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_cache"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._cache = {}

    def _cached(self, kind: str, seq: str, make: Callable[[], T]) -> T:
        key = (kind, seq)
        if key not in self._cache:
            self._cache[key] = make()
        value: T = self._cache[key]  # what make() returned for this kind
        return value

    def _parsed(self, kind: str, path: Path, options: tuple[Hashable, ...], make: Callable[[], BoxTable]) -> BoxTable:
        """A file's parse, shared by every dataset object of this process (and inherited by forked
        workers); a file changed on disk since is parsed again."""
        return _PARSED.get(path, make, kind, options)

    def _check_camera(self, camera_id: str) -> None:
        if camera_id not in self.sequences:
            raise TrackbenchError(f"unknown camera {camera_id!r}; cameras are {', '.join(self.sequences)}")

    def _seqinfo(self, seq: str) -> dict[str, str]:
        """The [Sequence] section of seqinfo.ini (keys lower-cased), empty when the file is absent."""
        path = self.root / seq / "seqinfo.ini"
        if not path.is_file():
            return {}
        parser = configparser.ConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except configparser.Error as exc:
            raise TrackbenchError(f"{path}: not a valid ini file ({str(exc).splitlines()[0]})") from None
        return dict(parser["Sequence"]) if parser.has_section("Sequence") else {}

    def _seqinfo_number(self, seq: str, key: str, kind: type) -> Any:
        value = self._cached("seqinfo", seq, lambda: self._seqinfo(seq)).get(key.lower())
        if value is None:
            return None
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        path = self.root / seq / "seqinfo.ini"
        if kind is int and math.isfinite(number) and number != round(number):
            raise TrackbenchError(f"{path}: {key}={value!r} is not a whole number")
        if not (math.isfinite(number) and number > 0):
            raise TrackbenchError(f"{path}: {key}={value!r} is not a positive number")
        if number > _LARGEST.get(key, math.inf):  # every frame up to seqLength is tracked: a typo would never end
            raise TrackbenchError(f"{path}: {key}={value!r} is too large (at most {_LARGEST[key]:,})")
        return kind(number)

    def _detections(self, seq: str) -> BoxTable:
        path = self.root / seq / self.det_file
        last = self._seqinfo_number(seq, "seqLength", int)
        options = (self.min_score, self.score_map, last)

        def parse() -> BoxTable:
            return read_detections(path, min_score=self.min_score, score_map=self.score_map, last_frame=last)

        return self._cached("det", seq, lambda: self._parsed("det", path, options, parse))

    def _ground_truth(self, seq: str) -> BoxTable:
        path = self.root / seq / self.gt_file
        if not path.is_file():
            raise TrackbenchError(f"{path}: ground-truth file not found (select scored sequences with dataset.cameras)")
        last = self._seqinfo_number(seq, "seqLength", int)
        options = (self.target_classes, self.distractor_classes, self.zero_conf, last)

        def parse() -> BoxTable:
            return read_ground_truth(
                path,
                target_classes=self.target_classes,
                distractor_classes=self.distractor_classes,
                zero_conf=self.zero_conf,
                last_frame=last,
            )

        return self._cached("gt", seq, lambda: self._parsed("gt", path, options, parse))

    def _length(self, seq: str) -> int:
        """seqLength from seqinfo.ini, else the last frame found in the det and gt files."""
        length = self._seqinfo_number(seq, "seqLength", int)
        if length is None:
            tables = [self._detections(seq)]
            if (self.root / seq / self.gt_file).is_file():
                tables.append(self._ground_truth(seq))
            length = max((int(t.frames.max()) for t in tables if len(t)), default=0)
            if length == 0:
                raise TrackbenchError(f"{self.root / seq}: no seqinfo.ini and no rows to infer the length")
        return length

    def camera(self, camera_id: str) -> CameraInfo:
        """Facts about one selected camera, its frames limited to ``frame_range``."""
        self._check_camera(camera_id)
        length = self._length(camera_id)
        first, last = self.frame_range or (1, length)
        last = length if last is None else min(last, length)
        if first > last:
            raise TrackbenchError(
                f"dataset.first_frame={first} lies beyond the end of {camera_id} (its last frame is {length})"
            )
        return CameraInfo(
            camera_id=camera_id,
            first_frame=first,
            last_frame=last,
            width=self._seqinfo_number(camera_id, "imWidth", int),
            height=self._seqinfo_number(camera_id, "imHeight", int),
            frame_rate=self._seqinfo_number(camera_id, "frameRate", float),
        )

    def cameras(self) -> tuple[CameraInfo, ...]:
        return tuple(self.camera(seq) for seq in self.sequences)

    def iter_batches(self, camera_id: str, batch_size: int) -> Iterator[CameraBatch]:
        if batch_size < 1:
            raise TrackbenchError(f"batch_size must be >= 1, got {batch_size}")
        info = self.camera(camera_id)
        return batches_from_table(self._detections(camera_id), info, batch_size)

    def ground_truth(self, camera_id: str) -> BoxTable:
        info = self.camera(camera_id)
        return slice_frames(self._ground_truth(camera_id), info.first_frame, info.last_frame)

    def sequence_length(self, camera_id: str) -> int:
        """The sequence's last frame (seqinfo's seqLength, else inferred), whatever the frame range."""
        self._check_camera(camera_id)
        return self._length(camera_id)

    def validate(self, camera_id: str) -> tuple[str, ...]:
        """Parse the camera's det and gt files now (before any tracking; the parse is kept for
        it). Raises for a file that cannot be scored; returns warnings (no detections)."""
        info = self.camera(camera_id)
        gt = self.ground_truth(camera_id)
        if not int((~gt.distractor).sum()):
            wanted = self.target_classes
            classes = "every class" if wanted is None else f"class {', '.join(map(str, wanted))}"
            raise TrackbenchError(
                f"{self.root / camera_id / self.gt_file}: no ground-truth row to score in frames "
                f"{info.first_frame}..{info.last_frame} ({classes}, dataset.files.zero_conf={self.zero_conf}); "
                "leave the camera out with dataset.cameras or check dataset.files.target_classes"
            )
        det = slice_frames(self._detections(camera_id), info.first_frame, info.last_frame)
        if not len(det):
            return (
                f"{self.root / camera_id / self.det_file}: no detections in frames {info.first_frame}.."
                f"{info.last_frame}; camera {camera_id} scores every ground-truth box as missed",
            )
        return ()


def batches_from_table(table: BoxTable, info: CameraInfo, batch_size: int) -> Iterator[CameraBatch]:
    """Batches of ``batch_size`` consecutive frames over ``info``'s range from a frame-sorted table;
    Detection objects exist only for the batch being yielded."""
    for start in range(info.first_frame, info.last_frame + 1, batch_size):
        stop = min(start + batch_size, info.last_frame + 1)
        frames = range(start, stop)
        bounds = np.searchsorted(table.frames, np.arange(start, stop + 1)).tolist()
        lo, hi = bounds[0], bounds[-1]
        boxes, scores = table.boxes[lo:hi].tolist(), table.confidences[lo:hi].tolist()
        rows = [Detection(x, y, w, h, c) for (x, y, w, h), c in zip(boxes, scores, strict=True)]
        detections = tuple(tuple(rows[a - lo : b - lo]) for a, b in itertools.pairwise(bounds))
        yield CameraBatch(camera_id=info.camera_id, frames=tuple(frames), detections=detections)
