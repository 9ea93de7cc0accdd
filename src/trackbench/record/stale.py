"""``trackbench-gc`` (or ``python -m trackbench.stale``): mark dead runs FAILED.

A job killed without a chance to end its MLflow run (SIGKILL, the OOM killer, a preempted
node) leaves it RUNNING. Every trackbench run start sweeps its own experiment; this command
does the same on demand, for one experiment or all, e.g. from cron next to a team server.
"""

from __future__ import annotations

import argparse
import sys

from trackbench.config import MlflowConfig
from trackbench.errors import TrackbenchError
from trackbench.record.mlflow_log import open_client, sweep_stale_runs
from trackbench.record.store_check import check_tracking_uri

_DEFAULTS = MlflowConfig()


def sweep_experiment(tracking_uri: str, experiment: str | None, stale_after_s: float) -> list[str]:
    """:func:`sweep_stale_runs` over one experiment by name (None: every experiment)."""
    client = open_client(tracking_uri)
    if experiment is None:
        ids = [e.experiment_id for e in client.search_experiments(max_results=50000)]
    else:
        found = client.get_experiment_by_name(experiment)
        if found is None:
            raise TrackbenchError(f"no experiment named {experiment!r} in {tracking_uri}")
        ids = [found.experiment_id]
    return sweep_stale_runs(client, ids, stale_after_s) if ids else []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="trackbench-gc",
        description="Mark RUNNING MLflow runs whose trackbench.heartbeat is older than --stale-after FAILED.",
    )
    parser.add_argument("--tracking-uri", default=_DEFAULTS.tracking_uri, help="default: %(default)s")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--experiment", default=_DEFAULTS.experiment_name, help="default: %(default)s")
    group.add_argument("--all", action="store_true", help="every experiment in the store")
    parser.add_argument(
        "--stale-after",
        type=float,
        default=_DEFAULTS.stale_after_s,
        metavar="SECONDS",
        help="heartbeat age that marks a run dead (default: %(default)s; at least 3x the jobs' mlflow.heartbeat_s)",
    )
    args = parser.parse_args(argv)
    if args.stale_after <= 0:
        parser.error("--stale-after must be > 0")
    try:  # an unusable URI is one line, and a store is never created here (create=False)
        check_tracking_uri(args.tracking_uri, "--tracking-uri", create=False)
        marked = sweep_experiment(args.tracking_uri, None if args.all else args.experiment, args.stale_after)
    except TrackbenchError as exc:
        print(f"trackbench-gc: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # the store refused (e.g. a file that is not an MLflow database)
        reason = " ".join(str(exc).split())[:300]
        print(
            f"trackbench-gc: error: --tracking-uri {args.tracking_uri}: {type(exc).__name__}: {reason}", file=sys.stderr
        )
        return 2
    for run_id in marked:
        print(f"marked FAILED: {run_id}")
    print(f"{len(marked)} stale run(s) marked FAILED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
