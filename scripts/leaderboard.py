"""Print a leaderboard of an experiment's runs from the MLflow store, best first.

    python scripts/leaderboard.py                          # sqlite:///mlflow.db, experiment trackbench
    python scripts/leaderboard.py --sort mota --limit 20
    python scripts/leaderboard.py --uri http://127.0.0.1:5000 --experiment fish --params tracker.n_init
    python scripts/leaderboard.py --sweep multirun/2026-11-25/10-00-00   # one sweep's jobs only
    python scripts/leaderboard.py --compare RUN_A RUN_B --sort hota      # paired bootstrap of two runs

Only finished runs that carry metrics are listed (sweep parent runs are left out); a metric's
95% interval is shown as ``[low, high]`` where the run logged it. ``--compare`` resamples the
(camera, window) blocks of two runs on the same data (their metrics.json artifacts) and prints
the interval of the difference and how often each run wins.
"""

from __future__ import annotations

import argparse
import math
import sys

from trackbench.errors import TrackbenchError
from trackbench.record.mlflow_log import run_metrics_file
from trackbench.record.queries import finished_runs
from trackbench.scoring.counts import LOWER_IS_BETTER

DEFAULT_PARAMS = ("tracker.max_coast_frames", "tracker.n_init", "tracker.iou_threshold", "tracker.det_thresh")


def render(table: list[dict], params: list[str], metrics: list[str]) -> str:
    columns = ["run", "tracker_kind", "dataset", *params, *metrics]
    cells = [[_cell(r, c) for c in columns] for r in table]
    widths = [max(len(c), *(len(row[i]) for row in cells)) if cells else len(c) for i, c in enumerate(columns)]
    lines = ["  ".join(c.rjust(w) for c, w in zip(columns, widths, strict=True))]
    lines.append("-" * len(lines[0]))
    lines += ["  ".join(v.rjust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(lines)


def _cell(row: dict, column: str) -> str:
    low, high = row.get(f"{column}_ci_low"), row.get(f"{column}_ci_high")
    if low is None or high is None:
        return _fmt(row.get(column))
    return f"{_fmt(row.get(column))} [{low:.3f}, {high:.3f}]"


def compare(uri: str, run_a: str, run_b: str, metric: str, samples: int, seed: int) -> str:
    """Paired bootstrap of two runs' window blocks (same cameras and windows)."""
    from trackbench.scoring import bootstrap

    def load(run_id: str) -> tuple[tuple, dict]:
        m = run_metrics_file(uri, run_id)
        return bootstrap.blocks_from_json(m["windows"]["per_camera"]), m["overall"]

    if metric in ("hota", "assa", "assre", "asspr", "loca"):
        raise TrackbenchError(f"{metric}: no calibrated interval (docs/guide/uncertainty.md)")
    (blocks_a, a), (blocks_b, b) = load(run_a), load(run_b)
    if len(blocks_a) != len(blocks_b):
        raise TrackbenchError(f"runs {run_a} and {run_b} were not scored on the same cameras and windows")
    higher = metric not in LOWER_IS_BETTER
    c = bootstrap.compare(blocks_a, blocks_b, a, b, metric, samples, seed, higher_is_better=higher)
    d = c.difference
    return (
        f"{metric}: A {a[metric]:.4f}, B {b[metric]:.4f}; A - B = {d.value:+.4f}, 95% interval "
        f"[{d.low:+.4f}, {d.high:+.4f}] over {len(blocks_a)} blocks; A better in {100 * c.a_wins:.1f}% "
        f"of {samples} paired resamples, B in {100 * c.b_wins:.1f}%"
        + ("" if d.low > 0 or d.high < 0 else "; the interval includes 0: not distinguishable")
        + f"\nwhich errors differ (animal, frame, kind): trackbench-diff {run_a} {run_b} --tracking-uri {uri}"
    )


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
    parser.add_argument("--compare", nargs=2, metavar=("RUN_A", "RUN_B"), help="paired bootstrap, full run ids")
    parser.add_argument("--samples", type=int, default=1000, help="bootstrap resamples (--compare)")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed (--compare)")
    args = parser.parse_args(argv)

    if args.compare:
        try:
            print(compare(args.uri, *args.compare, args.sort, args.samples, args.seed))
        except TrackbenchError as exc:
            print(f"leaderboard: error: {exc}", file=sys.stderr)
            return 2
        return 0
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
