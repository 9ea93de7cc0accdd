"""trackbench's Hydra sweeper: Optuna (>= 4) studies in RDB storage, resumable, parallel, pruned.

Hydra imports every module of the ``hydra_plugins`` namespace when it starts (``--help``
included), so nothing here imports numpy or what needs it at module level: the experiment's
config, the MLflow record and the plots are imported where a sweep uses them ("numpy and up").
Optuna and MLflow are imported by their own doors, when used.
"""
