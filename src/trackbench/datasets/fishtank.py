"""A simulated fish tank: smooth 3D fish paths and the boxes they make in pinhole cameras.

Fish do not interact and each draws from its own seeded stream, so adding fish or frames
leaves the other fish's paths (and the prefix of each path) unchanged. The tank is centred
on the origin with z pointing up; distances are metres.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trackbench.datasets.synthetic_config import SyntheticConfig

WORLD_STREAM = 0
_GOLDEN_ANGLE = float(np.pi * (3.0 - np.sqrt(5.0)))
_GOLDEN_FRACTION = 0.6180339887498949
_WALL_GAIN = 6.0  # rad/s of turning away from a wall at full penetration of the margin
_MAX_PITCH = 0.6  # rad; fish swim mostly level
_MIN_DEPTH_M = 0.05
_PAIRS_PER_CHUNK = 2_000_000  # bounds the (frames, fish, fish) occlusion arrays


@dataclass(frozen=True, slots=True, eq=False)
class FishWorld:
    """Fish centres and unit headings per frame, both ``(n_frames, n_fish, 3)`` float64."""

    positions: np.ndarray
    headings: np.ndarray


@dataclass(frozen=True, slots=True, eq=False)
class PinholeCamera:
    """A camera outside the tank looking at its centre; ``rotation`` rows are right, down, forward."""

    centre: np.ndarray
    rotation: np.ndarray
    focal_px: float
    width: int
    height: int


@dataclass(frozen=True, slots=True, eq=False)
class CameraView:
    """What one camera sees, as dense ``(n_frames, n_fish)`` arrays.

    ``boxes`` are ``x1, y1, x2, y2`` clipped to the image (meaningful where ``valid``);
    ``coverage`` is the fraction of a box hidden behind nearer fish; ``occluder`` is the fish
    index hiding most of it (-1 when none).
    """

    boxes: np.ndarray
    valid: np.ndarray
    coverage: np.ndarray
    occluder: np.ndarray


def _ar1(tau_s: float, std: float, dt: float) -> tuple[float, float]:
    """Exact AR(1) coefficients of an Ornstein-Uhlenbeck process with time constant ``tau_s``."""
    a = float(np.exp(-dt / tau_s))
    return a, std * float(np.sqrt(1.0 - a * a))


def _unit(yaw: np.ndarray, pitch: np.ndarray) -> np.ndarray:
    return np.stack([np.cos(pitch) * np.cos(yaw), np.cos(pitch) * np.sin(yaw), np.sin(pitch)], axis=-1)


def simulate_world(cfg: SyntheticConfig) -> FishWorld:
    """Swim every fish: OU yaw rate (smooth turns), OU pitch and speed, steering off the walls."""
    n_t, n_f, dt = cfg.n_frames, cfg.n_fish, 1.0 / cfg.frame_rate
    half = np.array([cfg.tank_length_m, cfg.tank_width_m, cfg.tank_depth_m]) / 2.0
    margin = np.minimum(cfg.wall_margin_m, 0.4 * half)
    init = np.empty((n_f, 4))
    noise = np.empty((n_t, n_f, 3))
    for f in range(n_f):
        rng = np.random.default_rng(np.random.SeedSequence(cfg.seed, spawn_key=(WORLD_STREAM, f)))
        init[f] = rng.random(4)
        noise[:, f] = rng.standard_normal((n_t, 3))
    pos = -half + margin + init[:, :3] * 2.0 * (half - margin)
    yaw = 2.0 * np.pi * init[:, 3]
    yaw_rate, pitch_state = np.zeros(n_f), np.zeros(n_f)
    speed = np.full(n_f, cfg.fish_speed_mps)
    a_w, b_w = _ar1(cfg.fish_turn_tau_s, cfg.fish_turn_rate, dt)
    a_p, b_p = _ar1(1.0, 0.25, dt)
    a_s, b_s = _ar1(1.0, cfg.fish_speed_jitter * cfg.fish_speed_mps, dt)
    positions = np.empty((n_t, n_f, 3))
    headings = np.empty((n_t, n_f, 3))
    for t in range(n_t):
        push = np.clip((-half + margin - pos) / margin, 0.0, 1.0)
        push -= np.clip((pos - half + margin) / margin, 0.0, 1.0)
        steer = np.hypot(push[:, 0], push[:, 1]) * np.sin(np.arctan2(push[:, 1], push[:, 0]) - yaw)
        yaw_rate = a_w * yaw_rate + b_w * noise[t, :, 0]
        pitch_state = a_p * pitch_state + b_p * noise[t, :, 1]
        speed = np.maximum(cfg.fish_speed_mps + a_s * (speed - cfg.fish_speed_mps) + b_s * noise[t, :, 2], 0.0)
        yaw = yaw + dt * (yaw_rate + _WALL_GAIN * steer)
        pitch = np.clip(pitch_state + push[:, 2], -_MAX_PITCH, _MAX_PITCH)
        heading = _unit(yaw, pitch)
        positions[t], headings[t] = pos, heading
        pos = pos + dt * np.maximum(speed, 0.3 * cfg.fish_speed_mps)[:, None] * heading
        # Hard walls as a last resort: clamp and mirror the heading.
        hit = np.abs(pos) > half
        yaw = np.where(hit[:, 0], np.pi - yaw, yaw)
        yaw = np.where(hit[:, 1], -yaw, yaw)
        pitch_state = np.where(hit[:, 2], -pitch_state, pitch_state)
        pos = np.clip(pos, -half, half)
    return FishWorld(positions=positions, headings=headings)


def place_camera(cfg: SyntheticConfig, index: int) -> PinholeCamera:
    """Camera ``index`` on a golden-angle spiral around the tank: its pose ignores ``n_cameras``."""
    azimuth = index * _GOLDEN_ANGLE
    frac = (index * _GOLDEN_FRACTION) % 1.0
    elevation = np.radians(
        cfg.camera_elevation_min_deg + frac * (cfg.camera_elevation_max_deg - cfg.camera_elevation_min_deg)
    )
    centre = cfg.camera_distance_m * np.array(
        [np.cos(elevation) * np.cos(azimuth), np.cos(elevation) * np.sin(azimuth), np.sin(elevation)]
    )
    forward = -centre / np.linalg.norm(centre)
    right = np.cross(forward, [0.0, 0.0, 1.0])
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    focal = 0.5 * cfg.image_width / np.tan(np.radians(cfg.camera_hfov_deg) / 2.0)
    return PinholeCamera(centre, np.stack([right, down, forward]), float(focal), cfg.image_width, cfg.image_height)


def _body_corners(cfg: SyntheticConfig, pos: np.ndarray, heading: np.ndarray) -> np.ndarray:
    """The 8 corners of each fish's body cuboid, ``(..., 8, 3)``, long axis along the heading."""
    side = np.cross(np.array([0.0, 0.0, 1.0]), heading)
    side /= np.maximum(np.linalg.norm(side, axis=-1, keepdims=True), 1e-9)
    up = np.cross(heading, side)
    signs = np.array([[i, j, k] for i in (-0.5, 0.5) for j in (-0.5, 0.5) for k in (-0.5, 0.5)])
    axes = np.stack([cfg.fish_length_m * heading, cfg.fish_width_m * side, cfg.fish_height_m * up], axis=-2)
    return pos[..., None, :] + signs @ axes


