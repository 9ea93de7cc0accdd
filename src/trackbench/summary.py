"""The short table printed at the end of a run."""

from __future__ import annotations

import math
from typing import Any

COLUMNS = (
    ("hota", "HOTA"),
    ("mota", "MOTA"),
    ("idf1", "IDF1"),
    ("num_switches", "IDsw"),
    ("num_false_positives", "FP"),
    ("num_misses", "FN"),
)


def _cell(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.3f}" if isinstance(value, float) and not float(value).is_integer() else f"{int(value)}"


def format_summary(result: Any) -> str:
    rows = [(camera, m) for camera, m in result.per_camera.items()] + [("overall", result.overall)]
    width = max(len(name) for name, _ in rows)
    header = f"{'camera':<{width}}  " + "  ".join(f"{title:>7}" for _, title in COLUMNS)
    lines = [header, "-" * len(header)]
    for name, metrics in rows:
        lines.append(f"{name:<{width}}  " + "  ".join(f"{_cell(metrics.get(key)):>7}" for key, _ in COLUMNS))
    if getattr(result, "scoring", ""):
        lines.append(result.scoring)
    lines.append(f"results: {result.output_dir}")
    if result.run_id:
        lines.append(f"mlflow run: {result.run_id}")
    if getattr(result, "table", ""):
        lines.append(f"mlflow runs table, sorted by the objective: {result.table}")
    if getattr(result, "address", ""):
        lines.append(f"mlflow ui: {result.address}")
    return "\n".join(lines)
