"""Run-vs-run diff: are two runs comparable, how their window counts differ, which error events
one run has and the other has not. Pure functions of two run folders' files (no MLflow here).

Events are matched per camera as follows (``docs/diff.md``):

- ``fn``, ``idsw``, ``frag``: by (frame, ground-truth animal, kind); hypothesis ids are the
  trackers' own names and are not compared;
- ``fp`` (no animal): by frame, then box: within a frame, pairs of A's and B's false positives
  with IoU >= :data:`FP_IOU` are matched greedily, highest IoU first.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from trackbench.artifacts.events import KINDS, NONE, ErrorEvents, read_events
from trackbench.datasets.iou import box_iou
from trackbench.errors import TrackbenchError

FP_IOU = 0.5  # two runs' false positives in one frame are the same event from this box IoU on
ERRORS = "errors"  # a run's error-event folder
POOLED = "pooled"
# windows.csv quantities: (column, metrics.json window key under counts.clear, or a metric)
COUNTS = (
    ("fp", "num_false_positives"),
    ("fn", "num_misses"),
    ("idsw", "num_switches"),
    ("matches", "num_matches"),
    ("objects", "num_objects"),
    ("predictions", "num_predictions"),
    ("idtp", "idtp"),
    ("idfp", "idfp"),
    ("idfn", "idfn"),
)
METRICS = ("hota", "mota", "idf1")
_SAME = ("scored_frames", "matching", "iou_threshold")  # metrics.json keys two runs must share
_RUN_ID = re.compile(r"[0-9a-f]{32}")


def is_run_id(source: str) -> bool:
    """An MLflow run id (32 hex digits) that is not also an existing folder."""
    return _RUN_ID.fullmatch(source) is not None and not Path(source).is_dir()


def short_name(source: str) -> str:
    """A run's short name (output folder, plot title): a run id's first 8 digits, a folder's name."""
    return source[:8] if is_run_id(source) else (Path(source).resolve().name or "run")


@dataclass(frozen=True)
class Run:
    """One run's files as the diff reads them; ``events`` is None for a run without errors/."""

    label: str  # "A" or "B"
    source: str  # the folder or MLflow run id the user named
    metrics: dict[str, Any]
    dataset: dict[str, Any]
    events: dict[str, ErrorEvents] | None

    @property
    def cameras(self) -> list[str]:
        return list(self.metrics["windows"]["per_camera"])


def load_run(folder: Path, label: str, source: str) -> Run:
    """A run folder's metrics.json, config.yaml's dataset section and errors/ (when present)."""
    from omegaconf import OmegaConf

    metrics_path, config_path = folder / "metrics.json", folder / "config.yaml"
    metrics = _read_json(metrics_path)
    for key in (*_SAME, "windows"):
        if key not in metrics:
            raise TrackbenchError(f"{metrics_path}: no key {key!r} (a run from an older trackbench?)")
    if not config_path.is_file():
        raise TrackbenchError(f"{config_path}: not found (needed to check both runs scored the same data)")
    try:
        config = OmegaConf.to_container(OmegaConf.load(config_path), resolve=False)
    except Exception as exc:  # omegaconf's and yaml's parse errors share no base class
        raise TrackbenchError(f"{config_path}: not readable YAML ({(str(exc).splitlines() or [''])[0]})") from None
    if not isinstance(config, dict) or not isinstance(config.get("dataset"), dict):
        raise TrackbenchError(f"{config_path}: no 'dataset' section")
    events = None
    if (folder / ERRORS).is_dir():
        events = {c: read_events(folder / ERRORS / f"{c}.csv") for c in metrics["windows"]["per_camera"]}
    return Run(label, source, metrics, config["dataset"], events)


def _read_json(path: Path) -> dict[str, Any]:
    import json

    if not path.is_file():
        raise TrackbenchError(f"{path}: not found (not a trackbench run folder?)")
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise TrackbenchError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    if not isinstance(found, dict):
        raise TrackbenchError(f"{path}: expected a JSON object")
    return found


