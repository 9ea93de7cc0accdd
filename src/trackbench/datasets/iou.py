"""Box IoU for scoring, vectorised over every same-frame (a, b) pair of two whole tables.

The arithmetic repeats py-motmetrics 1.4.0 ``distances.boxiou`` operation for operation, so the
distances we feed its accumulator are bit-identical to what its own ``iou_matrix`` would give
(that function is unusable under NumPy 2: it calls the removed ``np.asfarray``).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

Corners = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _corners(boxes: np.ndarray) -> Corners:
    """``x0, y0, x1, y1, area`` of ``(..., 4)`` ``x, y, w, h`` boxes, computed once per box."""
    x0, y0 = boxes[..., 0], boxes[..., 1]
    x1, y1 = x0 + boxes[..., 2], y0 + boxes[..., 3]
    return x0, y0, x1, y1, np.maximum(x1 - x0, 0) * np.maximum(y1 - y0, 0)


def corners(boxes: np.ndarray) -> np.ndarray:
    """``(N, 4)`` ``x, y, w, h`` boxes as a C-contiguous ``(N, 4)`` array of ``x0, y0, x1, y1``,
    by the same arithmetic as the IoU here (``x1 = x + w``)."""
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    out = np.empty_like(b)
    out[:, :2] = b[:, :2]
    np.add(b[:, :2], b[:, 2:], out=out[:, 2:])
    return out


def _iou(a: Corners, b: Corners) -> np.ndarray:
    """IoU of broadcastable corner arrays; 0 where boxes do not intersect (as motmetrics)."""
    inter = np.minimum(a[2], b[2]) - np.maximum(a[0], b[0])
    np.maximum(inter, 0, out=inter)
    height = np.minimum(a[3], b[3]) - np.maximum(a[1], b[1])
    np.maximum(height, 0, out=height)
    inter *= height
    union = a[4] + b[4]
    union -= inter
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = np.divide(inter, union, out=union)
    iou[inter == 0] = 0.0
    return iou


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise IoU of broadcastable ``(..., 4)`` ``x, y, w, h`` boxes."""
    return _iou(_corners(np.asarray(a, np.float64)), _corners(np.asarray(b, np.float64)))


def frame_ious(
    frames_a: np.ndarray,
    boxes_a: np.ndarray,
    frames_b: np.ndarray,
    boxes_b: np.ndarray,
    max_pairs: int = 1 << 18,
) -> Iterator[tuple[int, slice, slice, np.ndarray]]:
    """``(frame, rows of a, rows of b, IoU matrix)`` for every frame of either table, in order.

    Both tables must be sorted by frame. IoUs are computed for many frames at once (about
    ``max_pairs`` pairs per pass, which bounds memory) instead of with per-frame NumPy calls.
    """
    frames = np.union1d(frames_a, frames_b)
    a_start = np.append(np.searchsorted(frames_a, frames), len(frames_a))
    b_start = np.append(np.searchsorted(frames_b, frames), len(frames_b))
    na, nb = np.diff(a_start), np.diff(b_start)
    pair_start = np.concatenate(([0], np.cumsum(na * nb)))
    corners_a, corners_b = _corners(boxes_a), _corners(boxes_b)
    frame_list, a, b, p = frames.tolist(), a_start.tolist(), b_start.tolist(), pair_start.tolist()
    k0 = 0
    while k0 < len(frame_list):
        k1 = int(np.searchsorted(pair_start, p[k0] + max_pairs, "right")) - 1
        k1 = min(max(k1, k0 + 1), len(frame_list))
        owner = np.repeat(np.arange(k0, k1), na[k0:k1] * nb[k0:k1])
        offset = np.arange(p[k0], p[k1]) - pair_start[owner]
        width = np.maximum(nb[owner], 1)
        ia = a_start[owner] + offset // width
        ib = b_start[owner] + offset % width
        iou = _iou(tuple(c[ia] for c in corners_a), tuple(c[ib] for c in corners_b))
        for k in range(k0, k1):
            block = iou[p[k] - p[k0] : p[k + 1] - p[k0]].reshape(a[k + 1] - a[k], b[k + 1] - b[k])
            yield frame_list[k], slice(a[k], a[k + 1]), slice(b[k], b[k + 1]), block
        k0 = k1
