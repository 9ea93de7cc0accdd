"""A 20-trial OC-SORT Optuna study on the default tank, Python vs C++ backend, end to end,
against the floor it could reach (issue targets printed beside each measure).

    python scripts/bench_native_sweep.py [--trials 20] [--workdir DIR]
    python scripts/bench_native_sweep.py --long 200     # also: a 200-trial C++ study on the smoke preset
    python scripts/bench_native_sweep.py --other        # also: the C++ study the other way (parallel or not)

Runs ``trackbench hparams_search=ocsort_optuna eval.frames=reported tracker.backend=<b>`` as a
user would (the console script, start-up, MLflow and plots included), once per backend in
fresh working directories, and prints the wall-time ratio. Checks that every trial got the
same parameters and the same objective on both backends (exit 1 otherwise). The study runs on
trackbench's Optuna sweeper (TPE, seed 1) without pruning (``hydra/sweeper/pruner=nop``), so every
trial runs to the end on both. Build the C++ OC-SORT first (any cpp run).

Beside the C++ study it prints its floor: the plain C++ OC-SORT loop's time for every trial's
cameras plus their scoring time (the trials' own ``scoring_summed_s``), divided by the cores,
plus one start-up: ``trackbench --help``, then a fresh interpreter that imports what the plain
loop and its scoring need before their first frame (boxmot's C++ OC-SORT, which imports torch,
and the scoring libraries). It prints too the floor with the start-up the script counted before
2026-12-06 (``--help`` and trackbench's own tracking module, without boxmot), which no program
running boxmot can reach. And the between-trial overhead: the study's wall minus its trials'
runner walls (divided by the trials in flight, the cores rule's T) and its start-up, per trial;
the study's start-up is measured, from the command's launch to its first trial's runner start
(the study's end stays in the overhead). Beside it, the same with either start-up above instead.

``--other``: the C++ study again the other way, one trial at a time (``hydra.sweeper.n_jobs=1``)
where the cores rule runs several, else one trial per core (``hydra/launcher=joblib``,
``runner.workers=1``); its own TPE trials.
``--long N``: per-trial cost of the first and last 20 trials of an N-trial study and the growth
of the driving process's RSS (sampled every 0.2 s) from the 20th trial's end to the last's; what
the sweep's end adds (its results, learned and best-trial plots) is printed apart.

Beside each study, where its CPU went: each process's CPU seconds (the driver, the sweep's
forkserver, the learned-plots process, the camera workers; psutil, every 0.2 s) over the study's
start (until the first camera worker ran), its trials and its end, and how busy the cores were.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from trackbench.experiment._cores import available_cores, sweep_plan


def _command() -> list[str]:
    exe = shutil.which("trackbench", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "trackbench"]


def run_study(backend: str, trials: int, workdir: Path, *extra: str) -> tuple[Study, list[tuple[dict, float]]]:
    study = _study(backend, trials, workdir, *extra)
    cpu_report(backend, study.cpu)
    return study, [(t["params"], t["objective"]) for t in jobs(workdir / "sweep")]


ROLES = ("driver", "forkserver", "learned", "workers", "other")


def _role(proc: Any, driver: Any) -> str:
    """What a process of the study is: its driver, the sweep's forkserver, the learned-plots
    process, a camera worker (forked from the forkserver, or from the driver), or other."""
    if proc.pid == driver.pid:
        return "driver"
    line = " ".join(proc.cmdline())
    if "_draw_learned" in line:
        return "learned"
    if "forkserver" in line:
        return "forkserver" if proc.ppid() == driver.pid else "workers"
    return "workers" if proc.cmdline() == driver.cmdline() else "other"


def cpu_report(backend: str, samples: list[tuple[float, dict[str, float]]]) -> None:
    """Where the study's CPU went, by process and phase: the start (until the first camera
    worker's CPU), the trials, the end (after the workers' last), and how busy the cores were."""
    from trackbench.experiment._cores import available_cores

    worker = [t for t, c in samples if c["workers"] > 0]
    if len(samples) < 2 or not worker:
        return
    last = max(c["workers"] for _, c in samples)
    first, done = worker[0], next(t for t, c in samples if c["workers"] >= last)
    cores = available_cores()

    def at(t: float) -> dict[str, float]:
        return next((c for s, c in reversed(samples) if s <= t), dict.fromkeys(ROLES, 0.0))

    print(f"{backend} study CPU by process (s; sampled every 0.2 s):")
    for name, a, b in (("start", 0.0, first), ("trials", first, done), ("end", done, samples[-1][0])):
        ca, cb = at(a), at(b)
        used = {r: cb[r] - ca[r] for r in ROLES}
        busy = sum(used.values()) / max(1e-9, (b - a) * cores)
        print(f"  {name:6s} {b - a:5.1f} s wall: " + ", ".join(f"{r} {used[r]:.1f}" for r in ROLES if used[r] >= 0.05)
              + f"; cores {100 * busy:.0f}% busy")  # fmt: skip


@dataclass(frozen=True)
class Study:
    """One study as the bench saw it: its wall time, its launch (POSIX time), the driver's RSS
    samples (POSIX time, bytes) and the CPU seconds of its processes by role (seconds since the
    launch; a process that ended keeps its last reading), every 0.2 s."""

    wall: float
    launched: float
    rss: list[tuple[float, int]]
    cpu: list[tuple[float, dict[str, float]]]


def _study(backend: str, trials: int, workdir: Path, *extra: str) -> Study:
    import psutil

    workdir.mkdir(parents=True)
    args = [
        *("hparams_search=ocsort_optuna", f"hydra.sweeper.n_trials={trials}", "eval.frames=reported"),
        *(f"tracker.backend={backend}", "runner.progress=never", "hydra.sweep.dir=sweep", "hydra/sweeper/pruner=nop"),
        *extra,
    ]
    launched, start = time.time(), time.perf_counter()
    proc = subprocess.Popen(
        [*_command(), *args], cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    rss, cpu = [], []
    driver = psutil.Process(proc.pid)
    seen: dict[int, tuple[str, float]] = {}  # pid -> (role, CPU seconds so far)
    while proc.poll() is None:
        with contextlib.suppress(psutil.Error):
            rss.append((time.time(), driver.memory_info().rss))
            for p in [driver, *driver.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    times = p.cpu_times()
                    role = seen[p.pid][0] if p.pid in seen else _role(p, driver)
                    seen[p.pid] = (role, times.user + times.system)
            by_role = dict.fromkeys(ROLES, 0.0)
            for role, seconds in seen.values():
                by_role[role] += seconds
            cpu.append((time.perf_counter() - start, by_role))
        time.sleep(0.2)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"the {backend} study failed: {proc.stderr.read()[-2000:]}")
    return Study(wall, launched, rss, cpu)


def jobs(sweep: Path) -> list[dict]:
    """Per trial, in order: its params, objective, runner wall, scoring time and finish time."""
    out = []
    for job in sorted((p for p in sweep.iterdir() if p.name.isdigit()), key=lambda p: int(p.name)):
        overrides = yaml.safe_load((job / ".hydra" / "overrides.yaml").read_text())
        where = ("tracker.backend", "hydra.", "tuning.", "mlflow.")  # differ by backend or folder
        metrics = json.loads((job / "metrics.json").read_text())
        out.append(
            {
                "params": dict(o.split("=", 1) for o in overrides if not o.startswith(where)),
                "objective": metrics["overall"]["idf1"],
                "runner_wall": metrics["timing"]["runner_wall_s"],
                "scoring": metrics["timing"]["scoring_summed_s"],
                "finished": (job / "metrics.json").stat().st_mtime,
            }
        )
    return out


def plain_cpp_camera_seconds(repeat: int = 3) -> float:
    """The plain C++ OC-SORT loop over the default tank's 4 cameras (best of ``repeat``)."""
    import numpy as np

    from trackbench.datasets.synthetic import SyntheticDataset
    from trackbench.tracking.adapter import TrackerAdapter
    from trackbench.tracking.config import TrackingConfig
    from trackbench.tracking.stage import detections_array

    dataset = SyntheticDataset()
    cfg = TrackingConfig(tracker_kind="ocsort", backend="cpp")
    frames = {
        c.camera_id: [detections_array(d) for b in dataset.iter_batches(c.camera_id, 1000) for d in b.detections]
        for c in dataset.cameras()
    }
    image = np.zeros((1, 1, 3), np.uint8)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for dets in frames.values():
            tracker = TrackerAdapter(cfg)._tracker
            for d in dets:
                tracker.update(d, image)
        best = min(best, time.perf_counter() - start)
    return best


