"""Hyperparameter studies: search spaces, study storage, per-trial reporting and pruning.

``study.py`` is the only module that imports Optuna; the Hydra side lives in the
``hydra_plugins.trackbench_optuna_sweeper`` plugin, which drives a study through it.
"""
