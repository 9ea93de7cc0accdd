"""Pictures of why a run scores as it does: per-animal identity timelines, error maps, run diffs.

Same conventions as :mod:`trackbench.plots.charts`: Agg, fixed margins (drawn once), legends outside the
axes, fast PNG encoding, matplotlib imported by :func:`~trackbench.plots.charts.load` when
drawing. Inputs are the NumPy records (events, identity frames, ground truth).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from trackbench.artifacts.events import KINDS, ErrorEvents
from trackbench.artifacts.identity import UNMATCHED, IdentityFrames, segments
from trackbench.datasets.base import BoxTable
from trackbench.plots.charts import _legend_in, _margins, load

MAX_LANES = 40  # lanes an identity timeline shows: past this an ~80-id sequence is unreadable
_LABEL_MIN = 1 / 30  # a segment gets its hypothesis id written on it from this share of the frames
_MARKS = {  # kind: (label, colour, marker, size); drawn in this order (rare kinds on top)
    "fn": ("FN (missed)", "tab:orange", ".", 3.0),
    "fp": ("FP (false positive)", "tab:red", "+", 6.0),
    "frag": ("Frag (resumed)", "tab:purple", "^", 4.0),
    "idsw": ("IDSW (switch)", "black", "x", 7.0),
}


def _save(fig: Any, path: Path) -> None:
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=100, pil_kwargs={"compress_level": 1})  # fast PNG encoding
    plt.close(fig)


@functools.cache
def _palette() -> tuple[tuple[float, float, float], ...]:
    """tab20's colours, by index."""
    load()
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_rgb

    return tuple(to_rgb(plt.get_cmap("tab20")(i)) for i in range(20))


def hyp_color(hyp_id: int) -> tuple[float, float, float]:
    """A hypothesis id's colour; consecutive ids get different hues (tab20 with a stride of 7)."""
    palette = _palette()
    return palette[(int(hyp_id) * 7) % len(palette)]


