"""Benchmark tracker kinds: tune on one split, report on another (``trackbench-benchmark``).

For each kind, four steps, each an ordinary ``trackbench`` command (so each is a normal MLflow
run or sweep, reproducible on its own from the line the benchmark prints):
1. the kind's defaults on ``tune`` and 2. on ``test``;
3. an Optuna study on ``tune`` (the kind's ``hparams_search`` config, the sweeper of issue #11);
4. the study's best trial's settings (explicit overrides, read once the study ran) on ``test``.
A user's ``experiment=<preset>`` applies to every step like any other override: the protocol's
own steps use explicit overrides, not the ``experiment`` group.
All runs sit under one MLflow parent run; its artifacts hold the report (benchmark_report).
The steps run one after another as child processes: a study spreads its own trials over
workers (``hydra/launcher=joblib`` or ``ray``), and a benchmark adds no scheduler of its own.
"""

from __future__ import annotations

import logging
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hydra_plugins.trackbench_optuna_sweeper.overrides import value_text
from trackbench.benchmark import report as br
from trackbench.benchmark.report import KindRow, KindRuns
from trackbench.config import load_config
from trackbench.errors import TrackbenchError
from trackbench.plots.charts import plot_benchmark
from trackbench.record.mlflow_log import ROLE_TAG, RunLogger, run_address
from trackbench.scoring.counts import LOWER_IS_BETTER
from trackbench.sweeps.tuning.location import LEARNED_DIR, LEARNED_NOTE
from trackbench.tracking.kinds import PRECOMPUTED, SUPPORTED_KINDS

if TYPE_CHECKING:
    from trackbench.config import AppConfig

log = logging.getLogger(__name__)

REPORT_DIR = "report"
ROLES = ("defaults_tune", "defaults_test", "study", "tuned_test")
# Keys the benchmark sets for every step: a user override of them would break the protocol.
_OWNED = ("tracker", "hparams_search", "dataset.split", "mlflow.parent_run_id", "mlflow.run_name")
_OWNED_HYDRA = ("hydra.sweeper.n_trials", "hydra.sweep.dir")
# Hydra overrides a study takes from the benchmark's command line (how its trials run).
_STUDY_HYDRA = ("hydra/launcher", "hydra.launcher.", "hydra/sweeper/", "hydra.sweeper.")


@dataclass(frozen=True)
class BenchmarkSettings:
    kinds: tuple[str, ...]
    trials: int  # per kind: the study's total trials
    folder: Path  # the benchmark's folder: one sub-folder per kind, and report/
    overrides: tuple[str, ...] = ()  # the user's trackbench overrides, for every step
    study_overrides: tuple[str, ...] = ()  # the user's hydra launcher/sweeper overrides, for the studies
    config_dir: str | None = None  # the user's --config-dir (e.g. a lab's own experiment presets), for every step


@dataclass(frozen=True)
class Step:
    kind: str
    role: str  # one of ROLES
    args: tuple[str, ...]  # the trackbench overrides
    folder: Path  # the run's output folder (a study: its sweep folder)
    study: Path | None = None  # tuned_test: the study whose best trial's settings it runs
    config_dir: str | None = None  # --config-dir (the user's)

    def command_line(self) -> tuple[str, ...]:
        """The trackbench arguments; a tuned step's hold its study's best settings, read now
        (after the study ran), right after ``tracker=<kind>`` as the study's trials had them."""
        args = self.args
        if self.study is not None:
            args = (args[0], *best_overrides(best_trial(self.study)[1]), *args[1:])
        return (*(("--config-dir", self.config_dir) if self.config_dir else ()), *args)

    def describe(self) -> str:
        return {
            "defaults_tune": "defaults on tune",
            "defaults_test": "defaults on test",
            "study": "Optuna study on tune",
            "tuned_test": "best trial's settings on test",
        }[self.role]


def quoted(value: object) -> str:
    """A value for a Hydra override, quoted so spaces, commas and brackets stay literal."""
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def check_settings(
    kinds: Sequence[str], trials: object, overrides: Sequence[str], hydra_overrides: Sequence[str]
) -> None:
    """The benchmark's own keys and what it forwards, before anything runs."""
    tunable = [k for k in SUPPORTED_KINDS if k != PRECOMPUTED]
    if not kinds:
        raise TrackbenchError(f"kinds: empty; give some of {tunable}")
    for kind in kinds:
        if kind not in tunable:
            raise TrackbenchError(f"kinds: unknown tracker kind {kind!r}; choose from {tunable}")
    if len(set(kinds)) != len(kinds):
        raise TrackbenchError(f"kinds: {list(kinds)} names a kind twice")
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise TrackbenchError(f"trials: must be an integer >= 1, got {trials!r}")
    for o in overrides:
        key = o.split("=", 1)[0].lstrip("+~")
        if key in _OWNED or key.split("@")[0] in _OWNED:
            raise TrackbenchError(f"{key}: set by trackbench-benchmark for each step; it cannot be overridden here")
    for o in hydra_overrides:
        key = o.split("=", 1)[0].lstrip("+~")
        if key in _OWNED_HYDRA:
            hint = "; use trials=N" if key == "hydra.sweeper.n_trials" else ""
            raise TrackbenchError(f"{key}: set by trackbench-benchmark{hint}")