def _first_difference(a: Any, b: Any, key: str) -> tuple[str, Any, Any] | None:
    """The first dotted key at which two nested mappings differ, with both values."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            found = _first_difference(a.get(k), b.get(k), f"{key}.{k}")
            if found:
                return found
        return None
    return None if a == b else (key, a, b)


def check_comparable(a: Run, b: Run) -> None:
    """Raise one line when the two runs were not scored on the same data, frames and rules."""
    found = _first_difference(a.dataset, b.dataset, "dataset")
    if found is None:
        for key in _SAME:
            if a.metrics[key] != b.metrics[key]:
                found = (key, a.metrics[key], b.metrics[key])
                break
    if found is None:
        key = "windows.window_frames"
        wa, wb = a.metrics["windows"].get("window_frames"), b.metrics["windows"].get("window_frames")
        found = (key, wa, wb) if wa != wb else None
    if found is None and sorted(a.cameras) != sorted(b.cameras):
        found = ("cameras", ",".join(a.cameras), ",".join(b.cameras))
    for camera in a.cameras if found is None else ():
        ra, rb = _frame_range(a, camera), _frame_range(b, camera)
        if ra != rb:
            found = (f"{camera}'s frames", f"{ra[0]}-{ra[1]}", f"{rb[0]}-{rb[1]}")
            break
    if found is not None:
        key, va, vb = found
        raise TrackbenchError(
            f"the runs were not scored alike: {key} is {va!r} in A ({a.source}) but {vb!r} in B ({b.source}); "
            "a diff compares runs on the same data and frames"
        )


def _frame_range(run: Run, camera: str) -> tuple[int, int] | tuple[None, None]:
    windows = run.metrics["windows"]["per_camera"][camera]
    return (windows[0]["first_frame"], windows[-1]["last_frame"]) if windows else (None, None)


def _window_values(window: dict[str, Any]) -> dict[str, float]:
    clear = window.get("counts", {}).get("clear", {})
    values = {col: float(clear.get(key, window.get(key, math.nan))) for col, key in COUNTS}
    values.update({m: float(window.get(m, math.nan)) for m in METRICS})
    return values


def window_rows(a: Run, b: Run) -> list[dict[str, Any]]:
    """One row per camera (then pooled) and window: each count and metric in A, in B, and B - A."""
    rows = []
    sides = [(c, a.metrics["windows"]["per_camera"][c], b.metrics["windows"]["per_camera"][c]) for c in a.cameras]
    sides.append((POOLED, a.metrics["windows"]["pooled"], b.metrics["windows"]["pooled"]))
    for camera, wa, wb in sides:
        for x, y in zip(wa, wb, strict=False):  # same frame ranges (checked): same windows
            va, vb = _window_values(x), _window_values(y)
            row: dict[str, Any] = {"camera": camera, "first_frame": x["first_frame"], "last_frame": x["last_frame"]}
            for name in va:
                row.update({f"{name}_a": va[name], f"{name}_b": vb[name], f"{name}_diff": vb[name] - va[name]})
            rows.append(row)
    return rows


def _take(events: ErrorEvents, keep: np.ndarray) -> ErrorEvents:
    return ErrorEvents(
        events.kinds[keep], events.frames[keep], events.gt_ids[keep], events.hyp_ids[keep],
        events.prev_hyp_ids[keep], events.boxes[keep],
    )  # fmt: skip


def _match_keyed(a: ErrorEvents, b: ErrorEvents, ua: np.ndarray, ub: np.ndarray) -> None:
    """Mark fn/idsw/frag events matched by (frame, animal, kind): each of A's pairs with one of B's."""
    waiting: dict[tuple[int, int, int], list[int]] = defaultdict(list)
    fp = KINDS.index("fp")
    for j, key in enumerate(zip(b.frames.tolist(), b.gt_ids.tolist(), b.kinds.tolist(), strict=True)):
        if key[2] != fp:
            waiting[key].append(j)
    for i, key in enumerate(zip(a.frames.tolist(), a.gt_ids.tolist(), a.kinds.tolist(), strict=True)):
        if key[2] != fp and waiting.get(key):
            ua[i] = ub[waiting[key].pop(0)] = False


def _match_fp(a: ErrorEvents, b: ErrorEvents, ua: np.ndarray, ub: np.ndarray) -> None:
    """Mark false positives matched within a frame by box IoU >= FP_IOU, greedily by IoU."""
    fp = KINDS.index("fp")
    by_frame: dict[int, list[int]] = defaultdict(list)
    for j in np.flatnonzero(b.kinds == fp).tolist():
        by_frame[int(b.frames[j])].append(j)
    mine: dict[int, list[int]] = defaultdict(list)
    for i in np.flatnonzero(a.kinds == fp).tolist():
        mine[int(a.frames[i])].append(i)
    for frame, ia in mine.items():
        ib = by_frame.get(frame)
        if not ib:
            continue
        iou = box_iou(a.boxes[ia][:, None], b.boxes[ib][None, :])
        for flat in np.argsort(-iou, axis=None, kind="stable").tolist():
            r, c = divmod(flat, len(ib))
            if iou[r, c] < FP_IOU:
                break
            if ua[ia[r]] and ub[ib[c]]:
                ua[ia[r]] = ub[ib[c]] = False


def unmatched_events(a: ErrorEvents, b: ErrorEvents) -> tuple[ErrorEvents, ErrorEvents]:
    """The events of A that B has not, and of B that A has not (one camera; module docstring)."""
    a, b = a.sorted(), b.sorted()
    ua, ub = np.ones(len(a), bool), np.ones(len(b), bool)
    _match_keyed(a, b, ua, ub)
    _match_fp(a, b, ua, ub)
    return _take(a, ua), _take(b, ub)


def event_sentence(kind: str, frame: int, gt_id: int, hyp_id: int, prev_hyp_id: int, box: Any) -> str:
    """One event in words, e.g. ``animal 3 switched from hypothesis 5 to 7 at frame 412``."""
    if kind == "idsw":
        return f"animal {gt_id} switched from hypothesis {prev_hyp_id} to {hyp_id} at frame {frame}"
    if kind == "fn":
        return f"animal {gt_id} missed at frame {frame}"
    if kind == "frag":
        return f"animal {gt_id} tracked again after a gap at frame {frame} (hypothesis {hyp_id})"
    held = "" if hyp_id == NONE else f" (hypothesis {hyp_id})"
    x, y, w, h = (round(float(v)) for v in box)
    return f"a false positive{held} at frame {frame}, box x={x} y={y} w={w} h={h}"
