"""The names of the overall metrics a run produces (metrics.json's ``overall``), without the
scoring imports: config validation checks ``objective.metric(s)`` against them before any work."""

RATIO_METRICS = ("mota", "motp", "idf1", "idp", "idr", "precision", "recall")
HOTA_METRICS = ("hota", "deta", "assa", "loca", "detre", "detpr", "assre", "asspr")
# Counts of a frame range (cameras and windows); motp_sum: IoU (official) or 1 - IoU
# (motmetrics) summed over the matches; idtp_run: the whole run's identity assignment's true
# positives in the range (idtp is the range's own assignment), which add up over windows.
RANGE_COUNTS = (
    "num_frames",
    "num_objects",
    "num_predictions",
    "num_matches",
    "num_switches",
    "num_false_positives",
    "num_misses",
    "idtp",
    "idfp",
    "idfn",
    "motp_sum",
    "idtp_run",
)
# Counts that only a whole camera has (distinct ids, per-track rules).
CAMERA_COUNTS = (
    "num_unique_objects",
    "num_predicted_unique_objects",
    "mostly_tracked",
    "partially_tracked",
    "mostly_lost",
    "num_fragmentations",
)
COUNT_METRICS = tuple(k for k in RANGE_COUNTS + CAMERA_COUNTS if k not in ("motp_sum", "idtp_run"))
METRICS = RATIO_METRICS + HOTA_METRICS + COUNT_METRICS
# Measured, not scored: metrics.json's ``timing`` (never compared byte for byte); an objective may name them.
TIMING_METRICS = ("tracker_ms_per_frame",)  # the tracker's own CPU time per camera-frame, ms
OBJECTIVE_METRICS = METRICS + TIMING_METRICS
# Counts of errors: smaller is better. (MOTP is not here: official matching reports it as mean IoU,
# higher is better; eval.matching=motmetrics as mean 1 - IoU.)
LOWER_IS_BETTER = frozenset(
    ("num_switches", "num_false_positives", "num_misses", "num_fragmentations", "mostly_lost", "idfp", "idfn")
)


def default_direction(metric: str) -> str:
    """An objective's direction when none is given: minimize error counts and CPU time."""
    return "minimize" if metric in LOWER_IS_BETTER or metric in TIMING_METRICS else "maximize"
