"""The short table printed at the end of a run."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trackbench.experiment.app import ExperimentResult

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


def _diagnosis_lines(result: ExperimentResult) -> list[str]:
    """The pooled identity numbers in one line and the attribution table (metrics.json has more)."""
    lines: list[str] = []
    identity = (getattr(result, "identity", None) or {}).get("overall")
    if identity:
        lines.append(
            f"identity: recall {_cell(identity['identity_recall'])} (median animal "
            f"{_cell(identity['identity_recall_median'])}, worst {_cell(identity['identity_recall_min'])} "
            f"{identity['worst_animal']}), MTBF {_cell(identity['mtbf_standard'])} / monotonic "
            f"{_cell(identity['mtbf_monotonic'])} frames, IDsw per 1000 frames "
            f"{_cell(identity['idsw_per_1000_frames'])}"
        )
    table = (getattr(result, "attribution", None) or {}).get("overall")
    if table:
        lines.append(f"{'if fixed':<10}" + "".join(f"{t:>8}" for t in ("HOTA", "MOTA", "IDF1")))
        for kind, metrics in table.items():
            name = "as scored" if kind == "none" else kind
            lines.append(f"{name:<10}" + "".join(f"{_cell(metrics.get(k)):>8}" for k in ("hota", "mota", "idf1")))
    return lines


def format_summary(result: ExperimentResult) -> str:
    rows = [(camera, m) for camera, m in result.per_camera.items()] + [("overall", result.overall)]
    width = max(len(name) for name, _ in rows)
    header = f"{'camera':<{width}}  " + "  ".join(f"{title:>7}" for _, title in COLUMNS)
    lines = [header, "-" * len(header)]
    for name, metrics in rows:
        lines.append(f"{name:<{width}}  " + "  ".join(f"{_cell(metrics.get(key)):>7}" for key, _ in COLUMNS))
    lines.extend(_diagnosis_lines(result))
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
