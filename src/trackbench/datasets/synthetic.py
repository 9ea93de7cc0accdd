"""The embedded default dataset: seeded fish in a tank seen by synchronized pinhole cameras.

Nothing is downloaded. The 3D world depends on the seed alone; each camera's detector noise
draws from its own stream keyed by ``(seed, camera index)``, so a camera's data does not change
when cameras are added or removed. Everything is generated lazily, per camera, and cached.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from trackbench.datasets.base import BoxTable
from trackbench.datasets.fishtank import FishWorld, place_camera, project_fish, simulate_world
from trackbench.datasets.synthetic_config import SyntheticConfig
from trackbench.errors import TrackbenchError
from trackbench.types import CameraBatch, CameraInfo, Detection

_DETECTION_STREAM = 1
_CACHED_CAMERAS = 8  # per process; bounds memory on long workloads
# A process's simulated scene and cameras by config: every trial of a sweep with the same dataset
# (and every job of a warm worker process) reuses them instead of simulating again.
_WORLDS: dict[SyntheticConfig, FishWorld] = {}
_CAMERAS: OrderedDict[tuple[SyntheticConfig, int], tuple[BoxTable, DetectionArrays]] = OrderedDict()
_FISH_CLASS = 0


@dataclass(frozen=True, slots=True, eq=False)
class DetectionArrays:
    """One camera's detections as parallel arrays sorted by frame: ``frames`` int64 ``(N,)``,
    ``boxes`` float64 ``(N, 4)`` as ``x, y, w, h``, ``confidences`` float64 ``(N,)``."""

    frames: np.ndarray
    boxes: np.ndarray
    confidences: np.ndarray

    def __len__(self) -> int:
        return int(self.frames.shape[0])


def camera_index(cfg: SyntheticConfig, camera_id: str) -> int:
    """``"cam3"`` -> 3, or a TrackbenchError listing the valid ids."""
    suffix = camera_id[3:] if camera_id.startswith("cam") else ""
    if not (suffix.isdigit() and suffix == str(int(suffix)) and int(suffix) < cfg.n_cameras):
        raise TrackbenchError(f"synthetic dataset: unknown camera {camera_id!r}; expected cam0..cam{cfg.n_cameras - 1}")
    return int(suffix)


def _to_xywh(xyxy: np.ndarray) -> np.ndarray:
    return np.concatenate([xyxy[..., :2], xyxy[..., 2:] - xyxy[..., :2]], axis=-1)


def generate_camera(
    cfg: SyntheticConfig, index: int, world: FishWorld | None = None
) -> tuple[BoxTable, DetectionArrays]:
    """Ground truth and detections of camera ``index``; pass ``world`` to reuse a simulation."""
    view = project_fish(cfg, world if world is not None else simulate_world(cfg), place_camera(cfg, index))
    n_t, n_f = view.valid.shape
    rng = np.random.default_rng(np.random.SeedSequence(cfg.seed, spawn_key=(_DETECTION_STREAM, index)))
    uniform = rng.random((n_t, n_f, 2))
    edge_noise = rng.standard_normal((n_t, n_f, 4))
    tp_conf = rng.beta(cfg.tp_confidence_a, cfg.tp_confidence_b, (n_t, n_f))
    n_fp = rng.poisson(cfg.fp_rate, n_t)

    t_gt, f_gt = np.nonzero(view.valid)
    gt_boxes = _to_xywh(view.boxes[t_gt, f_gt])
    truth = BoxTable(
        frames=t_gt.astype(np.int64) + 1,
        ids=f_gt.astype(np.int64) + 1,
        boxes=gt_boxes,
        confidences=np.ones(len(t_gt)),
        distractor=np.zeros(len(t_gt), bool),
    )

    # Occlusion: a mostly covered fish is either merged into its occluder's box or missed more often.
    occluded = view.valid & (view.coverage > cfg.occlusion_threshold) & (view.occluder >= 0)
    merged = occluded & (uniform[..., 1] < cfg.occlusion_merge_rate)
    depth_of_cover = np.clip((view.coverage - cfg.occlusion_threshold) / (1.0 - cfg.occlusion_threshold), 0, 1)
    p_miss = 1.0 - (1.0 - cfg.miss_rate) * (1.0 - cfg.occlusion_miss_rate * depth_of_cover)
    detected = view.valid & ~merged & (uniform[..., 0] >= p_miss)
    det_xyxy = view.boxes.copy()
    t_m, f_m = np.nonzero(merged)
    occ = view.occluder[t_m, f_m]
    for k, union in enumerate((np.minimum, np.minimum, np.maximum, np.maximum)):
        union.at(det_xyxy[..., k], (t_m, occ), view.boxes[t_m, f_m, k])

    t_d, f_d = np.nonzero(detected)
    xywh = _to_xywh(det_xyxy[t_d, f_d])
    sigma = cfg.box_noise_px + cfg.box_noise_rel * np.tile(xywh[:, 2:], 2)
    x1y1x2y2 = det_xyxy[t_d, f_d] + sigma * edge_noise[t_d, f_d]
    conf = tp_conf[t_d, f_d] * (1.0 - cfg.occlusion_confidence_drop * view.coverage[t_d, f_d])

    # False positives: fish-sized boxes (sizes borrowed from this camera's truth) anywhere in the image.
    fp_frames = np.repeat(np.arange(1, n_t + 1, dtype=np.int64), n_fp)
    n = len(fp_frames)
    if len(gt_boxes):
        sizes = gt_boxes[rng.integers(0, len(gt_boxes), n), 2:] * rng.lognormal(0.0, 0.2, (n, 1))
    else:
        sizes = np.tile([cfg.image_width / 30.0, cfg.image_height / 30.0], (n, 1))
    sizes = np.minimum(sizes, [cfg.image_width, cfg.image_height])
    corner = rng.random((n, 2)) * ([cfg.image_width, cfg.image_height] - sizes)
    fp_conf = rng.beta(cfg.fp_confidence_a, cfg.fp_confidence_b, n)

    frames = np.concatenate([t_d.astype(np.int64) + 1, fp_frames])
    xyxy = np.concatenate([x1y1x2y2, np.concatenate([corner, corner + sizes], axis=1)])
    xyxy = np.clip(xyxy, 0.0, [cfg.image_width, cfg.image_height] * 2)
    keep = (xyxy[:, 2] - xyxy[:, 0] >= 1.0) & (xyxy[:, 3] - xyxy[:, 1] >= 1.0)
    # Shuffle within each frame so the row order leaks no fish identity.
    order = np.lexsort((rng.random(len(frames)), frames))
    order = order[keep[order]]
    detections = DetectionArrays(
        frames=frames[order],
        boxes=_to_xywh(xyxy[order]),
        confidences=np.clip(np.concatenate([conf, fp_conf])[order], 0.0, 1.0),
    )
    return truth, detections


class SyntheticDataset:
    """The :class:`~trackbench.datasets.base.Dataset` over :func:`generate_camera`; holds only
    the config when pickled."""

    name = "synthetic"

    def __init__(self, config: SyntheticConfig | None = None) -> None:
        self.config = config if config is not None else SyntheticConfig()
        self._world: FishWorld | None = None

    def __getstate__(self) -> dict[str, SyntheticConfig]:
        return {"config": self.config}

    def __setstate__(self, state: dict[str, SyntheticConfig]) -> None:
        self.config = state["config"]
        self._world = None

    def world(self) -> FishWorld:
        """The shared 3D simulation, computed once per process and config."""
        if self._world is None:
            self._world = _WORLDS.get(self.config)
            if self._world is None:
                self._world = simulate_world(self.config)
                _WORLDS.clear()  # one scene kept: a sweep's trials share it
                _WORLDS[self.config] = self._world
        return self._world

    def _camera(self, camera_id: str) -> tuple[BoxTable, DetectionArrays]:
        index = camera_index(self.config, camera_id)
        key = (self.config, index)
        if key not in _CAMERAS:
            _CAMERAS[key] = generate_camera(self.config, index, self.world())
            while len(_CAMERAS) > _CACHED_CAMERAS:
                _CAMERAS.popitem(last=False)
        _CAMERAS.move_to_end(key)
        return _CAMERAS[key]

    def cameras(self) -> tuple[CameraInfo, ...]:
        c = self.config
        return tuple(
            CameraInfo(f"cam{i}", 1, c.n_frames, c.image_width, c.image_height, c.frame_rate)
            for i in range(c.n_cameras)
        )

    def ground_truth(self, camera_id: str) -> BoxTable:
        return self._camera(camera_id)[0]

    def sequence_length(self, camera_id: str) -> int:
        camera_index(self.config, camera_id)
        return self.config.n_frames

    def validate(self, camera_id: str) -> tuple[str, ...]:
        """Nothing to parse: the scene is simulated from a validated config (in the worker)."""
        camera_index(self.config, camera_id)
        return ()

    def detections(self, camera_id: str) -> DetectionArrays:
        """One camera's detections as arrays (e.g. to write a MOTChallenge det file)."""
        return self._camera(camera_id)[1]

    def iter_batches(self, camera_id: str, batch_size: int) -> Iterator[CameraBatch]:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise TrackbenchError(f"batch_size={batch_size!r} must be a positive integer")
        dets = self.detections(camera_id)
        return _batches(camera_id, dets, self.config.n_frames, batch_size)


def _batches(camera_id: str, dets: DetectionArrays, n_frames: int, batch_size: int) -> Iterator[CameraBatch]:
    """Slice sorted detection arrays into batches, building Detection tuples one batch at a time."""
    starts = np.searchsorted(dets.frames, np.arange(1, n_frames + 2))
    for first in range(1, n_frames + 1, batch_size):
        last = min(first + batch_size - 1, n_frames)
        lo, hi = int(starts[first - 1]), int(starts[last])
        rows = np.column_stack([dets.boxes[lo:hi], dets.confidences[lo:hi]]).tolist()
        per_frame = []
        for frame in range(first, last + 1):
            a, b = int(starts[frame - 1]) - lo, int(starts[frame]) - lo
            per_frame.append(tuple(Detection(x, y, w, h, c, _FISH_CLASS) for x, y, w, h, c in rows[a:b]))
        yield CameraBatch(camera_id, tuple(range(first, last + 1)), tuple(per_frame))
