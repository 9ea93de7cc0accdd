"""``trackbench-diff A B``: what changed between two runs (output folders or MLflow run ids).

Thin: parses arguments, fetches MLflow runs' files through mlflow_log, hands the folders to
run_diff / diff_report, prints their lines. Bad input is one ``trackbench-diff: error:`` line, exit 2.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from trackbench.config import MlflowConfig
from trackbench.errors import TrackbenchError
from trackbench.record import diff_report, run_diff
from trackbench.record.mlflow_log import download_run_files, log_folder_to_run
from trackbench.record.run_diff import is_run_id, short_name

_FILES = ("metrics.json", "config.yaml", "errors")  # what a diff reads from an MLflow run


def _local(source: str, label: str, tracking_uri: str, tmp: Path) -> Path:
    """The folder holding the run's files: the folder itself, or the MLflow run's, downloaded."""
    if Path(source).is_dir():
        return Path(source)
    if not is_run_id(source):
        raise TrackbenchError(f"{label}: {source!r} is neither a run folder nor an MLflow run id (32 hex digits)")
    dest = tmp / label
    download_run_files(tracking_uri, source, _FILES, dest)
    return dest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="trackbench-diff",
        description="Compare two runs scored on the same data and frames: count differences per camera and "
        "window, the error events one run has and the other has not, and a plot (docs/diff.md).",
    )
    parser.add_argument("a", metavar="A", help="run A: an output folder or an MLflow run id")
    parser.add_argument("b", metavar="B", help="run B: an output folder or an MLflow run id")
    parser.add_argument("--out", type=Path, help="folder for the diff's files (default: diff_<A>_<B>)")
    parser.add_argument(
        "--tracking-uri", default=MlflowConfig().tracking_uri, help="for MLflow run ids (default: %(default)s)"
    )
    parser.add_argument("--log-to", choices=("A", "B"), help="log the diff folder as artifacts to that MLflow run")
    args = parser.parse_args(argv)

    name = f"diff_{short_name(args.a)}_{short_name(args.b)}"
    out = args.out or Path(name)
    try:
        target = None if args.log_to is None else (args.a if args.log_to == "A" else args.b)
        if target is not None and not is_run_id(target):
            raise TrackbenchError(f"--log-to {args.log_to}: {target!r} is a folder, not an MLflow run id")
        with tempfile.TemporaryDirectory(prefix="trackbench-diff-") as tmp:
            runs = [
                run_diff.load_run(_local(source, label, args.tracking_uri, Path(tmp)), label, source)
                for label, source in (("A", args.a), ("B", args.b))
            ]
            diff = diff_report.compare(*runs)
        diff_report.write(diff, out)
        if target is not None:
            log_folder_to_run(args.tracking_uri, target, out, name)
    except TrackbenchError as exc:
        print(f"trackbench-diff: error: {exc}", file=sys.stderr)
        return 2
    if diff.missing_events:
        print(
            f"trackbench-diff: note: {diff.missing_words()} no errors/ folder (a run from before error events were "
            "written): events not compared, count differences only",
            file=sys.stderr,
        )
    print("\n".join(diff_report.console_lines(diff, out)))
    if target is not None:
        print(f"logged to run {target} under {name}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
