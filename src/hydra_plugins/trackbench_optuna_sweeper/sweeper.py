"""The Sweeper: asks Optuna for trials, launches them with any Hydra launcher, tells outcomes.

A batch of ``n_jobs`` trials is launched at once (joblib on one machine, Ray on many); every job
opens its trial from the shared storage (``tuning.*`` keys) to report its running objective.
While jobs run, this process beats each trial's heartbeat: a trial whose beats stop (its sweep
was killed) is failed by the next session, its MLflow run marked FAILED.
"""

from __future__ import annotations

import copy
import logging
import math
import sys
import time
from pathlib import Path
from typing import Any

from hydra.core.plugins import Plugins
from hydra.core.utils import JobStatus
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf

from hydra_plugins.trackbench_optuna_sweeper import overrides as ov
from hydra_plugins.trackbench_optuna_sweeper.config import TrackbenchOptunaSweeperConf  # noqa: F401 (registers)
from hydra_plugins.trackbench_optuna_sweeper.results import ResultsWriter, safe_url
from hydra_plugins.trackbench_optuna_sweeper.sweep_configs import SweepConfigs
from trackbench.errors import TrackbenchError
from trackbench.experiment._cores import auto_in_flight, available_cores, sweep_plan
from trackbench.experiment.trial import RUN_ATTR, PrunedTrial
from trackbench.sweeps.folder import parent_run_id
from trackbench.sweeps.tuning.location import absolute_storage, default_storage
from trackbench.sweeps.tuning.space import contains
from trackbench.sweeps.tuning.study import Study, StudySpec, prunes

log = logging.getLogger(__name__)
SPACE_ATTR = "trackbench.search_space"
_PRUNER_KEY = "hydra.sweeper.pruner"
_DEFAULT_PRUNER = "successive_halving"  # TrackbenchOptunaSweeperConf's defaults list


