"""The sweeper's config, registered as ``hydra/sweeper=trackbench_optuna``, with Optuna's
samplers and pruners as config groups (``hydra/sweeper/sampler=random``,
``hydra/sweeper/pruner=percentile hydra.sweeper.pruner.percentile=25``).

No ``from __future__ import annotations``: Hydra executes plugin modules before they are in
``sys.modules``, where dataclasses would look string annotations up."""

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore


@dataclass
class TrackbenchOptunaSweeperConf:
    _target_: str = "hydra_plugins.trackbench_optuna_sweeper.sweeper.TrackbenchOptunaSweeper"
    _recursive_: bool = False  # sampler and pruner are built by trackbench.sweeps.tuning.study, not by Hydra
    defaults: list[Any] = field(
        default_factory=lambda: ["_self_", {"sampler": "tpe"}, {"pruner": "successive_halving"}]
    )
    direction: str = "${objective.direction}"  # maximize | minimize
    study_name: str = "trackbench"  # the same command and study name resume the study
    storage: Any = None  # SQLAlchemy URL; null: sqlite optuna.db beside the MLflow SQLite store
    n_trials: int = 20  # total trials of the study (finished ones from earlier sessions count)
    # trials launched at once; <= 0: number of cores; auto (the basic launcher): trackbench.experiment._cores.sweep_plan
    n_jobs: Any = "${oc.select:hydra.launcher.n_jobs,auto}"
    sampler: Any = None  # from hydra/sweeper/sampler
    pruner: Any = None  # from hydra/sweeper/pruner (nop: no pruning)
    # A trial also reports every N frames of a camera (one worker: runner.workers=1), so a
    # pruner can stop it before its first camera ends; null: at camera ends only
    report_frames: Any = 150
    enqueue_defaults: bool = True  # trial 0 of a new study runs the configured values of the params
    heartbeat_interval: int = 10  # s; the sweeper beats for each running trial
    grace_period: int = 60  # s without a heartbeat after which a running trial is failed
    params: Any = None  # {key: "interval(a, b)" | "range(a, b, step=s)" | "choice(x, y)" | fixed value}


_SAMPLERS = {
    # constant_liar: parallel trials see each other's pending points, so they spread out.
    "tpe": {"_target_": "optuna.samplers.TPESampler", "seed": None, "n_startup_trials": 10,
            "multivariate": False, "constant_liar": True},
    "random": {"_target_": "optuna.samplers.RandomSampler", "seed": None},
    "cmaes": {"_target_": "optuna.samplers.CmaEsSampler", "seed": None, "n_startup_trials": 1,
              "consider_pruned_trials": False},
    "qmc": {"_target_": "optuna.samplers.QMCSampler", "seed": None, "qmc_type": "sobol", "scramble": False},
}  # fmt: skip
# Steps are frames scored (cameras in camera order; within a camera every report_frames): the
# pruner compares a trial's objective over its first k frames with other trials' over the same
# frames. n_warmup_steps and min_resource count frames.
_PRUNERS = {
    "median": {"_target_": "optuna.pruners.MedianPruner", "n_startup_trials": 5, "n_warmup_steps": 0,
               "interval_steps": 1, "n_min_trials": 1},
    "percentile": {"_target_": "optuna.pruners.PercentilePruner", "percentile": 25.0, "n_startup_trials": 5,
                   "n_warmup_steps": 0, "interval_steps": 1, "n_min_trials": 1},
    "threshold": {"_target_": "optuna.pruners.ThresholdPruner", "lower": None, "upper": None,
                  "n_warmup_steps": 0, "interval_steps": 1},
    # The default. Rungs at 150, 450, 1350... frames: at each, a trial goes on only if its
    # objective over those frames is in the top third of the trials that reached the rung.
    # Median and percentile pruners compare a trial's best value over all its steps, and the
    # objective over a few frames is often higher than over all of them (identity errors
    # accumulate), so once past its first report a trial is rarely pruned (docs/performance.md).
    "successive_halving": {"_target_": "optuna.pruners.SuccessiveHalvingPruner", "min_resource": 150,
                           "reduction_factor": 3, "min_early_stopping_rate": 0, "bootstrap_count": 0},
    "hyperband": {"_target_": "optuna.pruners.HyperbandPruner", "min_resource": 150, "max_resource": "auto",
                  "reduction_factor": 3, "bootstrap_count": 0},
    "nop": {"_target_": "optuna.pruners.NopPruner"},
}  # fmt: skip

_store = ConfigStore.instance()
_store.store(group="hydra/sweeper", name="trackbench_optuna", node=TrackbenchOptunaSweeperConf, provider="trackbench")
for _name, _node in _SAMPLERS.items():
    _store.store(group="hydra/sweeper/sampler", name=_name, node=_node, provider="trackbench")
for _name, _node in _PRUNERS.items():
    _store.store(group="hydra/sweeper/pruner", name=_name, node=_node, provider="trackbench")
