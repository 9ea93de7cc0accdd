"""A run diff's files (windows.csv, events_only_a/b.csv, summary.md, diff.png) and console lines."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trackbench import artifacts
from trackbench.artifacts.events import COLUMNS, KINDS, ErrorEvents
from trackbench.plots import diagnosis as diagnosis_plots
from trackbench.record.run_diff import (
    FP_IOU,
    POOLED,
    Run,
    check_comparable,
    event_sentence,
    short_name,
    unmatched_events,
    window_rows,
)

FILES = ("windows.csv", "events_only_a.csv", "events_only_b.csv", "summary.md", "diff.png")
_TOTALS = (  # summary columns: (label, metrics.json key, is a count)
    ("HOTA", "hota", False),
    ("MOTA", "mota", False),
    ("IDF1", "idf1", False),
    ("FP", "num_false_positives", True),
    ("FN", "num_misses", True),
    ("IDSW", "num_switches", True),
    ("Frag", "num_fragmentations", True),
)
_EXAMPLE_ORDER = ("idsw", "frag", "fp", "fn")  # the kinds a reader looks at first


@dataclass(frozen=True)
class Diff:
    """Two comparable runs, their window rows and, when both have errors/, the unmatched events."""

    a: Run
    b: Run
    windows: list[dict[str, Any]]
    only_a: dict[str, ErrorEvents] | None
    only_b: dict[str, ErrorEvents] | None

    @property
    def missing_events(self) -> list[str]:
        """Labels of the runs without errors/ (events are then not compared)."""
        return [r.label for r in (self.a, self.b) if r.events is None]

    def missing_words(self) -> str:
        """``run A has`` / ``runs A and B have``: who lacks errors/, for a sentence."""
        missing = self.missing_events
        return f"run {missing[0]} has" if len(missing) == 1 else "runs A and B have"


def compare(a: Run, b: Run) -> Diff:
    """The diff of two runs; raises one line when they were not scored alike."""
    check_comparable(a, b)
    rows = window_rows(a, b)
    if a.events is None or b.events is None:
        return Diff(a, b, rows, None, None)
    pairs = {c: unmatched_events(a.events[c], b.events[c]) for c in a.cameras}
    return Diff(a, b, rows, {c: p[0] for c, p in pairs.items()}, {c: p[1] for c, p in pairs.items()})


def _number(value: float) -> str:
    return str(int(value)) if math.isfinite(value) and value == int(value) else f"{value:.6g}"


def windows_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(list(rows[0]) if rows else ["camera", "first_frame", "last_frame"])
    for row in rows:
        writer.writerow([v if isinstance(v, str) else _number(v) for v in row.values()])
    return out.getvalue()


def events_csv(per_camera: dict[str, ErrorEvents]) -> str:
    """``camera`` then the errors/ file's columns, cameras in run order, events in file order."""
    lines = [",".join(("camera", *COLUMNS))]
    for camera, events in per_camera.items():
        ev = events.sorted()
        for i in range(len(ev)):
            x, y, w, h = ev.boxes[i].tolist()
            kind = KINDS[ev.kinds[i]]
            ids = f"{ev.frames[i]},{ev.gt_ids[i]},{ev.hyp_ids[i]},{ev.prev_hyp_ids[i]}"
            lines.append(f"{camera},{kind},{ids},{x!r},{y!r},{w!r},{h!r}")
    return "\n".join(lines) + "\n"


def examples(per_camera: dict[str, ErrorEvents], side: str, limit: int) -> list[str]:
    """Up to ``limit`` events in words (switches first), e.g. "cam0: animal 3 ... in A only"."""
    found = []
    for kind in _EXAMPLE_ORDER:
        for camera, events in per_camera.items():
            ev = events.sorted()
            for i in [int(i) for i in (ev.kinds == KINDS.index(kind)).nonzero()[0]]:
                words = event_sentence(
                    kind, int(ev.frames[i]), int(ev.gt_ids[i]), int(ev.hyp_ids[i]), int(ev.prev_hyp_ids[i]), ev.boxes[i]
                )
                found.append(f"{camera}: {words} in {side} only")
                if len(found) == limit:
                    return found
    return found


def _totals(run: Run, camera: str) -> dict[str, Any]:
    return run.metrics["overall"] if camera == POOLED else run.metrics["per_camera"].get(camera, {})


def _cell(a: Any, b: Any, count: bool, arrow: bool) -> str:
    if not isinstance(a, int | float) or not isinstance(b, int | float):
        return "n/a"
    d = b - a
    diff = f"{d:+.0f}" if count else f"{d:+.3f}"
    return f"{a:.0f} → {b:.0f} ({diff})" if count and arrow else (f"{a:.3f} → {b:.3f} ({diff})" if arrow else diff)


def _event_counts(per_camera: dict[str, ErrorEvents] | None, camera: str) -> dict[str, int]:
    if per_camera is None:
        return {}
    if camera == POOLED:
        totals = dict.fromkeys(KINDS, 0)
        for ev in per_camera.values():
            for k, n in ev.counts().items():
                totals[k] += n
        return totals
    return per_camera[camera].counts()


