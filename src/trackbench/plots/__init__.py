"""Every figure trackbench draws, and the only package that imports matplotlib (Agg backend).

- ``charts``: a run's per-camera metrics, windows and timelines, a sweep's and a benchmark's
  comparison, and :func:`~trackbench.plots.charts.save_drawn` (figures saved atomically);
- ``diagnosis``: why a run loses (identity per animal, error maps) and the run-vs-run diff.

Importing this package does not import matplotlib: :func:`~trackbench.plots.charts.load`
imports it (Agg backend) when the first figure is drawn.
"""

from trackbench.plots.charts import (
    plot_benchmark,
    plot_camera_metrics,
    plot_sweep,
    plot_timelines,
    plot_windows,
    save_drawn,
)
from trackbench.plots.diagnosis import (
    errors_per_animal,
    hyp_color,
    plot_camera_diagnosis,
    plot_diff,
    plot_error_map,
    plot_identity,
)

__all__ = [
    "errors_per_animal",
    "hyp_color",
    "plot_benchmark",
    "plot_camera_diagnosis",
    "plot_camera_metrics",
    "plot_diff",
    "plot_error_map",
    "plot_identity",
    "plot_sweep",
    "plot_timelines",
    "plot_windows",
    "save_drawn",
]
