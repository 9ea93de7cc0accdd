"""Run plots: per-camera MOTA/IDF1 bars and a per-camera timeline of tracklets."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib
import matplotlib.patches
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from trackbench.artifacts import Span


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


_COLORS = {"detected": "tab:blue", "coasted": "tab:orange"}


def plot_timelines(path: Path, spans_by_camera: Mapping[str, Sequence[Span]]) -> None:
    """One row per tracklet: detected spans dark, coasted spans light."""
    cameras = list(spans_by_camera)
    fig, axes = plt.subplots(len(cameras), 1, figsize=(10, 1.2 + 1.8 * len(cameras)), squeeze=False)
    for ax, camera_id in zip(axes[:, 0], cameras, strict=True):
        grouped: dict[tuple[int, str], list[tuple[int, int]]] = {}
        for track_id, first, length, status in spans_by_camera[camera_id]:
            grouped.setdefault((track_id, status), []).append((first, length))
        for (track_id, status), runs in grouped.items():
            ax.broken_barh(runs, (track_id - 0.4, 0.8), color=_COLORS[status])
        ax.set_ylabel(f"{camera_id}\ntrack id")
        ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    handles = [matplotlib.patches.Patch(color=c, label=s) for s, c in _COLORS.items()]
    axes[0, 0].legend(handles=handles, loc="upper right", fontsize="small")
    axes[-1, 0].set_xlabel("frame")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
