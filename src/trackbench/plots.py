"""Run plots: per-camera MOTA/IDF1 bars and a per-camera timeline of tracklets."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib
import matplotlib.patches

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from trackbench.types import Tracklet2D


def plot_camera_metrics(
    path: Path, per_camera: Mapping[str, Mapping[str, float]], overall: Mapping[str, float]
) -> None:
    names = [*per_camera, "overall"]
    rows = [*per_camera.values(), overall]
    fig, ax = plt.subplots(figsize=(max(4.0, 1.1 * len(names) + 2), 3.5))
    width = 0.38
    for k, metric in enumerate(("mota", "idf1")):
        values = [r.get(metric, math.nan) for r in rows]
        ax.bar([i + (k - 0.5) * width for i in range(len(names))], values, width, label=metric.upper())
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
    ax.set_ylim(min(0.0, *(r.get("mota", 0.0) for r in rows if not math.isnan(r.get("mota", 0.0)))), 1.0)
    ax.axhline(0, color="black", linewidth=0.5)
    ax.legend()
    ax.set_title("MOTA and IDF1 per camera")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _runs(t: Tracklet2D, status: str) -> list[tuple[int, int]]:
    """Contiguous (start, length) spans of the frames of ``t`` with this status."""
    spans: list[tuple[int, int]] = []
    for f, s in zip(t.frames, t.frame_status, strict=True):
        if s != status:
            continue
        if spans and spans[-1][0] + spans[-1][1] == f:
            spans[-1] = (spans[-1][0], spans[-1][1] + 1)
        else:
            spans.append((f, 1))
    return spans


_COLORS = {"detected": "tab:blue", "coasted": "tab:orange"}


def plot_timelines(path: Path, tracklets_by_camera: Mapping[str, Sequence[Tracklet2D]]) -> None:
    """One row per tracklet: detected spans dark, coasted spans light."""
    cameras = list(tracklets_by_camera)
    fig, axes = plt.subplots(len(cameras), 1, figsize=(10, 1.2 + 1.8 * len(cameras)), squeeze=False)
    for ax, camera_id in zip(axes[:, 0], cameras, strict=True):
        for t in tracklets_by_camera[camera_id]:
            for status, color in _COLORS.items():
                ax.broken_barh(_runs(t, status), (t.track_id - 0.4, 0.8), color=color)
        ax.set_ylabel(f"{camera_id}\ntrack id")
    handles = [matplotlib.patches.Patch(color=c, label=s) for s, c in _COLORS.items()]
    axes[0, 0].legend(handles=handles, loc="upper right", fontsize="small")
    axes[-1, 0].set_xlabel("frame")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
