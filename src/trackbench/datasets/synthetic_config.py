"""The synthetic fish tank's settings (:class:`SyntheticConfig`), validated on construction.

Its own module so that the tank simulation (``fishtank``) and the dataset (``synthetic``) both
read it without importing each other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from trackbench.errors import TrackbenchError


@dataclass(frozen=True, slots=True)
class SyntheticConfig:
    """Every knob of the synthetic fish tank; validated on construction."""

    n_cameras: int = 4
    n_fish: int = 8
    n_frames: int = 600
    seed: int = 0
    frame_rate: float = 30.0
    # Tank (metres) and fish.
    tank_length_m: float = 1.3
    tank_width_m: float = 0.8
    tank_depth_m: float = 0.5
    wall_margin_m: float = 0.15  # fish start turning away this far from a wall
    fish_speed_mps: float = 0.3  # mean swimming speed
    fish_speed_jitter: float = 0.3  # std of speed relative to the mean
    fish_turn_rate: float = 1.5  # rad/s, std of the yaw rate
    fish_turn_tau_s: float = 0.6  # yaw-rate correlation time: larger is smoother
    fish_length_m: float = 0.12
    fish_width_m: float = 0.03
    fish_height_m: float = 0.045
    # Cameras: on a golden-angle spiral around and above the tank, looking at its centre.
    image_width: int = 1280
    image_height: int = 720
    camera_distance_m: float = 1.9
    camera_elevation_min_deg: float = 15.0
    camera_elevation_max_deg: float = 60.0
    camera_hfov_deg: float = 60.0
    min_box_px: float = 4.0  # smaller projected fish are not annotated
    min_in_image_fraction: float = 0.3  # fish mostly outside the image are not annotated
    # Detector.
    box_noise_px: float = 1.5  # std of box edge noise, absolute part
    box_noise_rel: float = 0.04  # std of box edge noise, relative to box size
    miss_rate: float = 0.06  # probability an unoccluded fish is not detected
    fp_rate: float = 0.4  # mean false positives per frame per camera
    tp_confidence_a: float = 6.0  # Beta(a, b) confidence of true detections
    tp_confidence_b: float = 1.5
    fp_confidence_a: float = 2.0  # Beta(a, b) confidence of false positives
    fp_confidence_b: float = 4.0
    occlusion_threshold: float = 0.5  # coverage above which a fish counts as occluded
    occlusion_miss_rate: float = 0.6  # extra miss probability for a fully covered fish
    occlusion_merge_rate: float = 0.3  # chance an occluded fish merges into its occluder's box
    occlusion_confidence_drop: float = 0.3  # confidence lost at full coverage

    def __post_init__(self) -> None:
        _validate(self)


_INF = float("inf")
# field -> (low, high, low inclusive); all upper bounds inclusive.
_RANGES: dict[str, tuple[float, float, bool]] = {
    "n_cameras": (1, 256, True),
    "n_fish": (1, 200, True),
    "n_frames": (1, 10_000_000, True),
    "seed": (0, 2**63 - 1, True),
    "frame_rate": (0.0, 1000.0, False),
    "image_width": (16, 16384, True),
    "image_height": (16, 16384, True),
    "camera_elevation_min_deg": (0.0, 85.0, True),
    "camera_elevation_max_deg": (0.0, 85.0, True),
    "camera_hfov_deg": (1.0, 170.0, True),
    "min_in_image_fraction": (0.0, 1.0, True),
    "occlusion_threshold": (0.0, 0.99, True),
    **dict.fromkeys(("miss_rate", "occlusion_miss_rate", "occlusion_merge_rate"), (0.0, 1.0, True)),
    "occlusion_confidence_drop": (0.0, 1.0, True),
    **dict.fromkeys(("fp_rate", "box_noise_px", "box_noise_rel", "min_box_px"), (0.0, _INF, True)),
    "fish_speed_jitter": (0.0, 2.0, True),
}


def _validate(cfg: SyntheticConfig) -> None:
    """Raise TrackbenchError naming the first field whose type or value is out of range."""
    for f in fields(cfg):
        value = getattr(cfg, f.name)
        wants_int = f.type in ("int", int)
        ok_type = isinstance(value, int) if wants_int else isinstance(value, int | float)
        if isinstance(value, bool) or not ok_type or not math.isfinite(value):
            kind = "an integer" if wants_int else "a finite number"
            raise TrackbenchError(f"synthetic dataset: {f.name}={value!r} must be {kind}")
        lo, hi, lo_incl = _RANGES.get(f.name, (0.0, _INF, False))
        if not ((value >= lo if lo_incl else value > lo) and value <= hi):
            bounds = f"{'[' if lo_incl else '('}{lo}, {hi}]"
            raise TrackbenchError(f"synthetic dataset: {f.name}={value!r} must be in {bounds}")
    if cfg.camera_elevation_min_deg > cfg.camera_elevation_max_deg:
        raise TrackbenchError(
            "synthetic dataset: camera_elevation_min_deg must be <= camera_elevation_max_deg "
            f"(got {cfg.camera_elevation_min_deg} > {cfg.camera_elevation_max_deg})"
        )
    half_diagonal = 0.5 * math.hypot(cfg.tank_length_m, cfg.tank_width_m, cfg.tank_depth_m)
    if cfg.camera_distance_m <= half_diagonal + 0.1:
        raise TrackbenchError(
            f"synthetic dataset: camera_distance_m={cfg.camera_distance_m} must exceed the tank's "
            f"half diagonal + 0.1 m ({half_diagonal + 0.1:.3f}) so cameras stay outside the tank"
        )