# What the plain C++ loop and its scoring import before their first frame (boxmot's OC-SORT pulls
# torch in with its C++ trackers), in a fresh interpreter.
_PLAIN_IMPORTS = """
from trackbench.scoring.clear import preload
from trackbench.tracking.adapter import TrackerAdapter
from trackbench.tracking.config import TrackingConfig
TrackerAdapter(TrackingConfig(tracker_kind="ocsort", backend="cpp"))
preload()
"""


@dataclass(frozen=True)
class StartUp:
    """One start-up, best of a few: the console script's ``--help``, trackbench's tracking module
    alone (the start-up counted before 2026-12-06) and the plain loop's and scoring's imports."""

    help: float
    stage: float
    plain: float

    @property
    def floor(self) -> float:
        """The floor's start-up: ``--help`` and the plain loop's and scoring's imports."""
        return self.help + self.plain

    @property
    def before(self) -> float:
        """The start-up counted before 2026-12-06: ``--help`` and trackbench's tracking module."""
        return self.help + self.stage


def start_up_seconds(repeat: int = 3) -> StartUp:
    def best(*command: str) -> float:
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            subprocess.run(list(command), check=True, capture_output=True)
            times.append(time.perf_counter() - start)
        return min(times)

    return StartUp(
        help=best(*_command(), "--help"),
        stage=best(sys.executable, "-c", "import trackbench.tracking.stage"),
        plain=best(sys.executable, "-c", _PLAIN_IMPORTS),
    )


