"""A dataset exported as a MOTChallenge folder tracks and scores exactly as the original."""

from __future__ import annotations

from trackbench.config import AppConfig, RunnerConfig
from trackbench.datasets.export import export_mot
from trackbench.datasets.mot import MotDataset
from trackbench.datasets.synthetic import SyntheticConfig, SyntheticDataset
from trackbench.experiment.runner import run


def test_exported_synthetic_folder_gives_identical_results(tmp_path):
    synthetic = SyntheticDataset(SyntheticConfig(n_cameras=2, n_fish=5, n_frames=80, seed=3))
    export_mot(synthetic, tmp_path)
    folder = MotDataset(tmp_path, target_classes=None)
    cfg = AppConfig(runner=RunnerConfig(batch_size=30, workers=1, progress="never"))
    a, b = run(synthetic, cfg), run(folder, cfg)
    assert [c.tracklets for c in a.cameras] == [c.tracklets for c in b.cameras]
    assert a.scores == b.scores