def _occlusion(boxes: np.ndarray, valid: np.ndarray, depth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fraction of each box covered by nearer boxes (independent-overlap approximation) and the
    main occluder; ``boxes`` ``(t, F, 4)``."""
    x1, y1, x2, y2 = (boxes[..., k] for k in range(4))
    iw = np.minimum(x2[:, :, None], x2[:, None, :]) - np.maximum(x1[:, :, None], x1[:, None, :])
    ih = np.minimum(y2[:, :, None], y2[:, None, :]) - np.maximum(y1[:, :, None], y1[:, None, :])
    area = np.maximum((x2 - x1) * (y2 - y1), 1e-9)
    frac = np.clip(iw, 0.0, None) * np.clip(ih, 0.0, None) / area[:, :, None]
    nearer = (depth[:, None, :] < depth[:, :, None]) & valid[:, None, :] & valid[:, :, None]
    frac = np.where(nearer, np.minimum(frac, 1.0), 0.0)
    coverage = 1.0 - np.prod(1.0 - frac, axis=2)
    occluder = np.where(frac.max(axis=2, initial=0.0) > 0.0, frac.argmax(axis=2), -1)
    return coverage, occluder


def project_fish(cfg: SyntheticConfig, world: FishWorld, cam: PinholeCamera) -> CameraView:
    """Project every fish into ``cam`` frame chunk by frame chunk (bounded memory)."""
    n_t, n_f = world.positions.shape[:2]
    boxes = np.zeros((n_t, n_f, 4))
    valid = np.zeros((n_t, n_f), bool)
    coverage = np.zeros((n_t, n_f))
    occluder = np.full((n_t, n_f), -1, np.int64)
    chunk = max(1, _PAIRS_PER_CHUNK // (n_f * n_f))
    for s in range(0, n_t, chunk):
        sl = slice(s, min(s + chunk, n_t))
        corners = (_body_corners(cfg, world.positions[sl], world.headings[sl]) - cam.centre) @ cam.rotation.T
        z = corners[..., 2]
        in_front = z.min(axis=-1) > _MIN_DEPTH_M
        zs = np.maximum(z, _MIN_DEPTH_M)
        u = cam.focal_px * corners[..., 0] / zs + cam.width / 2.0
        v = cam.focal_px * corners[..., 1] / zs + cam.height / 2.0
        raw = np.stack([u.min(-1), v.min(-1), u.max(-1), v.max(-1)], axis=-1)
        clipped = np.clip(raw, 0.0, [cam.width, cam.height, cam.width, cam.height])
        w, h = clipped[..., 2] - clipped[..., 0], clipped[..., 3] - clipped[..., 1]
        raw_area = (raw[..., 2] - raw[..., 0]) * (raw[..., 3] - raw[..., 1])
        ok = in_front & (w >= cfg.min_box_px) & (h >= cfg.min_box_px)
        ok &= w * h >= cfg.min_in_image_fraction * raw_area
        depth = np.linalg.norm(world.positions[sl] - cam.centre, axis=-1)
        boxes[sl], valid[sl] = clipped, ok
        coverage[sl], occluder[sl] = _occlusion(clipped, ok, depth)
    return CameraView(boxes=boxes, valid=valid, coverage=coverage, occluder=occluder)
