"""trackbench's Hydra sweeper: Optuna (>= 4) studies in RDB storage, resumable, parallel, pruned.

Hydra imports every module of the ``hydra_plugins`` namespace when it starts, so nothing here
imports Optuna or MLflow at module level; :mod:`trackbench.tuning.study` is loaded by ``sweep``.
"""
