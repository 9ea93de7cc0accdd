"""The command line: thin entry points that parse, call one room of trackbench and print.

- ``main``: ``trackbench`` (also ``python -m trackbench``), the Hydra app around
  :func:`trackbench.experiment.app.run_experiment`;
- ``benchmark``: ``trackbench-benchmark``; ``diff``: ``trackbench-diff``;
  ``trackbench-gc`` is :mod:`trackbench.record.stale`;
- ``_hydra_errors``: Hydra's errors as one line; ``_help_speed``: ``--help`` without Hydra's
  quadratic cost.

Nothing is re-exported here: ``trackbench-diff`` does not import Hydra.
"""
