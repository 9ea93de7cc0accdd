"""Plots: a run's per-camera metrics, windows and tracklet timelines; a sweep's and a benchmark's standing.

matplotlib is imported by :func:`load` (Agg backend), which every drawing function calls first:
importing this module does not import it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

if TYPE_CHECKING:
    from trackbench.artifacts import Span
    from trackbench.benchmark.report import KindRow


HEADLINE = (("hota", "HOTA"), ("mota", "MOTA"), ("idf1", "IDF1"))
_CHAR_IN = 0.085  # an upper bound on a character's width at the default 10 pt font, inches
_SMALL_CHAR_IN = 0.07  # ... at the legends' "small" font


@functools.cache
def load() -> None:
    """Import matplotlib, once per process, to draw into files: the Agg backend (no display),
    then pyplot. Every drawing function of the plots package calls it first; a run's MLflow
    process calls it ahead, so that the plots at the run's end do not wait for the import."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # the slow part (fonts, backends), imported here once


def _margins(fig: Any, left: float, right: float, top: float, bottom: float, hspace: float | None = None) -> None:
    """Fixed margins in inches, sized from the labels' lengths: the run's plots are drawn once
    each (``tight_layout`` measures the figure with an extra drawing pass, a third of a plot's
    time)."""
    w, h = fig.get_size_inches()
    fig.subplots_adjust(left=left / w, right=1 - right / w, top=1 - top / h, bottom=bottom / h, hspace=hspace)


def _legend_in(labels: Sequence[str]) -> float:
    """Width of a legend outside the axes on the right (handle, padding and the longest label)."""
    return 0.8 + _SMALL_CHAR_IN * max(map(len, labels), default=0)


def plot_camera_metrics(
    path: Path, per_camera: Mapping[str, Mapping[str, float]], overall: Mapping[str, float], title: str = ""
) -> None:
    """HOTA, MOTA and IDF1 bars per camera and overall, values written on the bars."""
    load()
    import matplotlib.pyplot as plt

    names = [*per_camera, "overall"]
    rows = [*per_camera.values(), overall]
    fig, ax = plt.subplots(figsize=(max(5.0, 1.4 * len(names) + 2.5), 3.8))
    width = 0.27
    for k, (metric, label) in enumerate(HEADLINE):
        values = [r.get(metric, math.nan) for r in rows]
        bars = ax.bar([i + (k - 1) * width for i in range(len(names))], values, width, label=label)
        ax.bar_label(bars, fmt="%.2f", fontsize=7, padding=1)
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
    finite = [r.get("mota", 0.0) for r in rows if not math.isnan(r.get("mota", 0.0))]
    ax.set_ylim(min(0.0, *finite), 1.08)
    ax.axhline(0, color="black", linewidth=0.5)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    ax.set_title(title or "HOTA, MOTA and IDF1 per camera")
    longest = max(map(len, names))  # tick labels at 30 degrees: half their length goes down
    _margins(fig, 0.6, _legend_in([label for _, label in HEADLINE]), 0.4, 0.35 + 0.5 * _CHAR_IN * longest)
    fig.savefig(path, dpi=100, pil_kwargs={"compress_level": 1})  # fast PNG encoding
    plt.close(fig)


def plot_windows(
    path: Path,
    per_camera: Mapping[str, Sequence[Mapping[str, float]]],
    pooled: Sequence[Mapping[str, float]],
    title: str = "",
) -> None:
    """HOTA, MOTA and IDF1 over frames: one line per camera, pooled cameras in black; each
    point is a window, drawn at its first frame."""
    load()
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(HEADLINE), 1, figsize=(10, 7), sharex=True)
    for ax, (metric, label) in zip(axes, HEADLINE, strict=True):
        for camera_id, windows in per_camera.items():
            ax.plot([w["first_frame"] for w in windows], [w[metric] for w in windows], marker=".", label=camera_id)
        ax.plot([w["first_frame"] for w in pooled], [w[metric] for w in pooled], color="black", lw=2, label="pooled")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[0].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    axes[-1].set_xlabel("window start frame")
    fig.suptitle(title or "metrics per window")
    _margins(fig, 0.8, _legend_in([*per_camera, "pooled"]), 0.5, 0.6, hspace=0.12)
    fig.savefig(path, dpi=100, pil_kwargs={"compress_level": 1})  # fast PNG encoding
    plt.close(fig)


def plot_sweep(path: Path, rows: Sequence[Mapping[str, Any]], metric: str, title: str) -> None:
    """The sweep's jobs, best first: ``metric`` as labelled horizontal bars."""
    load()
    import matplotlib.pyplot as plt

    shown = list(rows)[:30]
    names = [_short(str(r["run"]), 70) for r in shown][::-1]
    # Wide enough for the longest name beside the bars (a sweep's run names list its knobs).
    width = 6 + 0.075 * max((len(n) for n in names), default=0)
    fig, ax = plt.subplots(figsize=(width, 1.2 + 0.35 * max(1, len(shown))))
    values = [float(r[metric]) for r in shown][::-1]
    bars = ax.barh(names, values, color="tab:blue")
    ax.bar_label(bars, fmt="%.3f", fontsize=8, padding=2)
    ax.set_xlabel(metric)
    ax.set_xlim(0, max([1.0, *values]) * 1.08)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100, pil_kwargs={"compress_level": 1})
    plt.close(fig)


