"""Hyperparameter studies: search spaces, study storage, per-trial reporting and pruning.

Optuna's one door is this package: ``study.py`` (storage, ask and tell, pruning) and its
sibling ``learned.py`` (what a study learned, drawn with Optuna's importance and plotting
tools) are the only modules that import it. The Hydra side lives in the
``hydra_plugins.trackbench_optuna_sweeper`` plugin, which drives a study through them.
"""
