"""Per-window scores: each camera's frames cut into consecutive windows of ``eval.window_frames``.

Semantics (docs/guide/windows.md):
- Windows tile a camera's frame range from its first frame: ``[first, first + W - 1]``, ...;
  the last one may be shorter. A window is named by its first frame (the MLflow step).
- CLEAR counts (FP, FN, IDSW, matches) are the whole run's matching, attributed to the frame
  they happen in: the windows' counts sum exactly to the run's. An ID switch in a window's
  first frame counts there, even if the previous match was in an earlier window.
- Identity (IDF1) and HOTA's association are computed within the window alone: a window
  is scored as if it were its own short sequence.
- Pooled over cameras, window ``k`` is the sum of the counts of the cameras' windows that
  start at the same frame (synchronised cameras share them).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from trackbench.scoring.counts import WINDOW_METRICS, Counts, metrics_from_counts, total


@dataclass(frozen=True, slots=True)
class WindowScores:
    """One window's frame range and its additive counts."""

    first: int
    last: int
    counts: Counts

    def to_json(self) -> dict[str, object]:
        metrics = metrics_from_counts(self.counts)
        return {
            "first_frame": self.first,
            "last_frame": self.last,
            **{k: metrics[k] for k in WINDOW_METRICS},
            "counts": self.counts.to_json(),
        }


def window_bounds(first: int, last: int, size: int) -> tuple[tuple[int, int], ...]:
    """Consecutive ``(first, last)`` frame ranges of ``size`` frames covering ``first..last``."""
    if size < 1:
        raise ValueError(f"window size must be >= 1, got {size}")
    return tuple((start, min(start + size - 1, last)) for start in range(first, last + 1, size))


def pool_windows(per_camera: Mapping[str, tuple[WindowScores, ...]]) -> tuple[WindowScores, ...]:
    """Windows pooled over cameras, by start frame (see module docstring)."""
    groups: dict[int, list[WindowScores]] = defaultdict(list)
    for windows in per_camera.values():
        for w in windows:
            groups[w.first].append(w)
    return tuple(
        WindowScores(first, max(w.last for w in group), total(w.counts for w in group))
        for first, group in sorted(groups.items())
    )