def summary_markdown(diff: Diff) -> str:
    a, b = diff.a, diff.b
    m = a.metrics
    lines = [
        "# Run diff: A vs B",
        "",
        f"- A: `{a.source}`",
        f"- B: `{b.source}`",
        f"- Both scored on dataset `{a.dataset.get('name', '?')}`, the same cameras and frames: {m['matching']} "
        f"CLEAR matching, IoU >= {m['iou_threshold']:g}, eval.frames={m['scored_frames']}, windows of "
        f"{m['windows'].get('window_frames')} frames.",
        "- Differences are B - A (a negative FP, FN, IDSW or Frag difference: B makes fewer).",
        "",
        "## Per camera (A → B)",
        "",
        "| camera | " + " | ".join(label for label, _, _ in _TOTALS) + " |",
        "|---" * (len(_TOTALS) + 1) + "|",
    ]
    for camera in [*a.cameras, POOLED]:
        ta, tb = _totals(a, camera), _totals(b, camera)
        cells = [_cell(ta.get(key), tb.get(key), count, True) for _, key, count in _TOTALS]
        lines.append(f"| {camera} | " + " | ".join(cells) + " |")
    lines += ["", "## Events in one run only", ""]
    if diff.only_a is None or diff.only_b is None:
        lines.append(
            f"Not compared: {diff.missing_words()} no `errors/` folder (a run from before error events were written)."
        )
    else:
        lines += [
            "Matched by camera, frame, ground-truth animal and kind (fn, idsw, frag); false positives by camera, "
            f"frame and box IoU >= {FP_IOU:g}, greedily. Hypothesis ids are not compared.",
            "",
            "| camera | " + " | ".join(f"{k} A only | {k} B only" for k in KINDS) + " |",
            "|---" * (2 * len(KINDS) + 1) + "|",
        ]
        for camera in [*a.cameras, POOLED]:
            ca, cb = _event_counts(diff.only_a, camera), _event_counts(diff.only_b, camera)
            lines.append(f"| {camera} | " + " | ".join(f"{ca[k]} | {cb[k]}" for k in KINDS) + " |")
        lines += ["", "First events in one run only (switches first):", ""]
        shown = examples(diff.only_a, "A", 15) + examples(diff.only_b, "B", 15)
        lines += [f"- {line}" for line in shown] or ["- none: the runs make the same errors"]
    lines += ["", "Files: " + ", ".join(f"`{f}`" for f in FILES if f in _written(diff)) + "."]
    return "\n".join(lines) + "\n"


def _written(diff: Diff) -> tuple[str, ...]:
    return FILES if diff.only_a is not None else tuple(f for f in FILES if not f.startswith("events_"))


def console_lines(diff: Diff, out: Path) -> list[str]:
    """A short summary: each camera's headline differences, a few events in one run only."""
    keys = ("idf1", "hota", "mota", "num_false_positives", "num_misses", "num_switches")
    head = f"{'camera':<10}" + "".join(f"{h:>9}" for h in ("IDF1", "HOTA", "MOTA", "FP", "FN", "IDSW"))
    lines = [f"B - A: B = {diff.b.source}, A = {diff.a.source}", head + f"{'only A':>9}{'only B':>9}"]
    for camera in [*diff.a.cameras, POOLED]:
        ta, tb = _totals(diff.a, camera), _totals(diff.b, camera)
        cells = [_cell(ta.get(k), tb.get(k), k.startswith("num_"), False) for k in keys]
        ea, eb = _event_counts(diff.only_a, camera), _event_counts(diff.only_b, camera)
        tail = f"{sum(ea.values()):>9}{sum(eb.values()):>9}" if ea else f"{'-':>9}{'-':>9}"
        lines.append(f"{camera:<10}" + "".join(f"{c:>9}" for c in cells) + tail)
    if diff.only_a is not None and diff.only_b is not None:
        lines += [f"  {s}" for s in examples(diff.only_a, "A", 3) + examples(diff.only_b, "B", 3)]
    lines.append(f"written: {out}/ ({', '.join(_written(diff))})")
    return lines


def write(diff: Diff, out: Path) -> None:
    """The diff's files into ``out`` (created); events files only when both runs have errors/."""
    out.mkdir(parents=True, exist_ok=True)
    artifacts.atomic_write_text(out / "windows.csv", windows_csv(diff.windows))
    if diff.only_a is not None and diff.only_b is not None:
        artifacts.atomic_write_text(out / "events_only_a.csv", events_csv(diff.only_a))
        artifacts.atomic_write_text(out / "events_only_b.csv", events_csv(diff.only_b))
    else:  # an earlier diff's events in this folder would be read as this one's
        for name in ("events_only_a.csv", "events_only_b.csv"):
            (out / name).unlink(missing_ok=True)
    artifacts.atomic_write_text(out / "summary.md", summary_markdown(diff))
    per_camera: dict[str, list[dict[str, Any]]] = {}
    for row in diff.windows:
        per_camera.setdefault(row["camera"], []).append(
            {"first_frame": row["first_frame"], **{k: row[f"{c}_diff"] for c, k in _PLOTTED}}
        )
    title = f"count differences per window, B - A (A = {short_name(diff.a.source)}, B = {short_name(diff.b.source)})"
    window_frames = int(diff.a.metrics["windows"].get("window_frames") or 100)
    diagnosis_plots.plot_diff(out / "diff.png", per_camera, window_frames, title)


_PLOTTED = (("fp", "num_false_positives"), ("fn", "num_misses"), ("idsw", "num_switches"))
