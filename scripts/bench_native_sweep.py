"""A 20-trial OC-SORT Optuna study on the default tank, Python vs C++ backend, end to end.

    python scripts/bench_native_sweep.py [--trials 20] [--workdir DIR]

Runs ``trackbench hparams_search=ocsort_optuna eval.frames=reported tracker.backend=<b>`` as a
user would (the console script, start-up, MLflow and plots included), once per backend in
fresh working directories, and prints the wall-time ratio. Checks that every trial got the
same parameters and the same objective on both backends (exit 1 otherwise). The study runs on
trackbench's Optuna sweeper (TPE, seed 1) without pruning (``hydra/sweeper/pruner=nop``), so every
trial runs to the end on both. Build the C++ OC-SORT first (any cpp run).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml


def _command() -> list[str]:
    exe = shutil.which("trackbench", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "trackbench"]


def run_study(backend: str, trials: int, workdir: Path) -> tuple[float, list[tuple[dict, float]]]:
    workdir.mkdir(parents=True)
    args = [
        *("hparams_search=ocsort_optuna", f"hydra.sweeper.n_trials={trials}", "eval.frames=reported"),
        *(f"tracker.backend={backend}", "runner.progress=never", "hydra.sweep.dir=sweep", "hydra/sweeper/pruner=nop"),
    ]
    start = time.perf_counter()
    subprocess.run([*_command(), *args], cwd=workdir, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - start
    trials_out = []
    for job in sorted((workdir / "sweep").iterdir(), key=lambda p: int(p.name) if p.name.isdigit() else -1):
        if not job.name.isdigit():
            continue
        overrides = yaml.safe_load((job / ".hydra" / "overrides.yaml").read_text())
        where = ("tracker.backend", "hydra.", "tuning.", "mlflow.")  # differ by backend or folder
        params = dict(o.split("=", 1) for o in overrides if not o.startswith(where))
        objective = json.loads((job / "metrics.json").read_text())["overall"]["idf1"]
        trials_out.append((params, objective))
    return wall, trials_out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    root = args.workdir or Path(tempfile.mkdtemp(prefix="bench_native_sweep_"))
    results = {b: run_study(b, args.trials, root / b) for b in ("python", "cpp")}
    (py_wall, py_trials), (cpp_wall, cpp_trials) = results["python"], results["cpp"]
    same = py_trials == cpp_trials
    print(f"{args.trials}-trial OC-SORT Optuna study, default tank (4 cameras x 600 frames), eval.frames=reported")
    print(f"python backend: {py_wall:7.1f} s   ({py_wall / args.trials:.2f} s/trial)")
    print(f"cpp backend:    {cpp_wall:7.1f} s   ({cpp_wall / args.trials:.2f} s/trial)")
    print(f"speed-up end to end: {py_wall / cpp_wall:.2f}x (goal >= 4x)")
    print(f"per-trial parameters and objectives identical: {same} ({len(py_trials)} trials)")
    if not same:
        for i, (a, b) in enumerate(zip(py_trials, cpp_trials, strict=False)):
            if a != b:
                print(f"  trial {i}: python {a} vs cpp {b}")
    print(f"best idf1: python {max(o for _, o in py_trials):.6f}, cpp {max(o for _, o in cpp_trials):.6f}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
