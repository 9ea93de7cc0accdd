"""boxmot's C++ trackers vs its Python ones on the same camera, side by side in one run.

    python scripts/bench_native.py                          # 1 camera, 3,000 frames, 10 fish
    python scripts/bench_native.py --frames 1000 --kinds ocsort sfsort --repeat 5

Per native kind: the plain Python boxmot loop, the plain C++ loop (same options, same
detections), their ratio, trackbench's stage with each backend (batch 100), and MOTA/IDF1 of the
two stages' tracklets (the C++ ones lack probation and hidden frames: docs/tracklets.md). Each
time is the best of --repeat interleaved runs. The C++ builds are compiled (or loaded) before
any timing. Needs cmake, libopencv-dev, libeigen3-dev.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

from trackbench.datasets.synthetic import SyntheticConfig, SyntheticDataset
from trackbench.scoring import hypotheses_from_tracklets, score_camera
from trackbench.tracking.adapter import TrackerAdapter
from trackbench.tracking.config import TrackingConfig
from trackbench.tracking.kinds import NATIVE_KINDS
from trackbench.tracking.stage import TrackingStage, detections_array, stitch
from trackbench.types import CarryForward, TrackingContext


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def plain_loop(cfg: TrackingConfig, size: tuple[int, int], arrays: list) -> int:
    tracker = TrackerAdapter(cfg, size)._tracker  # the bare boxmot object, Python or C++
    return sum(len(tracker.update(dets, None)) for dets in arrays)


def stage_run(cfg: TrackingConfig, camera_id: str, size: tuple[int, int], batches: list) -> tuple:
    stage = TrackingStage(cfg, frame_sizes={camera_id: size})
    carry, pieces = CarryForward(), []
    for batch in batches:
        context, carry = stage.run(TrackingContext((batch,)), carry)
        pieces.extend(context.tracklets)
    return stitch(pieces)


def bench_kind(kind: str, dataset: SyntheticDataset, repeat: int) -> dict[str, float]:
    camera = dataset.cameras()[0]
    size = (camera.width, camera.height)
    batches = list(dataset.iter_batches(camera.camera_id, 100))
    arrays = [detections_array(d) for b in batches for d in b.detections]
    python = TrackingConfig(tracker_kind=kind)
    cpp = replace(python, backend="cpp")
    TrackerAdapter(cpp, size)  # compile or load the C++ build outside the timings
    runs: dict[str, list[float]] = {"py": [], "cpp": [], "stage_py": [], "stage_cpp": []}
    rows: dict[str, object] = {}
    tracklets: dict[str, object] = {}
    for _ in range(repeat):  # interleaved, so drift hits both alike
        for name, backend in (("py", python), ("cpp", cpp)):
            elapsed, rows[name] = timed(lambda b=backend: plain_loop(b, size, arrays))
            runs[name].append(elapsed)
            elapsed, tracklets[name] = timed(lambda b=backend: stage_run(b, camera.camera_id, size, batches))
            runs[f"stage_{name}"].append(elapsed)
    gt = dataset.ground_truth(camera.camera_id)
    out = {name: min(times) for name, times in runs.items()}
    out["frames"] = len(arrays)
    out["rows_py"], out["rows_cpp"] = rows["py"], rows["cpp"]
    for name in ("py", "cpp"):
        metrics = score_camera(gt, hypotheses_from_tracklets(tracklets[name], "detected")).metrics
        out[f"mota_{name}"], out[f"idf1_{name}"] = metrics["mota"], metrics["idf1"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=3000)
    parser.add_argument("--fish", type=int, default=10)
    parser.add_argument("--kinds", nargs="+", default=list(NATIVE_KINDS), choices=NATIVE_KINDS)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    dataset = SyntheticDataset(SyntheticConfig(n_cameras=1, n_frames=args.frames, n_fish=args.fish))
    print(f"1 camera, {args.frames} frames, {args.fish} fish; best of {args.repeat}; times in s, µs per frame")
    print(
        f"{'kind':<11}{'python':>9}{'cpp':>8}{'speed-up':>10}{'µs/f py':>9}{'µs/f cpp':>10}"
        f"{'stage py':>10}{'stage cpp':>11}{'cpp stage/loop':>16}"
        f"{'same #rows':>13}{'MOTA py/cpp':>15}{'IDF1 py/cpp':>15}"
    )
    for kind in args.kinds:
        r = bench_kind(kind, dataset, args.repeat)
        n = r["frames"]
        print(
            f"{kind:<11}{r['py']:>9.3f}{r['cpp']:>8.3f}{r['py'] / r['cpp']:>9.1f}x"
            f"{1e6 * r['py'] / n:>9.0f}{1e6 * r['cpp'] / n:>10.0f}{r['stage_py']:>10.3f}{r['stage_cpp']:>11.3f}"
            f"{r['stage_cpp'] / r['cpp']:>15.2f}x"
            f"{'yes' if r['rows_py'] == r['rows_cpp'] else 'NO':>13}"
            f"{r['mota_py']:>8.4f}/{r['mota_cpp']:.4f}{r['idf1_py']:>8.4f}/{r['idf1_cpp']:.4f}"
        )


if __name__ == "__main__":
    main()
    print("cpp stage/loop: trackbench's C++ stage over the plain C++ loop on the same camera (goal <= 1.2x)")
