"""eval.frames=reported: Python and C++ runs of the same kind and options score the same.

Counts exact, ratios to 1e-9, and their MOTChallenge files hold the same rows (frame, id) with
boxes equal to float32 rounding (the C++ builds compute in float32), for every native kind, on
the synthetic fish tank and on the first 200 frames of MOT17-09-FRCNN from ../shared/data.
Skipped, with the reason, where a C++ build or the shared data is unavailable.

The one exception, measured: the mean-IoU metrics (MOTP, LocA) of ByteTrack and BoT-SORT, whose
reported boxes are their Kalman states and differ by up to 1.2e-4 px (two float32 steps at
500 px), agree to 2.6e-8 relative, not 1e-9 (OC-SORT and SFSORT: identical boxes and scores;
OccluBoost: MOTP/LocA 7.7e-10).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from trackbench import artifacts
from trackbench.config import AppConfig, DatasetConfig, EvalConfig, MlflowConfig, RunnerConfig
from trackbench.datasets.factory import open_dataset
from trackbench.datasets.motfile import read_results
from trackbench.datasets.synthetic import SyntheticConfig
from trackbench.experiment import runner
from trackbench.scoring import COUNT_METRICS, HOTA_METRICS, RATIO_METRICS
from trackbench.tracking.config import OcSortOptions, TrackingConfig
from trackbench.tracking.kinds import NATIVE_KINDS

from .shared_data import shared
from .tracking.test_native import BOX_ATOL, need_native

SYNTHETIC = DatasetConfig(synthetic=SyntheticConfig(n_cameras=2, n_fish=6, n_frames=200))
REAL_SEQUENCE = "MOT17-09-FRCNN"
# Means of IoU over the matches: they move with the last float32 bits of a box, not with counts.
LOCALISATION = ("motp", "loca")


def _real() -> DatasetConfig:
    root = shared("mot17")
    shared("mot17", REAL_SEQUENCE, "det", "det.txt")
    return DatasetConfig(name="mot", root=str(root), cameras=(REAL_SEQUENCE,), first_frame=1, last_frame=200)


def _run(kind: str, backend: str, dataset: DatasetConfig, out: Path, **options) -> runner.RunResult:
    cfg = AppConfig(
        tracker=TrackingConfig(tracker_kind=kind, backend=backend, **options),
        dataset=dataset,
        runner=RunnerConfig(workers=1, progress="never", batch_size=37),
        eval=EvalConfig(frames="reported"),
        mlflow=MlflowConfig(enabled=False),
    )
    result = runner.run(open_dataset(cfg.dataset), cfg, out)
    artifacts.publish(out)  # mot/ and tracklets/ into place, as the app does once every camera is scored
    return result


def _same_metrics(python: dict[str, float], cpp: dict[str, float], where: str) -> None:
    assert set(python) == set(cpp)
    for key in COUNT_METRICS:
        assert python[key] == cpp[key], f"{where}: {key}"
    for key in RATIO_METRICS + HOTA_METRICS:
        a, b = python[key], cpp[key]
        rel = 1e-7 if key in LOCALISATION else 1e-9
        assert (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=rel, abs=1e-9), f"{where}: {key}"


def _same_rows(python_file: Path, cpp_file: Path, kind: str) -> int:
    py, cc = read_results(python_file), read_results(cpp_file)
    assert py.frames.tolist() == cc.frames.tolist(), f"{python_file.name}: the same frames"
    assert py.ids.tolist() == cc.ids.tolist(), f"{python_file.name}: the same ids"
    assert np.abs(py.boxes - cc.boxes).max(initial=0.0) <= BOX_ATOL[kind]
    return len(py.frames)


def _check_parity(kind: str, dataset: DatasetConfig, tmp_path: Path, **options) -> None:
    need_native(kind)
    python = _run(kind, "python", dataset, tmp_path / "python", **options)
    cpp = _run(kind, "cpp", dataset, tmp_path / "cpp", **options)
    _same_metrics(python.scores.overall, cpp.scores.overall, "overall")
    for camera in python.scores.per_camera:
        _same_metrics(python.scores.per_camera[camera], cpp.scores.per_camera[camera], camera)
        rows = _same_rows(
            tmp_path / "python" / "mot" / f"{camera}.txt", tmp_path / "cpp" / "mot" / f"{camera}.txt", kind
        )
        assert rows > 0, f"{camera}: boxmot reported rows"
    assert python.scores.overall["num_matches"] > 0


@pytest.mark.slow
@pytest.mark.parametrize("kind", NATIVE_KINDS)
def test_reported_scores_match_across_backends_on_the_fish_tank(kind, tmp_path):
    _check_parity(kind, SYNTHETIC, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("kind", NATIVE_KINDS)
def test_reported_scores_match_across_backends_on_mot17(kind, tmp_path):
    _check_parity(kind, _real(), tmp_path)


# Trial 3 of a 20-trial OC-SORT study (scripts/bench_native_sweep.py, 2026-12-02) scored IDF1
# 0.61609 in Python and 0.61617 in C++ before the C++ build was given the observation history
# the Python one keeps (max_obs raised to max_coast_frames + 5): on camera cam2 a track re-found
# after 54 missed frames was re-updated from its pre-gap observation in Python only.
SWEEP_TRIAL_3 = {
    "max_coast_frames": 55, "n_init": 5, "iou_threshold": 0.14252210568488896, "det_thresh": 0.2195273916164412,
    "ocsort": OcSortOptions(inertia=0.08491520978228445, delta_t=5, asso_func="diou", use_byte=False),
}  # fmt: skip


@pytest.mark.slow
def test_a_coast_past_the_observation_history_scores_the_same_on_both_backends(tmp_path):
    _check_parity("ocsort", DatasetConfig(cameras=("cam2",)), tmp_path, **SWEEP_TRIAL_3)


@pytest.mark.slow
@pytest.mark.parametrize("kind", NATIVE_KINDS)
def test_every_native_kind_with_a_long_coast_scores_the_same_on_both_backends(kind, tmp_path):
    _check_parity(kind, DatasetConfig(cameras=("cam2",)), tmp_path, max_coast_frames=55)
