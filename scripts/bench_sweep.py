"""What pruning buys a sweep: the same Optuna study with and without a pruner (ratios, best values).

    python scripts/bench_sweep.py                          # 40-trial OC-SORT study, default tank, seeds 1 2 3
    python scripts/bench_sweep.py --trials 20 --seeds 1    # shorter
    python scripts/bench_sweep.py --pruner percentile      # another pruner (hydra/sweeper/pruner=<name>)
    python scripts/bench_sweep.py --frames 300             # a shortened tank

Each study runs through the CLI as a user would (`trackbench hparams_search=ocsort_optuna`,
basic launcher, MLflow on), in its own temp folder, with `runner.workers=1` so a pruned trial
stops after the camera it is pruned at (with several workers the cameras already running
finish). Printed per seed: wall time, best value and trial states without and with pruning;
then the wall-time ratio and the spread of best values across seeds.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml


def trackbench() -> list[str]:
    exe = Path(sys.executable).parent / "trackbench"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "trackbench"]


def study(pruner: str, seed: int, args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench_sweep_") as tmp:
        cmd = [
            *trackbench(),
            f"hparams_search={args.search}",
            f"hydra.sweeper.n_trials={args.trials}",
            f"hydra.sweeper.sampler.seed={seed}",
            f"hydra/sweeper/pruner={pruner}",
            "runner.workers=1",
            "runner.progress=never",
            "hydra.sweep.dir=sweep",
            *([f"dataset.synthetic.n_frames={args.frames}"] if args.frames else []),
        ]
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(f"bench_sweep: {' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
        results = yaml.safe_load((Path(tmp) / "sweep" / "optimization_results.yaml").read_text())
    return {"wall": wall, "best": results.get("best_value"), "states": results["states"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--search", default="ocsort_optuna", help="hparams_search config")
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--pruner", default="successive_halving", help="hydra/sweeper/pruner to compare with nop")
    parser.add_argument("--frames", type=int, default=None, help="shorten the tank (default: 600 frames)")
    args = parser.parse_args()

    rows = []
    for seed in args.seeds:
        for pruner in ("nop", args.pruner):  # interleaved, so machine noise hits both alike
            r = study(pruner, seed, args)
            rows.append((seed, pruner, r))
            print(f"seed {seed} {pruner:>18}: {r['wall']:7.1f} s  best {r['best']:.4f}  {r['states']}", flush=True)
    plain = [r for _, p, r in rows if p == "nop"]
    pruned = [r for _, p, r in rows if p != "nop"]
    ratio = sum(r["wall"] for r in plain) / sum(r["wall"] for r in pruned)
    print(f"\n{args.trials}-trial {args.search}, seeds {args.seeds}, pruner {args.pruner}:")
    print(f"  wall time without / with pruning: {ratio:.2f}x (goal >= 2x)")
    for name, group in (("without", plain), ("with", pruned)):
        best = [r["best"] for r in group]
        spread = f", sd {statistics.stdev(best):.4f}" if len(best) > 1 else ""
        print(f"  best value {name} pruning: mean {statistics.mean(best):.4f} (min {min(best):.4f}, "
              f"max {max(best):.4f}{spread})")  # fmt: skip


if __name__ == "__main__":
    main()
