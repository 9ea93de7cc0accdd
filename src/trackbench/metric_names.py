"""The names of the overall metrics a run produces (metrics.json's ``overall``), without the
scoring imports: config validation checks ``objective.metric`` against them before any work."""

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