class TrackbenchOptunaSweeper(Sweeper):
    def __init__(self, **settings: Any) -> None:
        self.s = OmegaConf.create(settings)
        self.config: DictConfig  # and hydra_context: set by setup(), before sweep()
        self.hydra_context: HydraContext
        self.launcher: Any = None
        self.job_idx = 0

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config = config
        self.hydra_context = hydra_context
        self.task_function = task_function
        # The launcher composes each trial's config; trials of one shape share a composition.
        self.configs = SweepConfigs(hydra_context.config_loader)
        self.composing = HydraContext(config_loader=self.configs, callbacks=hydra_context.callbacks)
        self.launcher = Plugins.instance().instantiate_launcher(
            config=config, hydra_context=self.composing, task_function=task_function
        )

    # -- the sweep -------------------------------------------------------------------------

    def sweep(self, arguments: list[str]) -> None:
        try:
            self._sweep(arguments)
        except TrackbenchError as exc:  # one line, as the CLI reports a job's errors
            print(f"trackbench: error: {exc}", file=sys.stderr)
            sys.exit(2)

    def _sweep(self, arguments: list[str]) -> None:
        # The experiment's config (numpy and up): imported when a sweep starts, not when Hydra
        # scans its plugins (every `trackbench` command, --help included).
        from trackbench.sweeps.callback import app_config

        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        OmegaConf.save(self.config, sweep_dir / "multirun.yaml")  # as Hydra's basic sweeper records it
        lines = [f"{k}={v}" for k, v in (self.s.params or {}).items()] + list(arguments)
        space, fixed = ov.parse(lines)
        if not space:
            raise _error("hydra.sweeper.params has no interval/range/choice to search")
        self.app_cfg = app_config(self.config)
        self.configs.enabled = self.app_cfg.runner.reuse_workers  # the reuse, on or off as a whole
        objective = self.app_cfg.objective
        multi = len(objective.names) > 1
        pruner = self._pruner(multi)  # checked before the study exists: bad input leaves none
        report_frames = None if multi else self._report_frames(pruner)  # a multi-objective trial reports nothing
        spec = StudySpec(
            storage=self._storage(),
            name=str(self.s.study_name),
            direction=str(self.s.direction) if objective.metrics is None else objective.senses[0],
            sampler=_plain(self.s.sampler),
            pruner=pruner,
            heartbeat_interval=int(self.s.heartbeat_interval),
            grace_period=int(self.s.grace_period),
            directions=objective.senses if multi else (),
        )
        study = Study(spec, on_stale=self._abandoned)
        self._check_space(study, spec, space)
        study.fail_stale()
        existing = study.trials()
        if existing:
            log.info("resuming study %r (%s): %d of %d trials exist", spec.name, safe_url(spec.storage), len(existing),
                     self.s.n_trials)  # fmt: skip
        elif self.s.enqueue_defaults:
            study.enqueue(self._defaults(space))
        n_jobs, workers = self._parallelism(pruner, int(self.s.n_trials) - study.started())
        hidden = [f"tuning.storage={ov.value_text(spec.storage)}", f"tuning.study_name={ov.value_text(spec.name)}",
                  f"tuning.report_frames={ov.value_text(report_frames)}"]  # fmt: skip
        if workers is not None:
            hidden.append(f"runner.workers={workers}")
        if not prunes(pruner):
            hidden.append("tuning.report_cameras=false")  # no pruner reads them: no storage write per camera
        with study.heartbeats():
            while (todo := int(self.s.n_trials) - study.started()) > 0:
                batch = [study.ask(space) for _ in range(min(n_jobs, todo))]
                jobs = [
                    [*(f"{k}={ov.value_text(v)}" for k, v in params.items()), *fixed.values(), *hidden,
                     f"tuning.trial={number}"]
                    for number, params in batch
                ]  # fmt: skip
                self._launch(study, [n for n, _ in batch], jobs)
                study.fail_stale()
            self._wait_for_others(study)
        self._close_failed_runs(study)
        writer = ResultsWriter(self.config, self.hydra_context, self.app_cfg, str(self.s.study_name))
        writer.write(study, space, fixed, spec)

    def _launch(self, study: Any, numbers: list[int], jobs: list[list[str]]) -> None:
        self.job_idx = max(self.job_idx, numbers[0])
        try:
            returns = self.launcher.launch(jobs, initial_job_idx=self.job_idx)
        except Exception as exc:  # a job process died (joblib: TerminatedWorkerError): fail the batch, go on
            log.warning("trials %s failed: %s: %s", numbers, type(exc).__name__, exc)
            for number in numbers:
                self._fail(study, number, f"{type(exc).__name__}: {exc}")
            self.job_idx += len(jobs)
            return
        except BaseException:  # Ctrl-C, or a job's bad config (exit 2): fail the batch and stop
            for number in numbers:
                self._fail(study, number, "the sweep was interrupted")
            raise
        self.job_idx += len(jobs)

        for number, ret in zip(numbers, returns, strict=True):
            if ret.status != JobStatus.COMPLETED:
                log.warning("trial %d failed: %r", number, ret._return_value)
                self._fail(study, number, f"job failed: {ret._return_value!r}")
            elif isinstance(ret.return_value, PrunedTrial):
                study.tell(number, "PRUNED")
                log.info("trial %d pruned at step %d", number, ret.return_value.step)
            elif isinstance(ret.return_value, list | tuple):  # several objectives
                values = [float(v) for v in ret.return_value]
                if any(math.isnan(v) for v in values):
                    self._fail(study, number, "an objective is NaN")
                else:
                    study.tell(number, "COMPLETE", values)
                    front = study.pareto()
                    log.info("trial %d: %s (Pareto front: trials %s)", number, ", ".join(f"{v:g}" for v in values),
                             [t.number for t in front])  # fmt: skip
            else:
                value = float(ret.return_value)
                if math.isnan(value):
                    self._fail(study, number, "objective is NaN")
                else:
                    study.tell(number, "COMPLETE", value)
                    best = study.best()
                    log.info("trial %d: %g (best %g, trial %d)", number, value, best.value, best.number)

    def _parallelism(self, pruner: Any, todo: int) -> tuple[int, int | None]:
        """Trials in flight and camera workers per trial (None: the job's own ``runner.workers``).

        ``hydra.sweeper.n_jobs`` (by default the launcher's ``n_jobs``) sets the trials in flight;
        ``auto`` (the basic launcher) applies :func:`trackbench.experiment._cores.sweep_plan` through Hydra's
        joblib launcher, when ``runner.workers`` is left to it and no pruner runs (a pruner's
        decisions would depend on which parallel trial reported first). Camera workers per trial
        left null share the cores among the trials in flight."""
        cores = available_cores()
        if str(self.s.n_jobs) != "auto":
            n_jobs = int(self.s.n_jobs) if int(self.s.n_jobs) > 0 else cores
            shared = None if n_jobs == 1 or self.app_cfg.runner.workers is not None else max(1, cores // n_jobs)
            return n_jobs, shared
        in_flight = auto_in_flight(
            cores, todo, workers_set=self.app_cfg.runner.workers is not None, pruning=prunes(pruner)
        )
        if in_flight == 1 or (launcher := self._joblib(in_flight)) is None:
            return 1, None
        workers = sweep_plan(cores, todo)[1]
        self.launcher = launcher
        log.info("%d trials in flight (joblib), %d camera worker(s) each, on %d cores "
                 "(hydra.launcher / runner.workers choose otherwise)", in_flight, workers, cores)  # fmt: skip
        return in_flight, workers

    def _joblib(self, n_jobs: int) -> Any:
        """Hydra's joblib launcher with ``n_jobs`` processes (loky: reused batch after batch, so
        each keeps its camera data and imports warm), or None where it is not installed."""
        from hydra.core.config_store import ConfigStore
        from hydra.plugins.config_source import ConfigLoadError
        from omegaconf import open_dict

        try:
            node = ConfigStore.instance().load("hydra/launcher/joblib.yaml").node
        except ConfigLoadError:  # the plugin is missing: trials run one at a time
            log.info("hydra-joblib-launcher is not installed: one trial at a time")
            return None
        config = copy.deepcopy(self.config)
        with open_dict(config):
            config.hydra.launcher = OmegaConf.merge(node, {"n_jobs": n_jobs})
        return Plugins.instance().instantiate_launcher(  # its jobs compose through the sweep's cache too
            config=config, hydra_context=self.composing, task_function=self.task_function
        )

    def _pruner(self, multi: bool) -> Any:
        """The pruner's spec. Optuna cannot prune a multi-objective trial (``Trial.report``
        raises): with several objectives the default pruner is switched off, and a pruner
        chosen on purpose is refused."""
        pruner = _plain(self.s.pruner)
        if not multi or not prunes(pruner):
            return pruner
        choice = str(self.config.hydra.runtime.choices.get("hydra/sweeper/pruner", ""))
        overrides = [*self.config.hydra.overrides.hydra, *self.config.hydra.overrides.task]
        chosen = [o for o in overrides if str(o).lstrip("+~").startswith(("hydra/sweeper/pruner", _PRUNER_KEY))]
        if chosen or choice != _DEFAULT_PRUNER:
            raise _error(
                f"hydra/sweeper/pruner={choice}: Optuna cannot prune a study of several objectives "
                f"(objective.metrics={list(self.app_cfg.objective.names)}); leave the pruner out or use "
                "hydra/sweeper/pruner=nop"
            )
        log.info("%d objectives: the default pruner (%s) is switched off; Optuna cannot prune multi-objective "
                 "trials, so every trial runs to its end", len(self.app_cfg.objective.names), choice)  # fmt: skip
        return None

    def _report_frames(self, pruner: Any) -> int | None:
        """Frames between a trial's reports within a camera; None without a pruner (nothing
        would read them, and each costs a scoring of the camera's frames so far)."""

        every = self.s.get("report_frames")
        if every is None or not prunes(pruner):
            return None
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise TrackbenchError(f"hydra.sweeper.report_frames must be a whole number >= 1 or null, got {every!r}")
        return every

    def _fail(self, study: Any, number: int, error: str) -> None:
        record = study.tell(number, "FAIL")
        if record.state == "FAIL":
            self._fail_run(record, error, spare_parent=True)

    def _abandoned(self, record: Any) -> None:
        """A trial whose sweep stopped beating: its process (and sweep) died."""
        log.warning("trial %d had no heartbeat for %ds: marked failed", record.number, self.s.grace_period)
        self._fail_run(record, f"trial {record.number}: its sweep process died (no heartbeat)", spare_parent=False)

    def _fail_run(self, record: Any, error: str, *, spare_parent: bool) -> None:
        if not self.app_cfg.mlflow.enabled:
            return
        from trackbench.record.abandoned import fail_abandoned, running_trial_runs  # numpy and up: not on every command

        run_id = record.user_attrs.get(RUN_ATTR)
        spare = parent_run_id(str(Path(self.config.hydra.sweep.dir))) if spare_parent else None
        # a job killed between opening its run and recording its id is found by the trial's tags
        study = str(self.s.study_name)
        run_ids = [run_id] if run_id else list(running_trial_runs(self.app_cfg.mlflow, study, spare, record.number))
        for rid in run_ids:
            fail_abandoned(self.app_cfg.mlflow, rid, error, spare_parent=spare)

    def _close_failed_runs(self, study: Any) -> None:
        """Runs of this sweep still RUNNING for a trial the study holds as ended: a job of a
        torn-down pool (joblib kills its other workers when one dies) may have opened or named
        its run after its trial was failed."""
        if not self.app_cfg.mlflow.enabled:
            return
        from trackbench.record.abandoned import fail_abandoned, running_trial_runs  # numpy and up: not on every command

        parent = parent_run_id(str(Path(self.config.hydra.sweep.dir)))
        if parent is None:
            return
        states = {t.number: t.state for t in study.trials()}
        for run_id, number in running_trial_runs(self.app_cfg.mlflow, str(self.s.study_name), parent).items():
            if states.get(number) == "FAIL":
                error = f"trial {number}: its job process died"
                fail_abandoned(self.app_cfg.mlflow, run_id, error, spare_parent=parent)

    def _wait_for_others(self, study: Any) -> None:
        """Trials still running belong to another live sweep on this study, or to a dead one
        not yet past its grace period: wait until they finish or go stale."""
        while running := [t.number for t in study.trials() if t.state == "RUNNING"]:
            log.info("waiting for running trials %s (other sweeps, or stale after %ds)", running, self.s.grace_period)
            time.sleep(self.s.heartbeat_interval)
            study.fail_stale()

    # -- inputs ------------------------------------------------------------------------------

    def _storage(self) -> str:
        if self.s.storage:
            return absolute_storage(str(self.s.storage), Path.cwd())
        return default_storage(self.app_cfg.mlflow.tracking_uri, Path.cwd())

    def _defaults(self, space: dict[str, Any]) -> dict[str, Any]:
        """The configured value of each searched key (trial 0), where it lies in the space."""

        choices = self.config.hydra.runtime.choices
        out = {}
        for key in space:
            name = ov.bare_key(key)
            value = choices.get(name) if name in choices else OmegaConf.select(self.config, name, default=None)
            if value is not None and contains(space[key], value):
                out[key] = value
            else:
                log.warning("default %s=%r is outside the searched space: trial 0 samples it", name, value)
        return out

    def _check_space(self, study: Any, spec: Any, space: dict[str, Any]) -> None:
        text = {k: repr(v) for k, v in sorted(space.items())}
        stored = study.user_attr(SPACE_ATTR)
        if stored is not None and stored != text:
            raise _error(
                f"study {spec.name!r} in {safe_url(spec.storage)} searched another space "
                f"({sorted(set(stored.items()) ^ set(text.items()))[0][0]} differs); "
                "use another hydra.sweeper.study_name"
            )
        study.set_user_attr(SPACE_ATTR, text)


def _plain(node: Any) -> Any:
    return OmegaConf.to_container(node, resolve=True) if isinstance(node, DictConfig) else node


def _error(message: str) -> Exception:
    return TrackbenchError(message)
