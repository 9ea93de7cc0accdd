"""Optuna's door (with its sibling ``learned.py``): a study in RDB storage, driven by ask and tell.

The sweeper (``hydra_plugins.trackbench_optuna_sweeper``) opens a :class:`Study`, asks for
trials, keeps their heartbeats while jobs run and tells the outcome; a job opens its own trial
with :func:`open_report` (a :class:`TrialReporter`) to report its running objective and ask the pruner whether to stop.
Optuna does all sampling, storage and pruning. It is imported where it is first used (a
storage opened, a sampler or pruner built: :func:`_import_optuna`), not with this module.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import socket
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast

from trackbench.errors import TrackbenchError
from trackbench.experiment.trial import PROCESS_ATTR, Trial
from trackbench.sweeps.tuning.space import CategoricalParam, FloatParam, IntParam, Param

if TYPE_CHECKING:
    import optuna
    from optuna.distributions import BaseDistribution
    from optuna.trial import FrozenTrial

log = logging.getLogger(__name__)

PRUNER_ATTR = "trackbench.pruner"  # study user attr: the pruner spec every job builds


@dataclass(frozen=True)
class StudySpec:
    storage: str  # SQLAlchemy URL
    name: str
    direction: str  # maximize | minimize
    sampler: Mapping[str, Any] | None  # {"_target_": "optuna.samplers.TPESampler", "seed": 1}
    pruner: Mapping[str, Any] | None  # {"_target_": "optuna.pruners.MedianPruner", ...}; None: no pruning
    heartbeat_interval: int = 10  # seconds between heartbeats of a running trial
    grace_period: int = 60  # a running trial without a heartbeat this long is failed
    directions: tuple[str, ...] = ()  # two or more: a multi-objective study (``direction`` unused)

    @property
    def senses(self) -> tuple[str, ...]:
        return self.directions if len(self.directions) > 1 else (self.direction,)


@dataclass(frozen=True)
class TrialRecord:
    number: int
    state: str  # COMPLETE | PRUNED | FAIL | RUNNING | WAITING
    value: float | None
    params: dict[str, Any]
    user_attrs: dict[str, Any]
    intermediate: dict[int, float]  # step -> reported objective so far
    started: float | None  # POSIX timestamps
    finished: float | None
    values: tuple[float, ...] | None = None  # every objective's value (a multi-objective study's)


@functools.cache
def _import_optuna() -> None:
    """Import Optuna, once per process, with its log records sent to our handlers instead of its
    own stderr handler: called where Optuna objects are first made (a storage, a sampler or a
    pruner), before any of them logs."""
    import optuna

    optuna.logging.disable_default_handler()
    optuna.logging.enable_propagation()


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """We keep heartbeats ourselves around ask/tell (Optuna's own are tied to Study.optimize),
    and the heartbeat API has been "experimental" since Optuna 2.9: both warnings are noise."""
    from optuna.exceptions import ExperimentalWarning

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Heartbeat of storage is supposed", category=UserWarning)
        warnings.filterwarnings("ignore", category=ExperimentalWarning)
        yield


def prunes(spec: Mapping[str, Any] | None) -> bool:
    """Whether the pruner ``spec`` (``{"_target_": ...}``) can stop a trial: none and Optuna's
    ``NopPruner`` cannot, so nothing reads a trial's intermediate reports."""
    return spec is not None and not str(spec.get("_target_", "") or "").endswith("NopPruner")


def build(spec: Mapping[str, Any] | None, module: str) -> Any:
    """An Optuna sampler or pruner from ``{"_target_": "optuna.<module>.<Class>", **kwargs}``
    (nested specs allowed, e.g. PatientPruner's wrapped pruner). Only Optuna's own classes."""
    import optuna

    _import_optuna()
    if spec is None:
        return None
    kwargs = {k: v for k, v in spec.items() if k != "_target_"}
    target = str(spec.get("_target_", ""))
    prefix = f"optuna.{module}."
    cls = getattr(getattr(optuna, module), target[len(prefix) :], None) if target.startswith(prefix) else None
    if cls is None:
        raise TrackbenchError(f"hydra.sweeper.{module[:-1]}._target_={target!r} is not a class of {prefix[:-1]}")
    nested = {k: build(v, module) if isinstance(v, Mapping) and "_target_" in v else v for k, v in kwargs.items()}
    try:
        return cls(**nested)
    except (TypeError, ValueError) as exc:
        raise TrackbenchError(f"hydra.sweeper.{module[:-1]}: {target}: {exc}") from None


def distribution(param: Param) -> BaseDistribution:
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    if isinstance(param, FloatParam):
        return FloatDistribution(param.low, param.high, log=param.log, step=param.step)
    if isinstance(param, IntParam):
        return IntDistribution(param.low, param.high, log=param.log, step=param.step)
    if isinstance(param, CategoricalParam):
        return CategoricalDistribution(param.choices)
    raise TypeError(param)


def _storage(url: str, **heartbeat: Any) -> optuna.storages.RDBStorage:
    import optuna

    _import_optuna()
    # SQLite lets one writer in at a time; wait for the lock instead of failing after 5 s.
    engine = {"connect_args": {"timeout": 120}} if url.startswith("sqlite") else None
    try:
        with _quiet():
            return optuna.storages.RDBStorage(url, engine_kwargs=engine, **heartbeat)
    except Exception as exc:  # sqlalchemy's errors for bad URLs, missing drivers, refused connections
        raise TrackbenchError(f"hydra.sweeper.storage={url!r}: {type(exc).__name__}: {exc}".splitlines()[0]) from None


def _record(t: FrozenTrial) -> TrialRecord:
    value = t.values[0] if t.values and len(t.values) == 1 else None
    started, finished = (d.timestamp() if d else None for d in (t.datetime_start, t.datetime_complete))
    return TrialRecord(
        t.number,
        t.state.name,
        value,
        dict(t.params),
        dict(t.user_attrs),
        dict(t.intermediate_values),
        started,
        finished,
        tuple(t.values) if t.values else None,
    )


class Study:
    """One study, created or resumed by name. ``on_stale(record)`` is called for each running
    trial this (or another) process stopped sending heartbeats for, after it is marked FAIL."""

    def __init__(self, spec: StudySpec, on_stale: Callable[[TrialRecord], None]) -> None:
        import optuna

        self.spec = spec
        storage = _storage(
            spec.storage,
            heartbeat_interval=spec.heartbeat_interval,
            grace_period=spec.grace_period,
            heartbeat_stale_trial_callback=lambda study, trial: on_stale(_record(trial)),
        )
        self._storage = storage
        self._study = optuna.create_study(
            storage=storage,
            study_name=spec.name,
            directions=cast("list[Literal['minimize', 'maximize']]", list(spec.senses)),  # Optuna checks them
            sampler=build(spec.sampler, "samplers"),
            load_if_exists=True,
        )
        stored = tuple(d.name.lower() for d in self._study.directions)
        if stored != spec.senses:
            raise TrackbenchError(
                f"study {spec.name!r} in {spec.storage} was created to {', '.join(stored)}, "
                f"not {', '.join(spec.senses)}; use another hydra.sweeper.study_name"
            )
        self._study.set_user_attr(PRUNER_ATTR, json.loads(json.dumps(spec.pruner)))
        self._running: dict[int, int] = {}  # number -> trial id, trials this process launched
        self._lock = threading.Lock()

    def user_attr(self, key: str) -> Any:
        return self._study.user_attrs.get(key)

    def set_user_attr(self, key: str, value: Any) -> None:
        self._study.set_user_attr(key, value)

    def trials(self) -> list[TrialRecord]:
        return [_record(t) for t in self._study.get_trials(deepcopy=False)]

    def started(self) -> int:
        """Trials asked so far, by any process (enqueued ones still waiting are not started):
        counted from Optuna's cached trials, not copied into records (a sweep asks after
        every trial; copying every trial made that grow with the study)."""
        from optuna.trial import TrialState

        started = tuple(s for s in TrialState if s != TrialState.WAITING)
        return len(self._study.get_trials(deepcopy=False, states=started))

    def fail_stale(self) -> None:
        import optuna

        with _quiet():
            optuna.storages.fail_stale_trials(self._study)

    def enqueue(self, params: Mapping[str, Any]) -> None:
        self._study.enqueue_trial(dict(params))

    def ask(self, space: Mapping[str, Param]) -> tuple[int, dict[str, Any]]:
        with _quiet():
            trial = self._study.ask({name: distribution(p) for name, p in space.items()})
        with self._lock:
            self._running[trial.number] = trial._trial_id
        self._storage.record_heartbeat(trial._trial_id)
        return trial.number, dict(trial.params)

    def tell(self, number: int, state: str, value: float | Sequence[float] | None = None) -> TrialRecord:
        """Finish a trial: ``COMPLETE`` with its value (one per objective), ``PRUNED`` (its last
        reported value is kept by Optuna) or ``FAIL``. A trial another process finished already
        is left as is."""
        from optuna.trial import TrialState

        with self._lock:
            self._running.pop(number, None)
        kwargs: dict[str, Any] = {"state": TrialState[state], "skip_if_finished": True}
        if state == "COMPLETE":
            kwargs["values"] = list(value) if isinstance(value, Sequence) else value
        return _record(self._study.tell(number, **kwargs))

    @contextlib.contextmanager
    def heartbeats(self) -> Iterator[None]:
        """While inside, a thread records a heartbeat for every trial this process launched."""
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(self.spec.heartbeat_interval):
                with self._lock:
                    ids = list(self._running.values())
                for trial_id in ids:
                    with contextlib.suppress(Exception):  # a trial finished meanwhile, a locked db
                        self._storage.record_heartbeat(trial_id)

        thread = threading.Thread(target=beat, name="optuna-heartbeat", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    def best(self) -> TrialRecord | None:
        """The best trial of a single-objective study (None: none complete, or several objectives)."""
        if len(self.spec.senses) != 1:
            return None
        try:  # one query for the best row (RDB storage), not every trial read after each trial
            return _record(self._study.best_trial)
        except ValueError:  # no complete trial yet
            return None

    def pareto(self) -> list[TrialRecord]:
        """The complete trials no other complete trial beats on every objective, by number."""
        return sorted((_record(t) for t in self._study.best_trials), key=lambda r: r.number)

    @property
    def optuna_study(self) -> optuna.Study:
        """The Optuna study itself, for :mod:`trackbench.sweeps.tuning.learned` (the door's other half)."""
        return self._study


# A job process's storage per URL (and process: an engine is never used across a fork), shared
# by the trials it runs one after another (a sweep's jobs): opening one costs ~20 ms.
_JOB_STORAGES: dict[tuple[str, int], optuna.storages.RDBStorage] = {}


def _job_storage(url: str) -> optuna.storages.RDBStorage:
    key = (url, os.getpid())
    if key not in _JOB_STORAGES:
        _JOB_STORAGES[key] = _storage(url)
    return _JOB_STORAGES[key]


class TrialReporter:
    """A job's handle on its own trial: running objective in, pruning decision out."""

    def __init__(self, storage: str, study_name: str, number: int) -> None:
        import optuna

        rdb = _job_storage(storage)
        try:
            study_id = rdb.get_study_id_from_name(study_name)
            trial_id = rdb.get_trial_id_from_study_id_trial_number(study_id, number)
        except KeyError as exc:
            raise TrackbenchError(f"tuning: no trial {number} of study {study_name!r} in {storage}: {exc}") from None
        pruner = build(rdb.get_study_user_attrs(study_id).get(PRUNER_ATTR), "pruners")
        study = optuna.load_study(
            study_name=study_name,
            storage=rdb,
            sampler=optuna.samplers.RandomSampler(),  # never samples here; avoids building TPE
            pruner=pruner or optuna.pruners.NopPruner(),
        )
        self._trial = optuna.trial.Trial(study, trial_id)

    def set_attr(self, key: str, value: Any) -> None:
        self._trial.set_user_attr(key, value)

    def report(self, step: int, value: float) -> bool:
        """Record the objective so far at ``step``; True if the pruner says stop."""
        self._trial.report(value, step)
        return self._trial.should_prune()


def open_report(storage: str, study_name: str, trial: int) -> Trial:
    """``report(step, value) -> stop?`` and ``set_attr(key, value)`` for one stored trial: the
    :data:`~trackbench.experiment.trial.TrialOpener` the ``trackbench`` command hands a job."""
    reporter = TrialReporter(storage, study_name, trial)
    reporter.set_attr(PROCESS_ATTR, f"{socket.gethostname()}:{os.getpid()}")
    return reporter.report, reporter.set_attr


def load_trials(storage: str, study_name: str) -> list[TrialRecord]:
    """Every trial of a stored study, read only (for reports and tests)."""
    import optuna

    study = optuna.load_study(study_name=study_name, storage=_storage(storage), sampler=optuna.samplers.RandomSampler())
    return [_record(t) for t in study.get_trials(deepcopy=False)]