def study_overrides(hydra_overrides: Sequence[str]) -> tuple[str, ...]:
    return tuple(o for o in hydra_overrides if o.lstrip("+~").startswith(_STUDY_HYDRA))


def plan(s: BenchmarkSettings, parent_run_id: str | None) -> tuple[Step, ...]:
    """Every step's command line, kind by kind. Pure."""
    parent = (f"mlflow.parent_run_id={parent_run_id}",) if parent_run_id else ()
    steps = []
    for kind in s.kinds:
        base = s.folder / kind

        def run(role: str, split: str, name: str, study: Path | None = None, kind: str = kind) -> Step:
            folder = s.folder / kind / role
            args = (f"tracker={kind}", f"dataset.split={split}", *s.overrides, *parent)
            args += (f"mlflow.run_name={quoted(f'{kind}: {name}')}", f"hydra.run.dir={quoted(folder)}")
            return Step(kind, role, args, folder, study, s.config_dir)

        steps.append(run("defaults_tune", "tune", "defaults on tune"))
        steps.append(run("defaults_test", "test", "defaults on test"))
        study = base / "study"
        study_args = (
            f"hparams_search={kind}_optuna",
            "dataset.split=tune",
            f"hydra.sweeper.n_trials={s.trials}",
            f"hydra.sweeper.study_name={quoted(kind)}",
            f"hydra.sweeper.storage={quoted('sqlite:///' + str(s.folder / 'optuna.db'))}",
            *s.overrides,
            *parent,
            f"hydra.sweep.dir={quoted(study)}",
            *s.study_overrides,
        )
        steps.append(Step(kind, "study", study_args, study, config_dir=s.config_dir))
        steps.append(run("tuned_test", "test", "tuned on tune, on test", study))
    return tuple(steps)


def best_overrides(params: Mapping[str, Any]) -> tuple[str, ...]:
    """A best trial's parameters as overrides, spelt as the sweeper gave them to its trials."""

    return tuple(f"{key}={value_text(value)}" for key, value in params.items())


def run_step(step: Step, command: Sequence[str]) -> None:
    """One step as its own process; its output goes to the terminal as it comes."""
    done = subprocess.run([*command, *step.command_line()], check=False)
    if done.returncode == 130:
        raise KeyboardInterrupt
    if done.returncode != 0:
        raise TrackbenchError(
            f"{step.kind}: {step.describe()} failed (exit {done.returncode}); its folder: {step.folder}"
        )


def best_trial(study: Path) -> tuple[int, dict[str, Any]]:
    """The study's best trial number and parameters, from the sweeper's results file."""
    from omegaconf import OmegaConf

    path = study / "optimization_results.yaml"
    try:
        results = OmegaConf.to_container(OmegaConf.load(path))
    except Exception as exc:  # missing file or bad YAML
        raise TrackbenchError(f"{path}: cannot read the study's results ({exc})") from None
    if not isinstance(results, dict) or "best_trial" not in results:
        raise TrackbenchError(f"{path}: the study has no completed trial")
    return int(results["best_trial"]), dict(results.get("best_params") or {})


def read_metrics(folder: Path) -> dict[str, Any]:
    import json

    path = folder / "metrics.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise TrackbenchError(f"{path}: missing or unreadable ({exc})") from None


def trial_folder(study: Path, number: int) -> Path:
    """The job folder of trial ``number``: the sweeper numbers jobs as it numbers trials; the
    job's own overrides confirm it."""
    folder = study / str(number)
    overrides = folder / ".hydra" / "overrides.yaml"
    if not overrides.exists() or f"tuning.trial={number}" not in overrides.read_text():
        raise TrackbenchError(f"{folder}: not the folder of trial {number} (was the study resumed elsewhere?)")
    return folder


def collect(s: BenchmarkSettings) -> list[KindRuns]:
    """Each kind's four runs, as benchmark_report.KindRuns."""
    out = []
    for kind in s.kinds:
        base = s.folder / kind
        number, params = best_trial(base / "study")
        out.append(
            KindRuns(
                kind,
                read_metrics(base / "defaults_tune"),
                read_metrics(trial_folder(base / "study", number)),
                read_metrics(base / "defaults_test"),
                read_metrics(base / "tuned_test"),
                params,
            )
        )
    return out


