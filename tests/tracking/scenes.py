"""Small seeded scenes for tracking tests: targets on straight lines with misses and clutter."""

from __future__ import annotations

import numpy as np

from trackbench.types import CameraBatch, Detection


def scene(
    seed: int, n_frames: int = 60, n_targets: int = 4, miss: float = 0.1, fp: float = 0.3
) -> list[tuple[Detection, ...]]:
    rng = np.random.default_rng(seed)
    start = rng.uniform([50, 50], [600, 400], size=(n_targets, 2))
    velocity = rng.uniform(-4, 4, size=(n_targets, 2))
    size = rng.uniform([20, 30], [50, 70], size=(n_targets, 2))
    frames = []
    for f in range(n_frames):
        dets = []
        for k in range(n_targets):
            if rng.random() < miss:
                continue
            x, y = start[k] + f * velocity[k] + rng.normal(0, 1.0, 2)
            dets.append(
                Detection(float(x), float(y), float(size[k, 0]), float(size[k, 1]), float(rng.uniform(0.5, 1.0)))
            )
        for _ in range(rng.poisson(fp)):
            x, y = rng.uniform([0, 0], [640, 480])
            dets.append(Detection(float(x), float(y), 30.0, 40.0, float(rng.uniform(0.2, 0.7))))
        frames.append(tuple(dets))
    return frames


def batches(camera_id: str, dets: list[tuple[Detection, ...]], size: int, first_frame: int = 1) -> list[CameraBatch]:
    out = []
    for i in range(0, len(dets), size):
        chunk = dets[i : i + size]
        frames = tuple(range(first_frame + i, first_frame + i + len(chunk)))
        out.append(CameraBatch(camera_id, frames, tuple(chunk)))
    return out
