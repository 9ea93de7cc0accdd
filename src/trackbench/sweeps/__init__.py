"""Sweeps: many jobs of one Hydra multirun, grouped under one MLflow parent run.

- ``callback``: :class:`~trackbench.sweeps.callback.MlflowSweepCallback` (``conf/config.yaml``
  names it), which opens the parent run, names the jobs and keeps the sweep's standing;
- ``frames``: a sweep must score one set of frames in every job;
- ``report``: the sweep's leaderboard (CSV, Markdown, the parent run's description).

Optuna studies (the ``hparams_search`` configs) live in :mod:`trackbench.tuning` and the Hydra
sweeper plugin ``hydra_plugins.trackbench_optuna_sweeper``.
"""

from trackbench.sweeps.callback import MlflowSweepCallback, app_config, parent_run_id, swept_keys_of
from trackbench.sweeps.frames import check_one_frame_set

__all__ = ["MlflowSweepCallback", "app_config", "check_one_frame_set", "parent_run_id", "swept_keys_of"]
