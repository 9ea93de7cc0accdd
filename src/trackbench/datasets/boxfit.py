"""What boxmot 25 accepts as a detection row, checked in the dataset layer.

boxmot's ``update`` converts ``x1, y1, x2, y2`` and the score to float32 and raises a bare
ValueError (no file, no line) for a row that is not finite there, has ``x2 <= x1`` or
``y2 <= y1`` after that conversion, a score outside [0, 1] or a class id that is not a
non-negative integer. A box such as ``w=1e300`` is finite as float64 but not as float32, and
``x=1e8, w=1`` collapses to ``x2 == x1`` in float32. The readers call :func:`first_unfit` so such
a row stops the run with our own error naming its file and line, before any tracking starts.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

_MAX_EXACT_CLASS = 2**53  # boxmot refuses larger class ids in its numpy input


def first_unfit(boxes: np.ndarray, scores: np.ndarray, class_ids: np.ndarray | None = None) -> tuple[int, str] | None:
    """The first row (index, reason) that boxmot would reject, or None.

    ``boxes`` is ``(N, 4)`` ``x, y, w, h`` (float64, as the dataset holds them): the tracker
    gets ``x, y, x + w, y + h`` computed in float64, then boxmot casts to float32, as here.
    """
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    scores = np.asarray(scores, np.float64).reshape(-1)
    problems: list[tuple[int, str]] = []

    def first(mask: npt.ArrayLike, describe: Callable[[int], str]) -> None:
        hits = np.flatnonzero(mask)
        if hits.size:
            problems.append((int(hits[0]), describe(int(hits[0]))))

    with np.errstate(over="ignore", invalid="ignore"):
        x1, y1 = boxes[:, 0], boxes[:, 1]
        x2, y2 = x1 + boxes[:, 2], y1 + boxes[:, 3]
        corners = np.stack([x1, y1, x2, y2], axis=1)
        corners32 = corners.astype(np.float32)
        scores32 = scores.astype(np.float32)
    names = ("x", "y", "x + w", "y + h")
    bad64 = ~np.isfinite(corners)
    first(bad64.any(axis=1), lambda r: f"{names[_col(bad64[r])]} overflows ({_row(boxes[r])})")
    bad32 = ~np.isfinite(corners32) & ~bad64
    first(
        bad32.any(axis=1),
        lambda r: (
            f"{names[_col(bad32[r])]} = {float(corners[r, _col(bad32[r])])!r} is not finite as float32, "
            f"the precision the tracker uses (|value| must stay below 3.4e38; {_row(boxes[r])})"
        ),
    )
    finite = np.isfinite(corners32).all(axis=1)
    first(
        finite & (corners32[:, 2] <= corners32[:, 0]),
        lambda r: (
            f"x + w = {float(corners32[r, 2])!r} is not > x = {float(corners32[r, 0])!r} in float32, "
            f"the precision the tracker uses (box too narrow for its position; {_row(boxes[r])})"
        ),
    )
    first(
        finite & (corners32[:, 3] <= corners32[:, 1]),
        lambda r: (
            f"y + h = {float(corners32[r, 3])!r} is not > y = {float(corners32[r, 1])!r} in float32, "
            f"the precision the tracker uses (box too flat for its position; {_row(boxes[r])})"
        ),
    )
    first(
        ~(np.isfinite(scores32) & (scores >= 0) & (scores <= 1)),
        lambda r: f"score {float(scores[r])!r} (as given to the tracker) is not a finite value in [0, 1]",
    )
    if class_ids is not None:
        classes = np.asarray(class_ids, np.float64).reshape(-1)
        with np.errstate(invalid="ignore"):
            whole = np.isfinite(classes) & (classes == np.round(classes))
        first(
            ~(whole & (classes >= 0) & (classes <= _MAX_EXACT_CLASS)),
            lambda r: f"class id {float(classes[r])!r} is not a non-negative integer (at most 2**53)",
        )
    return min(problems) if problems else None


def _col(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _row(box: np.ndarray) -> str:
    x, y, w, h = (float(v) for v in box)
    return f"x={x!r} y={y!r} w={w!r} h={h!r}"
