"""Scoring against ground truth: official (TrackEval) CLEAR matching, identity and CLEAR counts
through py-motmetrics, HOTA through motrics, per camera, per window and pooled.

One file per job: ``frames`` (what every metric reads), ``matching`` (the official per-frame
assignment), ``clear`` (py-motmetrics, its only importer), ``hota`` (motrics, its only
importer), ``counts`` (the one pooling rule), ``windows`` and ``score`` (a camera and a pool).
The hypothesis rows scored come from ``trackbench.tracking.hypotheses`` (NumPy only: the camera
workers build them without importing this package).
"""

from trackbench.scoring.counts import COUNT_METRICS, METRICS, RATIO_METRICS, WINDOW_METRICS, Counts
from trackbench.scoring.hota import HOTA_METRICS
from trackbench.scoring.score import MATCHING_MODES, CameraScores, Scores, score, score_camera, summarize
from trackbench.scoring.windows import WindowScores
from trackbench.tracking.hypotheses import FRAME_MODES, FrameMode, hypotheses_from_reported, hypotheses_from_tracklets

__all__ = [
    "COUNT_METRICS",
    "FRAME_MODES",
    "HOTA_METRICS",
    "MATCHING_MODES",
    "METRICS",
    "RATIO_METRICS",
    "WINDOW_METRICS",
    "CameraScores",
    "Counts",
    "FrameMode",
    "Scores",
    "WindowScores",
    "hypotheses_from_reported",
    "hypotheses_from_tracklets",
    "score",
    "score_camera",
    "summarize",
]
