"""One place that turns a DatasetConfig into a Dataset."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, TypedDict

from trackbench.datasets.base import BoxTable, Dataset
from trackbench.datasets.mot import MotDataset
from trackbench.datasets.synthetic import SyntheticDataset
from trackbench.datasets.tud import TudDataset
from trackbench.errors import TrackbenchError
from trackbench.types import CameraBatch, CameraInfo

if TYPE_CHECKING:  # config sits above datasets: its DatasetConfig is read here, not imported
    from trackbench.config import DatasetConfig
    from trackbench.datasets.motfile import ScoreMap, ZeroConf


class CameraSubset:
    """A dataset restricted to some of its cameras, in the order given."""

    def __init__(self, dataset: Dataset, camera_ids: tuple[str, ...]) -> None:
        known = {c.camera_id: c for c in dataset.cameras()}
        for camera_id in camera_ids:
            if camera_id not in known:
                raise TrackbenchError(f"dataset.cameras: unknown camera {camera_id!r}; available: {', '.join(known)}")
        self.name = dataset.name
        self._dataset = dataset
        self._cameras = tuple(known[c] for c in camera_ids)

    def cameras(self) -> tuple[CameraInfo, ...]:
        return self._cameras

    def iter_batches(self, camera_id: str, batch_size: int) -> Iterator[CameraBatch]:
        return self._dataset.iter_batches(camera_id, batch_size)

    def ground_truth(self, camera_id: str) -> BoxTable:
        return self._dataset.ground_truth(camera_id)

    def sequence_length(self, camera_id: str) -> int:
        return self._dataset.sequence_length(camera_id)

    def validate(self, camera_id: str) -> tuple[str, ...]:
        return self._dataset.validate(camera_id)


class _Reading(TypedDict):
    """The file options MotDataset and TudDataset share (config.FileOptions but the file names)."""

    target_classes: tuple[int, ...] | None
    distractor_classes: tuple[int, ...]
    zero_conf: ZeroConf
    min_score: float | None
    score_map: ScoreMap


def _frame_range(cfg: DatasetConfig) -> tuple[int, int | None] | None:
    """(first, last) of the config (last None: to each sequence's end)."""
    if cfg.first_frame is None and cfg.last_frame is None:
        return None
    return (1 if cfg.first_frame is None else cfg.first_frame, cfg.last_frame)


def apply_split(cfg: DatasetConfig) -> DatasetConfig:
    """The dataset config restricted to ``cfg.split`` (validated by config.validate_splits)."""
    if cfg.split == "all":
        return cfg
    spec = getattr(cfg.splits, cfg.split)
    changes: dict = {}
    if spec.cameras is not None:
        changes["cameras"] = spec.cameras
    if spec.first_frame is not None:
        changes["first_frame"] = spec.first_frame
    if spec.last_frame is not None:
        changes["last_frame"] = spec.last_frame
    if spec.seed is not None:
        changes["synthetic"] = replace(cfg.synthetic, seed=spec.seed)
    return replace(cfg, **changes)


def open_dataset(cfg: DatasetConfig) -> Dataset:
    """Build the configured dataset, restricted to its split (cheap: data is read lazily)."""
    cfg = apply_split(cfg)
    f = cfg.files
    if cfg.name == "synthetic":
        if cfg.first_frame is not None or cfg.last_frame is not None:
            raise TrackbenchError("dataset.first_frame/last_frame: use dataset.synthetic.n_frames for synthetic data")
        dataset = SyntheticDataset(cfg.synthetic)
        return dataset if cfg.cameras is None else CameraSubset(dataset, cfg.cameras)
    reading = _Reading(  # how both MOTChallenge sources read their files
        target_classes=f.target_classes,
        distractor_classes=f.distractor_classes,
        zero_conf=f.zero_conf,
        min_score=f.min_score,
        score_map=f.score_map,
    )
    if cfg.name == "mot":
        return MotDataset(
            cfg.root or "", cfg.cameras, _frame_range(cfg), det_file=f.det_file, gt_file=f.gt_file, **reading
        )
    return TudDataset(cfg.cameras, _frame_range(cfg), **reading)
