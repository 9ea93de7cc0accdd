"""HOTA is computed by motrics from the scored boxes (it computes their IoUs itself), not from
the IoU matrices CLEAR and identity read. That is exact only because motrics' box IoU repeats
ours operation for operation: these tests hold the two bit-identical, on random boxes (edge
cases included) and on every real sequence of the TrackEval parity cases, and hold the HOTA
sums from boxes equal to those from our IoU matrices."""

from __future__ import annotations

import motrics
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from tests.test_scoring_parity import CASES, ground_truth, gt_root_of, hypotheses, tracker_file
from trackbench.datasets.iou import box_iou, corners
from trackbench.scoring.frames import prepare
from trackbench.scoring.hota import HOTA_ROWS, HotaFrames

# Pixel-like coordinates (MOTChallenge files hold integers and decimals, negative x/y occur),
# with zero, tiny and huge sizes; equal boxes arise from the small value pool.
coordinate = st.one_of(
    st.integers(-50, 2000).map(float),
    st.floats(-50, 2000, allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, 0.5, 1.0, 1e-9, 1e6, 10.25]),
)
size = st.one_of(
    st.integers(0, 600).map(float),
    st.floats(0, 600, allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, 1e-9, 1.0, 3.3]),
)


@st.composite
def boxes(draw: st.DrawFn, max_rows: int = 8) -> np.ndarray:
    n = draw(st.integers(0, max_rows))
    xy = draw(arrays(np.float64, (n, 2), elements=coordinate))
    wh = draw(arrays(np.float64, (n, 2), elements=size))
    return np.c_[xy, wh].reshape(-1, 4)


def motrics_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    rows = motrics.iou_matrix(corners(a), corners(b), box_format="xyxy")
    return np.array(rows, np.float64).reshape(len(a), len(b))


@settings(max_examples=300, deadline=None)
@given(boxes(), boxes())
def test_motrics_box_iou_is_bit_identical_to_ours(a: np.ndarray, b: np.ndarray) -> None:
    ours = box_iou(a[:, None, :], b[None, :, :]).reshape(len(a), len(b))
    theirs = motrics_iou(a, b)
    assert np.array_equal(ours.view(np.int64), theirs.view(np.int64))  # bits, so -0.0 != 0.0 too


def test_corners_are_the_iou_arithmetic() -> None:
    b = np.array([[0.1, 0.2, 0.3, 0.7], [-5.0, 3.0, 0.0, 2.5]])
    c = corners(b)
    assert c.flags.c_contiguous and c.dtype == np.float64
    assert c.tolist() == [[0.1, 0.2, 0.1 + 0.3, 0.2 + 0.7], [-5.0, 3.0, -5.0, 5.5]]


def similarity_counts(pairs) -> np.ndarray:
    """The HOTA sums motrics gives from our IoU matrices (what HotaFrames did before)."""
    gt_ids = [g.tolist() for g in pairs.gt_ids]
    m = motrics.compute_hota_from_similarity(gt_ids, [h.tolist() for h in pairs.hyp_ids], list(pairs.ious))
    tp = np.asarray(m.hota_tp_alphas)
    fields = (m.hota_fn_alphas, m.hota_fp_alphas, m.assa_alphas, m.ass_re_alphas, m.ass_pr_alphas, m.loca_alphas)
    return np.vstack([tp, *(np.asarray(f) * (tp if k > 1 else 1) for k, f in enumerate(fields))])


@pytest.mark.parametrize(("benchmark", "seq", "tracker"), CASES, ids=[f"{c[1]}:{c[2]}" for c in CASES])
def test_real_sequences_give_the_same_ious_and_hota_from_boxes(benchmark: str, seq: str, tracker: str) -> None:
    root = gt_root_of(benchmark, seq)
    gt = ground_truth(root / seq / "gt" / "gt.txt", benchmark)
    pairs = prepare(gt, hypotheses(tracker_file(benchmark, seq, tracker)))
    for iou, g, h in zip(pairs.ious, pairs.gt_boxes, pairs.hyp_boxes, strict=True):
        assert g.flags.c_contiguous and h.flags.c_contiguous
        theirs = np.array(motrics.iou_matrix(g, h, box_format="xyxy"), np.float64).reshape(iou.shape)
        assert np.array_equal(iou.view(np.int64), theirs.view(np.int64))
    from_boxes = HotaFrames.of(pairs).counts(0, len(pairs.frames))
    assert from_boxes.shape == (len(HOTA_ROWS), 19)
    assert np.array_equal(from_boxes, similarity_counts(pairs))