def floor_report(
    study: Study, trials: list[dict], plain_per_trial: float, start_up: StartUp, in_flight: int = 1
) -> None:
    cores = available_cores()
    scoring = sum(t["scoring"] for t in trials)
    work = (plain_per_trial * len(trials) + scoring) / cores
    floor, before = work + start_up.floor, work + start_up.before
    wall = study.wall
    print(
        f"cpp floor: plain loop {plain_per_trial:.3f} s/trial x {len(trials)} + scoring {scoring:.1f} s, / {cores} "
        f"cores, + start-up {start_up.floor:.1f} s (--help {start_up.help:.1f} s, the plain loop's and scoring's "
        f"imports {start_up.plain:.1f} s) = {floor:.1f} s; study / floor = {wall / floor:.2f}x (goal <= 2x)"
    )
    print(
        f"  (with the start-up counted before 2026-12-06, --help and trackbench's tracking module without boxmot, "
        f"{start_up.before:.1f} s: floor {before:.1f} s, {wall / before:.2f}x)"
    )
    runners = sum(t["runner_wall"] for t in trials) / in_flight
    started = min(t["finished"] - t["runner_wall"] for t in trials) - study.launched
    ended = study.launched + wall - max(t["finished"] for t in trials)
    between = (wall - runners - started) / len(trials)
    print(
        f"between-trial overhead: {between:.2f} s per trial ({in_flight} in flight; goal <= 0.3 s): the study's "
        f"start-up {started:.1f} s (launch to its first trial's runner), its trials' runners {runners:.1f} s, "
        f"its end {ended:.1f} s (in the overhead)"
    )
    others = (("the floor's start-up", start_up.floor), ("the start-up before 2026-12-06", start_up.before))
    for name, subtracted in others:
        print(f"  (with {name} subtracted instead: {(wall - runners - subtracted) / len(trials):.2f} s per trial)")


TPE_STARTUP = 10  # Optuna's TPESampler samples its first 10 trials at random (n_startup_trials)