def errors_per_animal(identity: IdentityFrames, events: ErrorEvents) -> list[tuple[int, int]]:
    """(gt id, its fn + idsw + frag events) for every animal, most errors first, then by id."""
    ids = np.unique(np.r_[identity.gt_ids, events.gt_ids[events.gt_ids != UNMATCHED]])
    counts = {int(g): 0 for g in ids}
    found, n = np.unique(events.gt_ids[events.gt_ids != UNMATCHED], return_counts=True)
    counts.update({int(g): int(c) for g, c in zip(found, n, strict=True)})
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def plot_identity(
    path: Path,
    camera_id: str,
    identity: IdentityFrames,
    events: ErrorEvents,
    max_lanes: int = MAX_LANES,
    title: str = "",
) -> None:
    """One lane per ground-truth animal (most errors on top, at most ``max_lanes``), coloured by
    the hypothesis holding it in each frame, a grey hairline where it is missed, x at switches."""
    load()
    import matplotlib.pyplot as plt
    from matplotlib.collections import PolyCollection
    from matplotlib.lines import Line2D

    ranked = errors_per_animal(identity, events)
    shown = ranked[:max_lanes]
    lane = {g: i for i, (g, _) in enumerate(shown)}
    fig, ax = plt.subplots(figsize=(11, 1.3 + 0.2 * max(len(shown), 4)))
    seg = segments(identity)
    keep = np.array([g in lane for g in seg.gt_ids.tolist()], bool)
    y = np.array([lane[g] for g in seg.gt_ids[keep].tolist()], float)
    x0, x1, hyp = seg.first[keep] - 0.5, seg.last[keep] + 0.5, seg.hyp_ids[keep]
    held = hyp != UNMATCHED
    h = np.where(held, 0.4, 0.03)  # half height: a held run is a bar, a miss a hairline
    corners = np.stack([np.c_[x0, y - h], np.c_[x0, y + h], np.c_[x1, y + h], np.c_[x1, y - h]], 1)
    colors = [hyp_color(v) if v != UNMATCHED else (0.6, 0.6, 0.6) for v in hyp.tolist()]
    ax.add_collection(PolyCollection(list(corners), facecolors=colors, edgecolors="none"))
    span = max(float(identity.frames.max() - identity.frames.min() + 1), 1.0) if len(identity) else 1.0
    long_runs = np.flatnonzero(held & (x1 - x0 >= span * _LABEL_MIN))[:400]
    for i in long_runs.tolist():
        ax.text((x0[i] + x1[i]) / 2, y[i], str(hyp[i]), ha="center", va="center", fontsize=6)
    is_sw = (events.kinds == KINDS.index("idsw")) & np.isin(events.gt_ids, list(lane))
    sw_y = [lane[g] for g in events.gt_ids[is_sw].tolist()]
    ax.plot(events.frames[is_sw], sw_y, linestyle="none", marker="x", color="black", markersize=6, mew=1.5)
    ax.set_yticks(range(len(shown)), [f"{g} ({n})" for g, n in shown], fontsize=7 if len(shown) > 20 else 9)
    ax.set_ylim(max(len(shown), 1) - 0.5, -0.5)  # worst animal on top
    if len(identity):
        ax.set_xlim(identity.frames.min() - 1, identity.frames.max() + 1)
    ax.set_xlabel("frame")
    ax.set_ylabel("ground-truth id (errors)")
    ax.grid(axis="x", alpha=0.3)
    capped = f"; the {len(shown)} of {len(ranked)} animals with most errors" if len(ranked) > len(shown) else ""
    head = title or f"identity timeline {camera_id}"
    ax.set_title(f"{head}{capped}\ncolour, number: hypothesis holding the animal", fontsize=10)
    labels = ["ID switch", "missed (in gt, unmatched)"]
    handles = [
        Line2D([], [], linestyle="none", marker="x", color="black", mew=1.5, label=labels[0]),
        Line2D([], [], color=(0.6, 0.6, 0.6), lw=1, label=labels[1]),
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    _margins(fig, 0.9, _legend_in(labels), 0.6, 0.5)
    _save(fig, path)


def _centres(boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return boxes[:, 0] + boxes[:, 2] / 2, boxes[:, 1] + boxes[:, 3] / 2


def plot_error_map(
    path: Path,
    camera_id: str,
    ground_truth: BoxTable,
    events: ErrorEvents,
    frame_size: tuple[int, int] | None = None,
    title: str = "",
) -> None:
    """Ground-truth paths (box centres per animal, thin grey) in image coordinates, y downward,
    with each error event's box centre marked by kind; ``frame_size`` is (width, height)."""
    load()
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    scored = ~ground_truth.distractor
    gx, gy = _centres(ground_truth.boxes[scored])
    ids, frames = ground_truth.ids[scored], ground_truth.frames[scored]
    order = np.lexsort((frames, ids))
    cuts = np.flatnonzero(np.diff(ids[order])) + 1
    paths = [np.c_[px, py] for px, py in zip(np.split(gx[order], cuts), np.split(gy[order], cuts), strict=True)]
    ex, ey = _centres(events.boxes)
    if frame_size is None:
        width = float(max(np.max(gx, initial=1.0), np.max(ex, initial=1.0)) * 1.02)
        height = float(max(np.max(gy, initial=1.0), np.max(ey, initial=1.0)) * 1.02)
    else:
        width, height = float(frame_size[0]), float(frame_size[1])
    counts = events.counts()
    labels = [f"{label} {counts[k]}" for k, (label, *_) in _MARKS.items()]
    legend_w = _legend_in(["ground-truth path", *labels])
    axes_w = 8.0
    axes_h = float(np.clip(axes_w * height / max(width, 1.0), 2.5, 9.0))
    fig, ax = plt.subplots(figsize=(axes_w + 0.8 + legend_w, axes_h + 1.1))
    lines = LineCollection(paths, colors="0.6", linewidths=0.6, label="ground-truth path")
    ax.add_collection(lines)
    for (kind, (_, color, marker, size)), label in zip(_MARKS.items(), labels, strict=True):
        pick = events.kinds == KINDS.index(kind)
        alpha = 0.5 if kind == "fn" else 0.9
        ax.plot(ex[pick], ey[pick], linestyle="none", marker=marker, color=color, ms=size, alpha=alpha, label=label)
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)  # image coordinates: y grows downward
    ax.set_aspect("auto")
    ax.set_xlabel("x (px)")
    ax.set_ylabel("y (px)")
    ax.set_title(title or f"where errors happen: {camera_id}", fontsize=10)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", markerscale=1.5)
    _margins(fig, 0.8, legend_w, 0.4, 0.6)
    _save(fig, path)


def plot_camera_diagnosis(
    folder: Path,
    camera_id: str,
    identity: IdentityFrames,
    events: ErrorEvents,
    ground_truth: BoxTable,
    frame_size: tuple[int, int] | None = None,
) -> tuple[Path, Path]:
    """A camera's two pictures into ``folder``: ``identity_<camera>.png`` and ``errors_<camera>.png``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = (folder / f"identity_{camera_id}.png", folder / f"errors_{camera_id}.png")
    plot_identity(paths[0], camera_id, identity, events)
    plot_error_map(paths[1], camera_id, ground_truth, events, frame_size)
    return paths


_DIFF_COUNTS = (
    ("num_false_positives", "FP", "tab:red"),
    ("num_misses", "FN", "tab:orange"),
    ("num_switches", "IDSW", "black"),
)


def plot_diff(
    path: Path, per_camera: Mapping[str, Sequence[Mapping[str, float]]], window_frames: int, title: str = ""
) -> None:
    """Per camera (and pooled), each window's FP, FN and IDSW difference B - A as grouped bars;
    a window is a mapping with ``first_frame`` and each count's difference."""
    load()
    import matplotlib.pyplot as plt

    cameras = list(per_camera)
    fig, axes = plt.subplots(len(cameras), 1, figsize=(10, 1.0 + 1.7 * len(cameras)), squeeze=False, sharex=True)
    width = window_frames / (len(_DIFF_COUNTS) + 1)
    for ax, camera in zip(axes[:, 0], cameras, strict=True):
        windows = per_camera[camera]
        starts = np.array([w["first_frame"] for w in windows], float)
        for k, (key, label, color) in enumerate(_DIFF_COUNTS):
            values = [w[key] for w in windows]
            ax.bar(starts + (k + 0.5) * width, values, width, color=color, label=label, align="edge")
        ax.axhline(0, color="black", lw=0.5)
        ax.set_ylabel(f"{camera}\nB - A", fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    axes[0, 0].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    axes[-1, 0].set_xlabel("frame (each window's bars span its frames)")
    fig.suptitle(title or "count differences per window (B - A; below 0: B has fewer)", fontsize=10)
    _margins(fig, 0.9, _legend_in([label for _, label, _ in _DIFF_COUNTS]), 0.5, 0.6, hspace=0.2)
    _save(fig, path)
