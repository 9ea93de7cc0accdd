"""postprocess=linear|gsi|gbrc: trackbench's post-processed rows are boxmot's functions' output.

The reference calls boxmot.postprocessing directly (tests may; src/ may not, outside the
adapter) on the MOT result file trackbench writes for the same rows, loaded as boxmot's own
file workers load it, so both sides start from the same numbers.
"""

from __future__ import annotations

import numpy as np
import pytest
from boxmot.postprocessing import gbrc, gsi

from trackbench.artifacts import write_mot_table
from trackbench.config import PostprocessConfig
from trackbench.datasets.base import BoxTable
from trackbench.experiment.postprocess import from_mot_rows, mot_rows, postprocessed
from trackbench.tracking.hypotheses import hypotheses_from_tracklets

from .scenes import scene
from .test_stage import whole

CONFIGS = {
    "linear": PostprocessConfig(method="linear", interval=12),
    "gsi": PostprocessConfig(method="gsi", interval=12, tau=6.0),
    "gbrc": PostprocessConfig(method="gbrc", interval=12, n_estimators=40, learning_rate=0.1, min_samples_split=4),
}


def reference(cfg: PostprocessConfig, data: np.ndarray) -> np.ndarray:
    """boxmot's functions, as its GSI and GBRC file workers chain them."""
    if cfg.method == "gbrc":
        filled = gbrc.linear_interpolation(data, cfg.interval)
        return gbrc.gradient_boosting_smooth(
            filled, n_estimators=cfg.n_estimators, learning_rate=cfg.learning_rate,
            min_samples_split=cfg.min_samples_split,
        )  # fmt: skip
    filled = gsi.linear_interpolation(data, cfg.interval)
    return filled if cfg.method == "linear" else gsi.gaussian_smooth(filled, cfg.tau)


def tracked_rows(seed: int) -> BoxTable:
    """A tracker's detected rows on a scene with misses: tracks with gaps of several lengths."""
    tracklets = whole("ocsort", {"c": scene(seed, n_frames=90, n_targets=5, miss=0.25)}, max_coast_frames=15)
    return hypotheses_from_tracklets(tracklets, "detected")


@pytest.mark.parametrize("method", sorted(CONFIGS))
@pytest.mark.parametrize("seed", [0, 1])
def test_rows_are_boxmots_output_on_the_written_file(tmp_path, method, seed):
    cfg = CONFIGS[method]
    table = tracked_rows(seed)
    path = tmp_path / "c.txt"
    write_mot_table(path, table)
    expected = reference(cfg, np.loadtxt(path, delimiter=",", ndmin=2))
    ours = postprocessed(cfg, table)
    order = np.lexsort((expected[:, 1], expected[:, 0]))
    np.testing.assert_array_equal(ours.frames, expected[order, 0])  # whole frame numbers, as boxmot's (rounded)
    np.testing.assert_array_equal(ours.ids, expected[order, 1])
    np.testing.assert_array_equal(ours.boxes, expected[order, 2:6])  # exactly: no rounding to pixels
    assert len(ours.frames) > len(table.frames), "the scene's gaps were filled"
    assert not ours.distractor.any() and (ours.confidences == 1.0).all()
    assert (np.diff(ours.frames) >= 0).all(), "sorted by frame, then id, as mot/ files are"


@pytest.mark.parametrize("method", sorted(CONFIGS))
def test_same_rows_give_byte_identical_output(method):
    table = tracked_rows(2)
    a, b = postprocessed(CONFIGS[method], table), postprocessed(CONFIGS[method], table)
    for field in ("frames", "ids", "boxes", "confidences"):
        assert getattr(a, field).tobytes() == getattr(b, field).tobytes(), field


def test_linear_fills_only_gaps_shorter_than_the_interval():
    """boxmot's rule: frames strictly between prev + 1 < cur < prev + interval are filled."""
    boxes = np.array([[0.0, 0, 10, 10], [4.0, 0, 10, 10], [4.0, 0, 10, 10], [10.0, 2, 10, 10]])
    table = BoxTable(np.array([1, 4, 10, 20]), np.array([1, 1, 1, 1]), boxes, np.ones(4), np.zeros(4, bool))
    out = postprocessed(PostprocessConfig(method="linear", interval=7), table)
    assert out.frames.tolist() == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20]  # gap 2 and 5 filled, gap 9 not
    np.testing.assert_allclose(out.boxes[1:3, 0], [4 / 3, 8 / 3])
    assert postprocessed(PostprocessConfig(method="linear", interval=6), table).frames.tolist() == [1, 2, 3, 4, 10, 20]


def test_none_and_empty_tables_pass_through():
    table = tracked_rows(0)
    assert postprocessed(PostprocessConfig(), table) is table
    empty = BoxTable.empty()
    assert postprocessed(CONFIGS["gsi"], empty) is empty


def test_mot_rows_round_trip():
    table = tracked_rows(0)
    back = from_mot_rows(mot_rows(table))
    for field in ("frames", "ids", "boxes", "confidences", "distractor"):
        np.testing.assert_array_equal(getattr(back, field), getattr(table, field))
