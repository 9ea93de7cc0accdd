"""Reading and writing MOTChallenge text files (det, gt, tracker results) as :class:`BoxTable`.

Files are parsed in one vectorised pass (``np.loadtxt``); only when that fails, or a value
check finds a bad row, is the text walked line by line, so every error names file and line.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from trackbench.datasets.base import BoxTable
from trackbench.datasets.boxfit import first_unfit
from trackbench.errors import TrackbenchError

log = logging.getLogger(__name__)

ScoreMap = Literal["none", "clip", "minmax"]
ZeroConf = Literal["distractor", "drop", "target"]
SCORE_MAPS: tuple[str, ...] = ("none", "clip", "minmax")
ZERO_CONF_RULES: tuple[str, ...] = ("distractor", "drop", "target")

# Column names by column count, used in messages and to know which columns to check.
_DET_LAYOUTS = {7: "frame,id,x,y,w,h,score", 10: "frame,id,x,y,w,h,score,X,Y,Z"}
_GT_LAYOUTS = {
    9: "frame,id,x,y,w,h,conf,class,visibility",
    10: "frame,id,x,y,w,h,conf,X,Y,Z",
}
_RESULT_LAYOUTS = {n: "frame,id,x,y,w,h,conf" + ",-1" * (n - 7) for n in (7, 8, 9, 10)}


@dataclass(frozen=True, slots=True)
class _Rows:
    """A parsed file: ``data[i]`` came from 1-based line ``lines[i]`` (``i + 1`` when None)."""

    path: Path
    data: np.ndarray
    lines: np.ndarray | None

    def error(self, row: int, what: str) -> TrackbenchError:
        line = row + 1 if self.lines is None else int(self.lines[row])
        return TrackbenchError(f"{self.path}:{line}: {what}")


def _parse(path: Path, layouts: dict[int, str]) -> _Rows:
    """All rows of a comma-separated numeric file with one of the allowed column counts."""
    path = Path(path)
    if not path.is_file():
        raise TrackbenchError(f"{path}: file not found")
    # Universal newlines: CRLF and CR files read like LF files.
    text = path.read_text(encoding="utf-8", errors="replace")
    if not text.strip():
        return _Rows(path, np.empty((0, min(layouts)), np.float64), None)
    try:
        data = np.loadtxt(io.StringIO(text), delimiter=",", ndmin=2, dtype=np.float64, comments=None)
    except ValueError:
        return _parse_slow(path, text, layouts)
    lines = None
    if text.startswith("\n") or "\n\n" in text:  # loadtxt skipped empty lines: keep the mapping
        lines = np.array([i for i, s in enumerate(text.split("\n"), 1) if s], np.int64)
    rows = _Rows(path, data, lines)
    if data.shape[1] not in layouts:
        raise rows.error(0, _columns_message(data.shape[1], layouts))
    return rows


def _parse_slow(path: Path, text: str, layouts: dict[int, str]) -> _Rows:
    """Line-by-line parse: finds the first bad line, or parses what loadtxt refused (blank lines)."""
    values: list[list[float]] = []
    lines: list[int] = []
    width = 0
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.strip()
        if not line:
            continue
        fields = line.split(",")
        if not width:
            width = len(fields)
        if len(fields) not in layouts:
            raise TrackbenchError(f"{path}:{number}: {_columns_message(len(fields), layouts)}")
        if len(fields) != width:
            raise TrackbenchError(f"{path}:{number}: has {len(fields)} columns but line {lines[0]} has {width}")
        try:
            values.append([float(f) for f in fields])
        except ValueError:
            names = layouts[width].split(",")
            col, bad = next((i, f) for i, f in enumerate(fields) if not _is_number(f))
            raise TrackbenchError(
                f"{path}:{number}: column {col + 1} ({names[col]}) is not a number: {bad.strip()[:30]!r}"
            ) from None
        lines.append(number)
    return _Rows(path, np.array(values, np.float64).reshape(-1, width), np.array(lines, np.int64))


def _is_number(field: str) -> bool:
    try:
        float(field)
    except ValueError:
        return False
    return True


def _columns_message(count: int, layouts: dict[int, str]) -> str:
    allowed = "; ".join(f"{n}: {names}" for n, names in layouts.items())
    return f"has {count} columns, expected one of ({allowed})"


_LARGEST_ID = float(2**53)


def _check(rows: _Rows, layouts: dict[int, str], columns: int, integer: Sequence[int], last_frame: int | None) -> None:
    """Raise for the earliest row with a non-finite value, a non-integer frame/id/class,
    frame < 1 (or > ``last_frame``), or width/height <= 0."""
    data = rows.data[:, :columns]
    names = layouts[rows.data.shape[1]].split(",")
    problems: list[tuple[int, str]] = []

    def first(mask: npt.ArrayLike, describe: Callable[[int], str]) -> None:
        hits = np.flatnonzero(mask)
        if hits.size:
            problems.append((int(hits[0]), describe(int(hits[0]))))

    finite = np.isfinite(data)
    first(~finite.all(axis=1), lambda r: _bad_value(data[r], names, ~finite[r], "is not finite"))

    def not_integer(c: int) -> Callable[[int], str]:
        return lambda r: f"{names[c]} {float(data[r, c])!r} is not an integer"

    def too_large(c: int) -> Callable[[int], str]:
        return lambda r: f"{names[c]} {data[r, c]:g} is too large (at most 2**53)"

    def not_positive(c: int) -> Callable[[int], str]:
        return lambda r: f"{names[c]} {data[r, c]:g} must be > 0"

    for col in integer:
        values = data[:, col]
        first(finite[:, col] & (values != np.round(values)), not_integer(col))
        # Beyond 2**53 a float no longer holds every integer, and int64 cannot hold it at all.
        first(finite[:, col] & (np.abs(values) > _LARGEST_ID), too_large(col))
    first(data[:, 0] < 1, lambda r: f"frame {data[r, 0]:g} is < 1 (frames are 1-based)")
    if last_frame is not None:
        first(data[:, 0] > last_frame, lambda r: f"frame {data[r, 0]:g} is beyond the sequence end {last_frame}")
    for col in (4, 5):
        first(data[:, col] <= 0, not_positive(col))
    if problems:
        row, what = min(problems)
        raise rows.error(row, what)


def _bad_value(row: np.ndarray, names: list[str], bad: np.ndarray, what: str) -> str:
    col = int(np.flatnonzero(bad)[0])
    return f"{names[col]} {float(row[col])!r} {what}"


def _check_unique_ids(rows: _Rows) -> None:
    """Raise at the first line whose (frame, id) pair already appeared earlier in the file."""
    frames, ids = rows.data[:, 0], rows.data[:, 1]
    order = np.lexsort((np.arange(len(frames)), ids, frames))
    same = (frames[order][1:] == frames[order][:-1]) & (ids[order][1:] == ids[order][:-1])
    if same.any():
        row = int(order[1:][same].min())
        raise rows.error(row, f"duplicate id {ids[row]:g} in frame {frames[row]:g}")


def _table(data: np.ndarray, keep: np.ndarray, ids: np.ndarray, conf: np.ndarray, distractor: np.ndarray) -> BoxTable:
    """Kept rows as a BoxTable, stably sorted by frame (file order within a frame)."""
    order = np.flatnonzero(keep)
    order = order[np.argsort(data[order, 0], kind="stable")]
    return BoxTable(
        frames=data[order, 0].astype(np.int64),
        ids=ids[order].astype(np.int64),
        boxes=np.ascontiguousarray(data[order, 2:6]),
        confidences=conf[order].astype(np.float64),
        distractor=np.asarray(distractor, bool)[order],
    )


def read_detections(
    path: str | Path,
    *,
    min_score: float | None = None,
    score_map: ScoreMap = "none",
    last_frame: int | None = None,
) -> BoxTable:
    """Detections of a 7- or 10-column det file (or a tracker file: its ids are dropped, -1).

    Scores are made fit for boxmot (which wants them in [0, 1]) by one explicit rule:
    first rows with raw score < ``min_score`` are dropped (None keeps all), then
    ``score_map`` maps the raw score: ``"none"`` keeps it and requires it in [0, 1];
    ``"clip"`` clips it to [0, 1]; ``"minmax"`` maps the raw range of the whole file
    (all rows, before ``min_score``, so a box's score does not depend on the selection)
    linearly onto [0, 1], and a file with one constant score gets 1.0 everywhere.
    ``last_frame`` (e.g. seqinfo's seqLength) makes rows beyond it an error. Every kept row
    must also be one boxmot accepts (:mod:`trackbench.datasets.boxfit`: finite and
    ``x2 > x1``, ``y2 > y1`` in float32), else the error names its line.
    """
    if score_map not in SCORE_MAPS:
        raise TrackbenchError(f"score_map {score_map!r} is not one of {', '.join(SCORE_MAPS)}")
    rows = _parse(Path(path), _DET_LAYOUTS)
    _check(rows, _DET_LAYOUTS, 7, (0,), last_frame)
    data = rows.data
    raw = data[:, 6]
    keep = np.ones(len(raw), bool) if min_score is None else raw >= min_score
    if score_map == "clip":
        score = np.clip(raw, 0.0, 1.0)
    elif score_map == "minmax":
        lo, hi = (float(raw.min()), float(raw.max())) if raw.size else (0.0, 1.0)
        with np.errstate(over="ignore", invalid="ignore"):  # an overflowing range is refused below
            score = np.ones_like(raw) if hi == lo else (raw - lo) / (hi - lo)
    else:
        score = raw
        outside = np.flatnonzero(keep & ((raw < 0) | (raw > 1)))
        if outside.size:
            raise rows.error(
                int(outside[0]),
                f"score {raw[outside[0]]:g} is outside [0, 1]; set dataset.files.score_map to 'clip' or 'minmax' "
                "(and dataset.files.min_score to drop weak boxes)",
            )
    kept = np.flatnonzero(keep)
    unfit = first_unfit(data[kept, 2:6], score[kept])
    if unfit is not None:
        raise rows.error(int(kept[unfit[0]]), unfit[1])
    if raw.size:
        log.info(
            "%s: %d of %d detections kept (raw score %.4g..%.4g, min_score=%s, score_map=%s)",
            rows.path, int(keep.sum()), len(raw), raw.min(), raw.max(), min_score, score_map,
        )  # fmt: skip
    return _table(data, keep, np.full(len(raw), -1), score, np.zeros(len(raw), bool))


def read_ground_truth(
    path: str | Path,
    *,
    target_classes: Sequence[int] | None = (1,),
    distractor_classes: Sequence[int] = (2, 7, 8, 12),
    zero_conf: ZeroConf = "drop",
    last_frame: int | None = None,
) -> BoxTable:
    """Ground truth of a 9-column MOT16/17 or 10-column MOT15 gt file, split into scored
    targets and distractors (``distractor=True``: not scored; matched hypotheses removed).

    With a class column (9 columns): rows of ``target_classes`` are targets, rows of
    ``distractor_classes`` (MOT17 defaults: person on vehicle, static person, distractor,
    reflection) are distractors, all other classes are dropped. ``target_classes=None``
    (and any 10-column MOT15 file, which has no class) keeps every row as a target.
    Target rows with conf == 0 are MOTChallenge "ignore" rows, handled by ``zero_conf``:
    ``"drop"`` (default; TrackEval: not scored, matched hypotheses still count),
    ``"distractor"`` (matched hypotheses removed too) or ``"target"``.
    A repeated id within one frame is an error, as is a frame beyond ``last_frame``.
    """
    if zero_conf not in ZERO_CONF_RULES:
        raise TrackbenchError(f"zero_conf {zero_conf!r} is not one of {', '.join(ZERO_CONF_RULES)}")
    rows = _parse(Path(path), _GT_LAYOUTS)
    has_class = rows.data.shape[1] == 9
    _check(rows, _GT_LAYOUTS, 8 if has_class else 7, (0, 1, 7) if has_class else (0, 1), last_frame)
    _check_unique_ids(rows)
    data = rows.data
    if has_class and target_classes is not None:
        target = np.isin(data[:, 7], list(target_classes))
        distractor = np.isin(data[:, 7], list(distractor_classes)) & ~target
    else:
        target = np.ones(len(data), bool)
        distractor = np.zeros(len(data), bool)
    ignore = target & (data[:, 6] == 0)
    if zero_conf == "distractor":
        distractor |= ignore
        target &= ~ignore
    elif zero_conf == "drop":
        target &= ~ignore
    return _table(data, target | distractor, data[:, 1], data[:, 6], distractor)


def read_results(path: str | Path, *, last_frame: int | None = None) -> BoxTable:
    """Tracker output (``frame,id,x,y,w,h,conf[,-1,-1,-1]``) with ids; no row is a distractor."""
    rows = _parse(Path(path), _RESULT_LAYOUTS)
    _check(rows, _RESULT_LAYOUTS, 7, (0, 1), last_frame)
    _check_unique_ids(rows)
    data = rows.data
    return _table(data, np.ones(len(data), bool), data[:, 1], data[:, 6], np.zeros(len(data), bool))


def write_results(
    path: str | Path,
    frames: np.ndarray,
    ids: np.ndarray,
    boxes: np.ndarray,
    confidences: np.ndarray,
) -> None:
    """Write ``frame,id,x,y,w,h,conf,-1,-1,-1`` lines in the given row order.

    Floats are written with Python's shortest round-trip repr, so reading back is exact.
    """
    frames_l = np.asarray(frames, np.int64).tolist()
    ids_l = np.asarray(ids, np.int64).tolist()
    boxes_a = np.asarray(boxes, np.float64).reshape(-1, 4)
    conf_l = np.asarray(confidences, np.float64).tolist()
    if not len(frames_l) == len(ids_l) == len(boxes_a) == len(conf_l):
        raise ValueError("frames, ids, boxes and confidences must have the same number of rows")
    lines = [
        f"{f},{i},{x!r},{y!r},{w!r},{h!r},{c!r},-1,-1,-1\n"
        for f, i, (x, y, w, h), c in zip(frames_l, ids_l, boxes_a.tolist(), conf_l, strict=True)
    ]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(lines), encoding="utf-8")
