"""Sweeps: many jobs of one Hydra multirun, grouped under one MLflow parent run.

- ``callback``: :class:`~trackbench.sweeps.callback.MlflowSweepCallback` (``conf/config.yaml``
  names it), which opens the parent run, names the jobs and keeps the sweep's standing;
- ``folder``: what the sweep folder tells every job (the parent run's id, the keys it varies);
- ``frames``: a sweep must score one set of frames in every job;
- ``learned_drawing``: what an Optuna study learned, drawn in its own process
  (``_draw_learned``) while the callback completes the best job;
- ``report``: the sweep's leaderboard (CSV, Markdown, the parent run's description);
- ``tuning``: Optuna studies (the ``hparams_search`` configs): search spaces, storage, pruning,
  a job's trial, what a study learned. The Hydra sweeper plugin
  ``hydra_plugins.trackbench_optuna_sweeper`` drives a study through it.

Nothing is re-exported here: the Hydra plugin reads ``folder`` and ``report`` on every command
(``--help`` included) without the callback's imports (the experiment's config and app).
"""
