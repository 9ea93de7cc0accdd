"""trackbench's own cost, measured side by side with plain boxmot in one run (ratios, not times).

    python scripts/bench.py                       # the synthetic default workload
    python scripts/bench.py --workload real       # a real sequence from ../shared/data (if present)
    python scripts/bench.py --workload long       # 12 cameras x 18,000 frames x 10 fish (minutes)
    python scripts/bench.py --workload long --frames 3000   # the long workload, shortened

Per workload it prints: plain boxmot loop vs trackbench's tracking stage on one camera (batch
100), scoring vs tracking and vs TrackEval on the same files, MLflow logging time, fixed cost
of a job beyond tracking and scoring, end to end with 1 and 2 workers (results compared), peak
RSS, and `trackbench --help` time. Each timing is the best of --repeat interleaved runs.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path

from trackbench.app import run_experiment
from trackbench.artifacts import write_mot_results
from trackbench.config import AppConfig, DatasetConfig, FileOptions, MlflowConfig, RunnerConfig
from trackbench.datasets.factory import open_dataset
from trackbench.datasets.synthetic import SyntheticConfig
from trackbench.runner import run
from trackbench.scoring import hypotheses_from_tracklets, score_camera
from trackbench.tracking.adapter import TrackerAdapter
from trackbench.tracking.stage import TrackingStage, detections_array, stitch
from trackbench.types import CarryForward, TrackingContext

SHARED = Path(os.environ.get("TRACKBENCH_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def workload(name: str, frames: int | None) -> DatasetConfig:
    if name == "default":
        return DatasetConfig()
    if name == "long":
        return DatasetConfig(synthetic=SyntheticConfig(n_cameras=12, n_frames=frames or 18_000, n_fish=10))
    if name == "real":
        root = SHARED / "mot17"
        if not (root / "MOT17-02-FRCNN" / "gt" / "gt.txt").exists():
            raise SystemExit(f"bench: real workload needs {root}/MOT17-02-FRCNN (set TRACKBENCH_SHARED_DATA)")
        return DatasetConfig(name="mot", root=str(root), cameras=("MOT17-02-FRCNN", "MOT17-04-FRCNN",
                             "MOT17-09-FRCNN", "MOT17-11-FRCNN"), files=FileOptions())  # fmt: skip
    raise SystemExit(f"bench: unknown workload {name!r}")


def best(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def tracking_overhead(cfg: AppConfig, repeat: int) -> dict[str, float]:
    """Same detections, same tracker class: a bare boxmot loop vs our stage with batch 100."""
    dataset = open_dataset(cfg.dataset)
    camera = dataset.cameras()[0]
    batches = list(dataset.iter_batches(camera.camera_id, 100))
    arrays = [detections_array(d) for b in batches for d in b.detections]
    size = (camera.width, camera.height) if camera.width and camera.height else None

    def plain() -> None:
        tracker = TrackerAdapter(cfg.tracker, size)._tracker  # the bare boxmot object
        for dets in arrays:
            tracker.update(dets, None)

    def ours() -> tuple:
        stage = TrackingStage(cfg.tracker, frame_sizes={camera.camera_id: size} if size else None)
        carry, pieces = CarryForward(), []
        for batch in batches:
            context, carry = stage.run(TrackingContext((batch,)), carry)
            pieces.extend(context.tracklets)
        return stitch(pieces)

    t_plain, t_ours = [], []
    for _ in range(repeat):  # interleaved, so drift hits both alike
        t_plain.append(best(plain, 1)[0])
        elapsed, tracklets = best(ours, 1)
        t_ours.append(elapsed)
    gt = dataset.ground_truth(camera.camera_id)
    t_score, _ = best(lambda: score_camera(gt, hypotheses_from_tracklets(tracklets, "detected")), repeat)
    t_trackeval = trackeval_time(dataset, camera, tracklets, repeat)
    return {"frames": len(arrays), "plain_s": min(t_plain), "stage_s": min(t_ours), "score_s": t_score,
            "trackeval_s": t_trackeval}  # fmt: skip


def trackeval_time(dataset, camera, tracklets, repeat: int) -> float:
    try:
        import trackeval
    except ImportError:
        return float("nan")
    from trackbench.datasets.export import export_mot
    from trackbench.datasets.factory import CameraSubset

    with tempfile.TemporaryDirectory() as tmp:
        gt_root = Path(tmp) / "gt"
        export_mot(CameraSubset(dataset, (camera.camera_id,)), gt_root)
        (Path(tmp) / "trk" / "data").mkdir(parents=True)
        write_mot_results(Path(tmp) / "trk" / "data" / f"{camera.camera_id}.txt", tracklets, "detected")
        config = {"GT_FOLDER": str(gt_root), "TRACKERS_FOLDER": tmp, "BENCHMARK": "MOT15", "SKIP_SPLIT_FOL": True,
                  "SEQ_INFO": {camera.camera_id: None}, "TRACKERS_TO_EVAL": ["trk"], "PRINT_CONFIG": False}  # fmt: skip

        def evaluate() -> None:
            with contextlib.redirect_stdout(io.StringIO()):
                ds = trackeval.datasets.MotChallenge2DBox(config)
                data = ds.get_preprocessed_seq_data(ds.get_raw_seq_data("trk", camera.camera_id), "pedestrian")
                trackeval.metrics.CLEAR({"PRINT_CONFIG": False}).eval_sequence(data)
                trackeval.metrics.Identity({"PRINT_CONFIG": False}).eval_sequence(data)

        return best(evaluate, repeat)[0]


def end_to_end(cfg: AppConfig, workers: int) -> tuple[float, object]:
    cfg = replace(cfg, runner=replace(cfg.runner, workers=workers))
    return best(lambda: run(open_dataset(cfg.dataset), cfg), 1)


def fixed_cost(cfg: AppConfig, repeat: int) -> tuple[float, float]:
    """Per job, warm (as in a multirun after its first job): run_experiment's time beyond
    run() (config, MLflow run and logging, artifacts, plots), on a small synthetic dataset
    with a local SQLite store; and the MLflow logging part on its own."""
    small = AppConfig(
        tracker=cfg.tracker,
        dataset=DatasetConfig(synthetic=SyntheticConfig(n_cameras=2, n_frames=60)),
        runner=RunnerConfig(workers=1, progress="never"),
    )
    overheads, logging_times = [], []
    with tempfile.TemporaryDirectory() as tmp:
        mlflow = MlflowConfig(tracking_uri=f"sqlite:///{tmp}/mlflow.db")
        tree = asdict(replace(small, mlflow=mlflow))
        for i in range(repeat + 1):
            out = Path(tmp) / f"job{i}"
            start = time.perf_counter()
            run_experiment(tree, out)
            total = time.perf_counter() - start
            wall = json.loads((out / "metrics.json").read_text())["timing"]["wall_s"]
            if i:  # the first job imports mlflow and creates the database
                overheads.append(total - wall)
                logging_times.append(mlflow_logging_time(mlflow, out))
    return min(overheads), min(logging_times)


def mlflow_logging_time(mlflow: MlflowConfig, output_dir: Path) -> float:
    """One run as trackbench logs it: create, params, metrics, artifacts, end."""
    from trackbench.app import logged_params, mlflow_metrics
    from trackbench.config import load_config
    from trackbench.mlflow_log import RunLogger

    cfg = load_config(asdict(AppConfig(mlflow=mlflow)))
    metrics = json.loads((output_dir / "metrics.json").read_text())
    start = time.perf_counter()
    logger = RunLogger(mlflow)
    logger.start(None, {"tracker_kind": cfg.tracker.tracker_kind})
    logger.log_batch(params=logged_params(cfg, 1))
    logger.log_batch(metrics=mlflow_metrics(metrics))
    logger.log_artifacts(output_dir)
    logger.end()
    return time.perf_counter() - start


def help_time() -> float:
    exe = Path(sys.executable).parent / "trackbench"
    cmd = [str(exe), "--help"] if exe.exists() else [sys.executable, "-m", "trackbench", "--help"]
    return best(lambda: subprocess.run(cmd, capture_output=True, check=True), 3)[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workload", default="default", choices=["default", "long", "real"])
    parser.add_argument("--frames", type=int, help="frames per camera for the long workload")
    parser.add_argument("--tracker", default="ocsort")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    base = AppConfig(dataset=workload(args.workload, args.frames), runner=RunnerConfig(progress="never"))
    base = replace(base, tracker=replace(base.tracker, tracker_kind=args.tracker))
    print(f"workload {args.workload}, tracker {args.tracker}, {os.cpu_count()} cores")
    o = tracking_overhead(base, args.repeat)
    print(f"one camera, {o['frames']} frames, batch 100:")
    print(f"  plain boxmot loop      {o['plain_s']:8.3f} s")
    print(f"  trackbench stage       {o['stage_s']:8.3f} s   ratio {o['stage_s'] / o['plain_s']:.3f}  (target <= 1.05)")
    print(f"  scoring (motmetrics)   {o['score_s']:8.3f} s   ratio to stage {o['score_s'] / o['stage_s']:.3f}  "
          f"(target <= 0.25)")  # fmt: skip
    print(f"  TrackEval, same files  {o['trackeval_s']:8.3f} s   ours/TrackEval {o['score_s'] / o['trackeval_s']:.2f}")
    overhead, mlflow_s = fixed_cost(base, args.repeat)
    print(f"fixed cost per job (warm) {overhead:7.3f} s  (target <= 0.3); MLflow logging part {mlflow_s:.3f} s")
    t1, r1 = end_to_end(base, 1)
    t2, r2 = end_to_end(base, 2)
    same = [c.tracklets for c in r1.cameras] == [c.tracklets for c in r2.cameras] and r1.scores == r2.scores
    print(f"end to end, {len(r1.cameras)} cameras: 1 worker {t1:.2f} s, 2 workers {t2:.2f} s, "
          f"speed-up {t1 / t2:.2f}x (target >= 1.7), identical results: {same}")  # fmt: skip
    print(
        f"  scoring / tracking (summed over cameras): "
        f"{sum(c.scoring_seconds for c in r2.cameras) / sum(c.tracking_seconds for c in r2.cameras):.3f}"
    )
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS: main process {own:.0f} MiB, largest worker {kids:.0f} MiB")
    print(f"`trackbench --help`: {help_time():.2f} s (target < 1.5)")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
