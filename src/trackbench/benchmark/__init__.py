"""Benchmarking tracker kinds: each kind's defaults and its tuned settings on a held-out split.

- ``protocol``: the steps (defaults on tune and test, a study on tune, the best trial on test),
  run as ``trackbench`` commands, and the report folder they leave;
- ``report``: the table of kinds with confidence intervals, as text, Markdown and CSV.

The command is ``trackbench-benchmark`` (:mod:`trackbench.cli.benchmark`).
"""

from trackbench.benchmark.protocol import BenchmarkSettings, check_settings, run_benchmark, study_overrides

__all__ = ["BenchmarkSettings", "check_settings", "run_benchmark", "study_overrides"]
