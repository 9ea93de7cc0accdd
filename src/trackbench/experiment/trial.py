"""The job's side of an Optuna trial: report the objective as it goes, stop when pruned.

The experiment never imports Optuna nor the study: whoever runs a job as a trial (the
``trackbench`` command, for the Optuna sweeper) opens the trial with
:func:`trackbench.sweeps.tuning.study.open_report` and hands it in as a :data:`TrialOpener`.
The hook the runner calls is :class:`CameraReporter`. The step is the number of frames scored
so far, cameras taken in camera order: each finished camera, and (``tuning.report_frames``, one
worker) every N frames within a camera. The value is the objective pooled over the cameras
finished and the current camera's frames so far (the same pooling as the final objective, so
the last step, all frames, equals it). Steps count frames so that they mean the same in every
trial of a study, whichever trials also reported within cameras.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trackbench.experiment.runner import CameraOutcome
    from trackbench.scoring import CameraScores

RUN_ATTR = "trackbench.mlflow_run_id"  # Optuna user attr of a trial: its job's MLflow run
PROCESS_ATTR = "trackbench.process"  # ... and "<host>:<pid>" of the job process running it


@dataclass(frozen=True)
class PrunedTrial:
    """What a pruned job returns to the sweeper instead of its objective."""

    step: int
    value: float


class TrialPruned(Exception):
    """Raised inside a job when the study's pruner stops its trial."""

    def __init__(self, step: int, value: float) -> None:
        super().__init__(f"trial pruned at step {step} (objective so far {value:.6g})")
        self.step = step
        self.value = value


Report = Callable[[int, float], bool]  # (step, value) -> should the trial stop?
SetAttr = Callable[[str, Any], None]  # (key, value): a user attr of the trial
Trial = tuple[Report, SetAttr]  # a job's trial, as a TrialOpener returns it
TrialOpener = Callable[[str, str, int], Trial]  # (storage, study name, trial number) -> its Trial


class CameraReporter:
    """Called with each finished camera's outcome (in camera order), and through
    :meth:`prefix` with a camera's scores so far; raises :class:`TrialPruned` when the pruner
    stops the trial. The step of all ``total_frames`` frames is reported but never stops it:
    the trial is done, and its objective is that value (a rung-based pruner such as successive
    halving would otherwise throw a finished trial away)."""

    def __init__(
        self,
        report: Report,
        pool: Callable[[dict[str, CameraScores]], dict[str, float]],
        metric: str,
        direction: str,
        total_frames: int | None = None,
    ) -> None:
        self._report = report
        self._pool = pool  # per-camera scores -> pooled overall metrics
        self._metric = metric
        self._worst = -math.inf if direction == "maximize" else math.inf
        self._scores: dict[str, CameraScores] = {}
        self._frames = 0  # frames of the cameras finished
        self._total = total_frames

    def __call__(self, outcome: CameraOutcome) -> None:
        self._scores[outcome.camera_id] = outcome.scores
        self._frames += outcome.n_frames
        self._step(self._frames, self._scores)

    def prefix(self, camera_id: str, frames: int, scores: CameraScores) -> None:
        """The camera not finished yet: its first ``frames`` frames scored as ``scores``."""
        self._step(self._frames + frames, {**self._scores, camera_id: scores})

    def _step(self, step: int, scores: dict[str, CameraScores]) -> None:
        value = self._pool(scores).get(self._metric, math.nan)
        value = self._worst if math.isnan(value) else float(value)
        if self._report(step, value) and step != self._total:
            raise TrialPruned(step, value)
