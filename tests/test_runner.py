"""The runner: results do not depend on how a camera's frames are batched or checkpointed."""

from __future__ import annotations

from dataclasses import replace

from trackbench import runner
from trackbench.config import AppConfig, DatasetConfig, RunnerConfig
from trackbench.datasets.factory import open_dataset
from trackbench.datasets.synthetic import SyntheticConfig
from trackbench.tracking import stage as stage_module

BASE = AppConfig(
    dataset=DatasetConfig(synthetic=SyntheticConfig(n_cameras=2, n_frames=120)),
    runner=RunnerConfig(workers=1, progress="never"),
)


def _tracklets(monkeypatch, **options) -> tuple:
    cfg = replace(BASE, runner=replace(BASE.runner, **options))
    made = []
    real = stage_module.TrackingStage

    def recording(*args, **kwargs):
        stage = real(*args, **kwargs)
        made.append(stage.checkpoint_frames)
        return stage

    monkeypatch.setattr(stage_module, "TrackingStage", recording)  # the runner imports it when tracking
    result = runner.run(open_dataset(cfg.dataset), cfg, None)
    assert made == [cfg.runner.checkpoint_frames] * 2, "each camera's stage gets runner.checkpoint_frames"
    return tuple(c.tracklets for c in result.cameras)


def test_results_do_not_depend_on_batch_size_or_checkpoint_interval(monkeypatch):
    reference = _tracklets(monkeypatch)
    assert all(reference), "both cameras produce tracklets"
    assert _tracklets(monkeypatch, batch_size=7, checkpoint_frames=0) == reference
    assert _tracklets(monkeypatch, batch_size=13, checkpoint_frames=20) == reference