def write_report(s: BenchmarkSettings, cfg: AppConfig) -> tuple[list[KindRow], Path]:
    """The report table as markdown, CSV and a plot in ``<folder>/report`` (``cfg``: the
    benchmark's AppConfig)."""
    metric = cfg.objective.metric
    higher = cfg.objective.direction == "maximize" and metric not in LOWER_IS_BETTER
    b = cfg.eval.bootstrap
    rows = br.rows(collect(s), metric, higher, b.samples, b.seed, b.level)
    folder = s.folder / REPORT_DIR
    folder.mkdir(parents=True, exist_ok=True)
    title = f"benchmark of {len(s.kinds)} kinds on {cfg.dataset.name}: {s.trials} trials each on tune, scored on test"
    learned = gather_learned(s)
    report = br.as_markdown(rows, metric, title) + br.learned_markdown(learned) + br.diff_commands(rows, s.folder)
    (folder / "report.md").write_text(report)
    (folder / "report.csv").write_text(br.as_csv(rows, metric))
    plot_benchmark(folder / "report.png", rows, metric, title)
    return rows, folder


def gather_learned(s: BenchmarkSettings) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Each kind's study's importance, history and slice plots copied to ``<folder>/learned/<kind>/``;
    per kind, its summary lines and the files' paths relative to the report folder."""
    import shutil

    out = {}
    for kind in s.kinds:
        source = s.folder / kind / "study" / LEARNED_DIR
        if not source.is_dir():
            continue
        target = s.folder / LEARNED_DIR / kind
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target, ignore=shutil.ignore_patterns(LEARNED_NOTE))
        note = source / LEARNED_NOTE
        lines = tuple(note.read_text().splitlines()) if note.exists() else ()
        files = tuple(f"../{LEARNED_DIR}/{kind}/{p.name}" for p in sorted(target.glob("*.png")))
        out[kind] = (lines, files)
    return out


def run_benchmark(
    s: BenchmarkSettings, tree: Mapping[str, Any], command: Sequence[str], validate: Callable[[Step], None]
) -> str:
    """Run every step, then write and log the report; returns the report as text. The MLflow
    parent run ends FINISHED, FAILED (a step failed) or KILLED (Ctrl-C)."""
    cfg = load_config(tree)
    for step in plan(s, None):  # every step's config composes and validates before any runs
        validate(step)
    logger = None
    if cfg.mlflow.enabled:
        logger = RunLogger(cfg.mlflow)
        logger.start(
            f"benchmark: {', '.join(s.kinds)} on {cfg.dataset.name} ({time.strftime('%Y-%m-%d %H:%M')})",
            {
                ROLE_TAG: "benchmark",
                "trackbench.benchmark_dir": str(s.folder),
                "dataset": cfg.dataset.name,
                "kinds": ",".join(s.kinds),
                "trials": str(s.trials),
                "overrides": " ".join(s.overrides),
            },
        )
    try:
        steps = plan(s, None if logger is None else logger.run_id)
        for i, step in enumerate(steps, 1):
            print(f"[benchmark {i}/{len(steps)}] {step.kind}: {step.describe()}", flush=True)
            run_step(step, command)
        rows, folder = write_report(s, cfg)
        if logger is not None:
            metric = cfg.objective.metric
            values = {}
            for r in rows:
                for part in ("default_tune", "tuned_tune", "default_test", "tuned_test"):
                    values[f"{r.kind}.{part}_{metric}"] = getattr(r, part).value
            logger.log_batch(metrics=values, tags={"trackbench.best_kind": rows[0].kind} if rows else {})
            for path in sorted(folder.iterdir()):
                logger.log_file(path, REPORT_DIR)

            if (s.folder / LEARNED_DIR).is_dir():  # each kind's importance, history and slice plots
                logger.log_artifacts(s.folder / LEARNED_DIR, LEARNED_DIR)
            logger.end("FINISHED")
    except KeyboardInterrupt:
        if logger is not None:
            logger.end("KILLED", "interrupted (KeyboardInterrupt)")
        raise
    except BaseException as exc:
        if logger is not None:
            logger.end("FAILED", f"{type(exc).__name__}: {exc}")
        raise
    lines = [br.as_text(rows), "", f"report: {folder}/report.md (.csv, .png)"]
    if logger is not None:
        lines.append(f"MLflow: {run_address(cfg.mlflow.tracking_uri, logger.experiment_id(), logger.run_id)}")
    return "\n".join(lines)
