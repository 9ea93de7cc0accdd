"""Print a leaderboard of an experiment's runs from the MLflow store, best first.

    python scripts/leaderboard.py                          # sqlite:///mlflow.db, experiment trackbench
    python scripts/leaderboard.py --sort mota --limit 20
    python scripts/leaderboard.py --uri http://127.0.0.1:5000 --experiment fish --params tracker.n_init
    python scripts/leaderboard.py --sweep multirun/2026-11-25/10-00-00   # one sweep's jobs only

Only finished runs that carry metrics are listed (sweep parent runs are left out).
"""

from __future__ import annotations

import argparse
import math
import sys

from trackbench.errors import TrackbenchError
from trackbench.mlflow_log import finished_runs

DEFAULT_PARAMS = ("tracker.max_coast_frames", "tracker.n_init", "tracker.iou_threshold", "tracker.det_thresh")
LOWER_IS_BETTER = {"num_switches", "num_false_positives", "num_misses", "num_fragmentations", "motp"}


def render(table: list[dict], params: list[str], metrics: list[str]) -> str:
    columns = ["run", "tracker_kind", "dataset", *params, *metrics]
    cells = [[_fmt(r.get(c)) for c in columns] for r in table]
    widths = [max(len(c), *(len(row[i]) for row in cells)) if cells else len(c) for i, c in enumerate(columns)]
    lines = ["  ".join(c.rjust(w) for c, w in zip(columns, widths, strict=True))]
    lines.append("-" * len(lines[0]))
    lines += ["  ".join(v.rjust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(lines)


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}" if not value.is_integer() else f"{int(value)}"
    return str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--uri", default="sqlite:///mlflow.db", help="MLflow tracking URI")
    parser.add_argument("--experiment", default="trackbench")
    parser.add_argument("--sweep", help="only the jobs of this sweep directory (hydra.sweep.dir)")
    parser.add_argument("--sort", default="idf1", help="metric to sort by (default idf1)")
    parser.add_argument("--ascending", action="store_true", help="smallest first (default: best first)")
    parser.add_argument("--params", nargs="*", default=list(DEFAULT_PARAMS), help="params to show")
    parser.add_argument("--metrics", nargs="*", default=["mota", "idf1", "num_switches"], help="metrics to show")
    parser.add_argument("--limit", type=int, default=50)
    args = parser.parse_args(argv)

    try:
        table = finished_runs(args.uri, args.experiment, args.sweep)
    except TrackbenchError as exc:
        print(f"leaderboard: error: {exc}", file=sys.stderr)
        return 2
    ascending = args.ascending or args.sort in LOWER_IS_BETTER

    def key(r: dict) -> float:
        value = r.get(args.sort)
        if not isinstance(value, float) or math.isnan(value):
            return math.inf
        return value if ascending else -value

    table.sort(key=key)
    metrics = [args.sort, *(m for m in args.metrics if m != args.sort)]
    print(render(table[: args.limit], args.params, metrics))
    return 0


if __name__ == "__main__":
    sys.exit(main())
