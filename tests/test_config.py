"""Start-up validation: every bad key or value is one line naming it."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from trackbench.config import AppConfig, load_config
from trackbench.errors import TrackbenchError


def tree(**overrides) -> dict:
    base = asdict(AppConfig())
    for dotted, value in overrides.items():
        node = base
        *parents, leaf = dotted.split("__")
        for p in parents:
            node = node[p]
        node[leaf] = value
    return base


def test_defaults_load():
    assert load_config(tree()) == AppConfig()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"tracker__ocsort__inertai": 0.1}, "unknown config key 'tracker.ocsort.inertai'"),
        ({"runner__batch_size": "100"}, "runner.batch_size: expected int"),
        ({"runner__checkpoint_frames": -1}, "runner.checkpoint_frames must be >= 0"),
        ({"eval__frames": "coasted"}, "eval.frames='coasted' is not allowed"),
        ({"eval__iou_threshold": 0.0}, "eval.iou_threshold must lie in (0, 1]"),
        ({"tracker__tracker_kind": "strongsort"}, "ReID"),
        ({"tracker__backend": "cpp", "eval__frames": "interior"}, "tracker.backend=cpp does not give"),
        ({"tracker__backend": "cpp", "eval__frames": "detected"}, "use eval.frames=reported"),
        ({"dataset__synthetic__miss_rate": 3.0}, "miss_rate"),
        ({"dataset__name": "mot"}, "dataset.root"),
        ({"eval__matching": "devkit"}, "eval.matching='devkit' is not allowed; choose one of official, motmetrics"),
        ({"eval__window_frames": 0}, "eval.window_frames must be >= 1"),
        ({"tracker__tracker_kind": "precomputed"}, "tracker.results_dir must name a folder"),
    ],
)
def test_bad_values_name_the_key(overrides, message):
    with pytest.raises(TrackbenchError) as info:
        load_config(tree(**overrides))
    assert message in str(info.value)
    assert "\n" not in str(info.value)