def _short(text: str, limit: int) -> str:
    """``text`` cut in the middle to ``limit`` characters; its last word (a run's unique ``#n``) kept."""
    if len(text) <= limit:
        return text
    head, _, last = text.rpartition(" ")
    return head[: max(0, limit - len(last) - 2)] + "… " + last


_BENCH_SERIES = (
    ("default_test", "defaults, test", "tab:gray", "o"),
    ("tuned_tune", "tuned, tune", "tab:orange", "s"),
    ("tuned_test", "tuned, test", "tab:blue", "D"),
)


def plot_benchmark(path: Path, rows: Sequence[KindRow], metric: str, title: str) -> None:
    """One line per kind (best on top): ``metric`` with its 95% interval for the defaults on
    test, the tuned settings on tune and on test (rows: benchmark_report.KindRow)."""
    load()
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8.5, max(3.0, 1.4 + 0.55 * len(rows))))
    n = len(rows)
    for k, (attr, label, color, marker) in enumerate(_BENCH_SERIES):
        ys = [n - 1 - i + (1 - k) * 0.22 for i in range(n)]
        xs, lo, hi = [], [], []
        for r in rows:
            x = getattr(r, attr)
            xs.append(x.value)
            lo.append(x.value - x.low if math.isfinite(x.low) else 0.0)
            hi.append(x.high - x.value if math.isfinite(x.high) else 0.0)
        ax.errorbar(xs, ys, xerr=[lo, hi], fmt=marker, color=color, label=label, capsize=3, markersize=5)
    ax.set_yticks(range(n), [r.kind for r in rows][::-1])
    ax.set_xlabel(f"{metric} (95% interval)")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100, pil_kwargs={"compress_level": 1})
    plt.close(fig)


_COLORS = {"detected": "tab:blue", "coasted": "tab:orange"}


def plot_timelines(path: Path, spans_by_camera: Mapping[str, Sequence[Span]], title: str = "") -> None:
    """One row per tracklet and camera: detected spans blue, coasted spans orange."""
    load()
    import matplotlib.pyplot as plt
    from matplotlib.collections import PolyCollection
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    cameras = list(spans_by_camera)
    fig, axes = plt.subplots(len(cameras), 1, figsize=(10, 1.2 + 1.8 * len(cameras)), squeeze=False)
    for ax, camera_id in zip(axes[:, 0], cameras, strict=True):
        spans = spans_by_camera[camera_id]
        for status, color in _COLORS.items():  # one collection of rectangles per status: fast to draw
            rows = np.array([(f, n, t) for t, f, n, s in spans if s == status], dtype=float).reshape(-1, 3)
            x0, x1, y = rows[:, 0], rows[:, 0] + rows[:, 1], rows[:, 2]
            corners = np.stack([np.c_[x0, y - 0.4], np.c_[x0, y + 0.4], np.c_[x1, y + 0.4], np.c_[x1, y - 0.4]], 1)
            polygons = cast("Sequence[np.ndarray]", corners)  # one (n, 4, 2) array: its fast path, not a list
            ax.add_collection(PolyCollection(polygons, facecolors=color, edgecolors="none"))
        if spans:
            ax.set_xlim(min(f for _, f, _, _ in spans) - 1, max(f + n for _, f, n, _ in spans) + 1)
            ax.set_ylim(min(t for t, *_ in spans) - 1, max(t for t, *_ in spans) + 1)
        ax.set_ylabel(f"{camera_id}\ntrack id")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    handles = [Patch(color=c, label=s) for s, c in _COLORS.items()]
    axes[0, 0].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    axes[-1, 0].set_xlabel("frame")
    fig.suptitle(f"tracklet timelines: {title}" if title else "tracklet timelines")
    _margins(fig, 0.95, _legend_in(list(_COLORS)), 0.5, 0.6, hspace=0.25)
    fig.savefig(path, dpi=100, pil_kwargs={"compress_level": 1})  # fast PNG encoding
    plt.close(fig)


def save_drawn(
    axes: Any,
    path: Path,
    title: str = "",
    size: tuple[float, float] | None = None,
    *,
    relayout: bool = True,
    log_y: bool = False,
) -> None:
    """Save a figure another library drew (Optuna's ``visualization.matplotlib``: one Axes or an
    array of them), titled and sized here, then free it. ``relayout=False`` keeps the drawer's
    layout (a colorbar it placed beside its axes does not survive ``tight_layout``); ``log_y``: the
    (first) axes' y scale logarithmic."""
    load()
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FormatStrFormatter

    first = np.ravel(np.asarray(axes, dtype=object))[0]
    fig = first.figure
    if log_y:  # plain numbers on a log axis (0.2, 0.5, 1, 2), not powers of ten
        first.set_yscale("log")
        first.yaxis.set_major_formatter(FormatStrFormatter("%g"))
        first.yaxis.set_minor_formatter(FormatStrFormatter("%g"))
    if size is not None:
        fig.set_size_inches(*size)
    if title:
        fig.suptitle(title, fontsize=11)
    if relayout:
        fig.tight_layout()
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
