"""A sweep's standing from its job runs: the leaderboard, the best job, the counts. Pure."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

COLUMNS = ("hota", "idf1", "mota", "num_switches", "num_false_positives", "num_misses")
PRUNED_TAG = "trackbench.trial_state"
PLOTTED = 30  # the comparison plot's bars: the leaderboard's first rows


def _state(run: Mapping[str, Any]) -> str:
    if run["tags"].get(PRUNED_TAG) == "pruned":
        return "pruned"
    return {"FINISHED": "finished", "FAILED": "failed", "KILLED": "failed"}.get(run["status"], "running")


def standing(runs: Sequence[Mapping[str, Any]], metric: str, direction: str) -> dict[str, Any]:
    """Counts by state, and the finished jobs sorted best first by ``metric``."""
    counts = {"finished": 0, "failed": 0, "pruned": 0, "running": 0}
    for run in runs:
        counts[_state(run)] += 1
    scored = [r for r in runs if _state(r) == "finished" and math.isfinite(r["metrics"].get(metric, math.nan))]
    scored.sort(key=lambda r: r["metrics"][metric], reverse=direction == "maximize")
    return {"counts": counts, "ranked": scored, "best": scored[0] if scored else None}


def leaderboard_rows(ranked: Sequence[Mapping[str, Any]], metric: str) -> list[dict[str, Any]]:
    columns = [metric, *(c for c in COLUMNS if c != metric)]
    return [
        {"rank": i + 1, "run": r["name"], "run_id": r["run_id"], **{c: r["metrics"].get(c) for c in columns}}
        for i, r in enumerate(ranked)
    ]


def as_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    if not rows:
        return ""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def as_markdown(rows: Sequence[Mapping[str, Any]], title: str) -> str:
    if not rows:
        return f"# {title}\n\nno finished job yet\n"
    keys = [k for k in rows[0] if k != "run_id"]
    return "\n".join([f"# {title}", "", *_table(keys, rows)]) + "\n"


def _table(keys: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """A markdown table's lines: ``keys`` as its columns, a row per mapping (missing: "-")."""
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    return lines + ["| " + " | ".join(_cell(r.get(k)) for k in keys) + " |" for r in rows]


def _cell(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4f}" if not v.is_integer() else str(int(v))
    return "-" if v is None else str(v)


NOTE_COLUMNS = ("hota", "idf1", "mota")  # the description's table is narrow: the rest is in the CSV


def note(
    rows: Sequence[Mapping[str, Any]],
    counts: Mapping[str, int],
    metric: str,
    shown: int = 20,
    learned: Sequence[str] = (),
) -> str:
    """The parent run's description (MLflow renders it as markdown on the run's page, its first
    lines shown): the best job and the job counts, what an Optuna study learned (``learned``:
    a line per objective), then the leaderboard's first ``shown`` rows."""
    jobs = ", ".join(f"{n} {state}" for state, n in counts.items())
    best = f"**best: {rows[0]['run']}, {metric} {rows[0][metric]:.4f}**" if rows else "**no finished job yet**"
    keys = ["rank", "run", *dict.fromkeys((metric, *NOTE_COLUMNS))]
    lines = [f"{best} (jobs: {jobs})", *(f"\n{line}" for line in learned), "", *_table(keys, rows[:shown])]
    if len(rows) > shown:
        lines.append(f"\n{len(rows) - shown} more rows in report/leaderboard.csv")
    lines.append("\nArtifacts: report/leaderboard.md, report/leaderboard.csv, report/comparison.png.")
    if learned:
        lines.append("What the study learned: learned/ (importance, history, slice); a front: pareto/.")
    return "\n".join(lines) + "\n"