def long_study(trials: int, root: Path) -> None:
    study = _study("cpp", trials, root / "long", "experiment=smoke")
    wall, rss = study.wall, study.rss
    done = jobs(root / "long" / "sweep")
    ends = sorted(t["finished"] for t in done)
    window = min(20, len(ends) // 2)
    first = (ends[window] - ends[0]) / window
    last = (ends[-1] - ends[-1 - window]) / window
    # TPE's first trials are sampled at random (n_startup_trials), with no model to build: a
    # window that starts after them compares TPE trials with TPE trials.
    tpe = min(TPE_STARTUP, len(ends) - 1 - window)
    after = (ends[tpe + window] - ends[tpe]) / window
    windows = [(ends[i + window] - ends[i]) / window for i in range(0, len(ends) - window, window)]

    # The driver's RSS over the trials: its peak up to the first window's last trial against its
    # peak up to the last trial (what the sweep's end draws and imports comes after, apart).
    def peak(until: float) -> float:
        return max((r for t, r in rss if t <= until), default=float("nan")) / 2**20

    growth = peak(ends[-1]) - peak(ends[window])
    end_peak = max(r for _, r in rss) / 2**20 - peak(ends[-1])
    print(
        f"{trials}-trial cpp study (smoke): {wall:.1f} s; per trial first {window} {first:.2f} s, last {window} "
        f"{last:.2f} s ({last / first:.2f}x, goal <= 1.10x); driver RSS grew {growth:.0f} MB from trial {window} "
        f"to the last (goal < 50 MB), and {end_peak:.0f} MB more at the sweep's end (its reports and plots)"
    )
    print(
        f"  per trial, trials {tpe}-{tpe + window} (after TPE's {tpe} random start-up trials) {after:.2f} s: the last "
        f"{window} are {last / after:.2f}x that; each {window}-trial window in order: "
        + " ".join(f"{w:.2f}" for w in windows)
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--long", type=int, default=0, metavar="N", help="also an N-trial C++ smoke study")
    parser.add_argument("--other", action="store_true", help="also the C++ study the other way (parallel or not)")
    args = parser.parse_args()
    root = args.workdir or Path(tempfile.mkdtemp(prefix="bench_native_sweep_"))
    start_up = start_up_seconds()
    plain = plain_cpp_camera_seconds()
    results = {b: run_study(b, args.trials, root / b) for b in ("python", "cpp")}
    (py_study, py_trials), (cpp_study, cpp_trials) = results["python"], results["cpp"]
    py_wall, cpp_wall = py_study.wall, cpp_study.wall
    same = py_trials == cpp_trials
    in_flight, workers = sweep_plan(available_cores(), args.trials)
    print(f"{args.trials}-trial OC-SORT Optuna study, default tank (4 cameras x 600 frames), eval.frames=reported")
    print(f"cores rule on {available_cores()} cores: {in_flight} trial(s) in flight, {workers} camera worker(s) each")
    print(f"python backend: {py_wall:7.1f} s   ({py_wall / args.trials:.2f} s/trial)")
    print(f"cpp backend:    {cpp_wall:7.1f} s   ({cpp_wall / args.trials:.2f} s/trial)")
    print(f"speed-up end to end: {py_wall / cpp_wall:.2f}x (goal >= 4x)")
    print(f"per-trial parameters and objectives identical: {same} ({len(py_trials)} trials)")
    if not same:
        for i, (a, b) in enumerate(zip(py_trials, cpp_trials, strict=False)):
            if a != b:
                print(f"  trial {i}: python {a} vs cpp {b}")
    print(f"best idf1: python {max(o for _, o in py_trials):.6f}, cpp {max(o for _, o in cpp_trials):.6f}")
    floor_report(cpp_study, jobs(root / "cpp" / "sweep"), plain, start_up, in_flight)
    if args.other:
        cores = available_cores()
        other, way = (1, ["hydra.sweeper.n_jobs=1"]) if in_flight > 1 else (cores, [
            "hydra/launcher=joblib", f"hydra.launcher.n_jobs={cores}", "runner.workers=1"])  # fmt: skip
        other_study, _ = run_study("cpp", args.trials, root / "cpp_other", *way)
        print(f"cpp with {other} trial(s) in flight: {other_study.wall:7.1f} s; the cores rule is "
              f"{other_study.wall / cpp_wall:.2f}x faster")  # fmt: skip
        floor_report(other_study, jobs(root / "cpp_other" / "sweep"), plain, start_up, other)
    if args.long:
        long_study(args.long, root)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
