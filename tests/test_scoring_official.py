"""The official scorer against TrackEval's own metric classes on random crowded scenes, and
the window semantics (counts sum to the run; one window is the run)."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trackbench import scoring
from trackbench.datasets.base import BoxTable
from trackbench.scoring.frames import FramePairs, prepare
from trackbench.scoring.windows import window_bounds

trackeval = pytest.importorskip("trackeval")

# (TrackEval field, ours) compared exactly / to 1e-9.
EXACT = [("CLR_FP", "num_false_positives"), ("CLR_FN", "num_misses"), ("IDSW", "num_switches")]
EXACT += [("MT", "mostly_tracked"), ("PT", "partially_tracked"), ("ML", "mostly_lost"), ("Frag", "num_fragmentations")]
EXACT += [("IDTP", "idtp"), ("IDFP", "idfp"), ("IDFN", "idfn")]
CLOSE = [("MOTA", "mota"), ("MOTP", "motp"), ("IDF1", "idf1"), ("IDP", "idp"), ("IDR", "idr")]
HOTA = [("HOTA", "hota"), ("DetA", "deta"), ("AssA", "assa"), ("LocA", "loca"), ("DetRe", "detre")]
HOTA += [("DetPr", "detpr"), ("AssRe", "assre"), ("AssPr", "asspr")]


def trackeval_data(pairs: FramePairs, first: int, last: int) -> dict:
    """TrackEval's ``eval_sequence`` input for frames first..last (ids remapped to 0..n-1)."""
    gt_all = np.unique(np.concatenate([np.empty(0, np.int64), *pairs.gt_ids]))
    hyp_all = np.unique(np.concatenate([np.empty(0, np.int64), *pairs.hyp_ids]))
    by_frame = dict(zip(pairs.frames, zip(pairs.gt_ids, pairs.hyp_ids, pairs.ious, strict=True), strict=True))
    data: dict = {"gt_ids": [], "tracker_ids": [], "similarity_scores": []}
    for frame in range(first, last + 1):
        g, h, iou = by_frame.get(frame, (np.empty(0, np.int64), np.empty(0, np.int64), np.zeros((0, 0))))
        data["gt_ids"].append(np.searchsorted(gt_all, g))
        data["tracker_ids"].append(np.searchsorted(hyp_all, h))
        data["similarity_scores"].append(iou.reshape(len(g), len(h)))
    data.update(
        num_timesteps=last - first + 1,
        num_gt_ids=len(gt_all),
        num_tracker_ids=len(hyp_all),
        num_gt_dets=sum(len(g) for g in data["gt_ids"]),
        num_tracker_dets=sum(len(h) for h in data["tracker_ids"]),
    )
    return data


def trackeval_scores(data: dict, threshold: float = 0.5) -> dict:
    out: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        for metric in (trackeval.metrics.CLEAR, trackeval.metrics.Identity):
            out.update(metric({"PRINT_CONFIG": False, "THRESHOLD": threshold}).eval_sequence(data))
        out.update(trackeval.metrics.HOTA({"PRINT_CONFIG": False}).eval_sequence(data))
    return out


def assert_equal_to_trackeval(ours: dict, theirs: dict, exact: list = EXACT) -> None:
    for field, name in exact:
        assert ours[name] == theirs[field], name
    for field, name in CLOSE:
        if np.isnan(ours[name]):  # undefined (0/0): NaN for us, 0 for TrackEval's max(1, .) guard
            assert theirs[field] == 0, name
            continue
        assert ours[name] == pytest.approx(theirs[field], abs=1e-9), name
    for field, name in HOTA:
        assert ours[name] == pytest.approx(float(np.mean(theirs[field])), abs=1e-9), name


def table(rows: list[tuple[int, int, int, int, int, int]]) -> BoxTable:
    a = np.asarray(rows, np.float64).reshape(-1, 6)
    return BoxTable(
        a[:, 0].astype(np.int64), a[:, 1].astype(np.int64), a[:, 2:6].copy(), np.ones(len(a)), np.zeros(len(a), bool)
    )


# Small integer boxes crowded on a grid: ties, several pairable boxes per row and column,
# frames without gt or without hypotheses are all common.
rows = st.lists(
    st.tuples(
        st.integers(1, 8), st.integers(0, 5), st.integers(0, 4), st.integers(0, 4), st.integers(2, 8), st.integers(3, 8)
    ),
    max_size=50,
    unique_by=lambda r: (r[0], r[1]),
)


@settings(max_examples=200, deadline=None)
@given(gt_rows=rows, hyp_rows=rows, threshold=st.sampled_from([0.3, 0.5, 0.7]))
def test_official_scores_equal_trackeval(gt_rows: list, hyp_rows: list, threshold: float) -> None:
    gt, hyp = table(gt_rows), table(hyp_rows)
    ours = scoring.score_camera(gt, hyp, threshold).metrics
    theirs = trackeval_scores(trackeval_data(prepare(gt, hyp), 1, 8), threshold)
    if theirs["CLR_TP"] + theirs["CLR_FN"] == 0:  # no gt: TrackEval divides by max(1, 0), we say NaN
        assert np.isnan(ours["mota"]) and ours["num_false_positives"] == theirs["CLR_FP"]
        return
    assert_equal_to_trackeval(ours, theirs)


@settings(max_examples=100, deadline=None)
@given(gt_rows=rows, hyp_rows=rows, size=st.integers(1, 9))
def test_window_counts_sum_to_the_run(gt_rows: list, hyp_rows: list, size: int) -> None:
    gt, hyp = table(gt_rows), table(hyp_rows)
    cam = scoring.score_camera(gt, hyp, window_frames=size, frame_range=(1, 8))
    assert [(w.first, w.last) for w in cam.windows] == list(window_bounds(1, 8, size))
    for key in ("num_objects", "num_predictions", "num_matches", "num_switches", "num_false_positives", "num_misses"):
        assert sum(w.counts.clear[key] for w in cam.windows) == cam.counts.clear[key], key
    assert sum(w.counts.clear["motp_sum"] for w in cam.windows) == pytest.approx(cam.counts.clear["motp_sum"])
    # The run's identity assignment, attributed to frames, adds up to the run's IDTP.
    assert sum(w.counts.clear["idtp_run"] for w in cam.windows) == cam.counts.clear["idtp"]
    # HOTA's TP/FN/FP do not add up: its matching weighs each pair by its association over the
    # whole sequence scored, which for a window is the window (tested below against TrackEval).
    hota_sum = sum(w.counts.hota for w in cam.windows)
    assert np.array_equal(hota_sum[0] + hota_sum[1], cam.counts.hota[0] + cam.counts.hota[1])  # gt boxes


@settings(max_examples=60, deadline=None)
@given(gt_rows=rows, hyp_rows=rows)
def test_one_window_covering_all_frames_is_the_run(gt_rows: list, hyp_rows: list) -> None:
    gt, hyp = table(gt_rows), table(hyp_rows)
    cam = scoring.score_camera(gt, hyp, window_frames=8, frame_range=(1, 8))
    (window,) = cam.windows
    whole = cam.counts
    assert {k: window.counts.clear[k] for k in window.counts.clear} == {k: whole.clear[k] for k in window.counts.clear}
    assert np.array_equal(window.counts.hota, whole.hota)


@settings(max_examples=60, deadline=None)
@given(gt_rows=rows, hyp_rows=rows, size=st.integers(1, 5))
def test_window_identity_and_hota_are_the_windows_own_sequence(gt_rows: list, hyp_rows: list, size: int) -> None:
    """A window scores as if its frames were a sequence of their own (TrackEval on the slice);
    its CLEAR counts are the run's matching, so only identity and HOTA are compared."""
    gt, hyp = table(gt_rows), table(hyp_rows)
    cam = scoring.score_camera(gt, hyp, window_frames=size, frame_range=(1, 8))
    pairs = prepare(gt, hyp)
    for w in cam.windows:
        theirs = trackeval_scores(trackeval_data(pairs.between(w.first, w.last), w.first, w.last))
        ours = scoring.counts.metrics_from_counts(w.counts)
        for field, name in [("IDTP", "idtp"), ("IDFP", "idfp"), ("IDFN", "idfn")]:
            assert ours[name] == theirs[field]
        for field, name in HOTA:
            assert ours[name] == pytest.approx(float(np.mean(theirs[field])), abs=1e-9), name


def test_pooled_windows_equal_trackeval_combined_over_cameras() -> None:
    rng = np.random.default_rng(3)
    per_camera, theirs = {}, {}
    for c in range(3):
        gt = table([(f, i, int(rng.integers(0, 30)), 0, 8, 8) for f in range(1, 21) for i in range(4)])
        hyp_rows = [(f, i + 10 * (f > 10), x + int(rng.integers(-2, 3)), 0, 8, 8) for f, i, x, *_ in gt_rows(gt)]
        hyp = table([r for r in hyp_rows if rng.random() > 0.1])
        per_camera[f"c{c}"] = scoring.score_camera(gt, hyp, window_frames=10, frame_range=(1, 20))
        theirs[f"c{c}"] = trackeval_scores(trackeval_data(prepare(gt, hyp).between(11, 20), 11, 20))
    pooled = scoring.summarize(per_camera).pooled_windows
    assert [(w.first, w.last) for w in pooled] == [(1, 10), (11, 20)]
    with contextlib.redirect_stdout(io.StringIO()):
        combined = trackeval.metrics.HOTA({"PRINT_CONFIG": False}).combine_sequences(theirs)
        identity = trackeval.metrics.Identity({"PRINT_CONFIG": False}).combine_sequences(theirs)
    ours = scoring.counts.metrics_from_counts(pooled[1].counts)
    for field, name in HOTA:
        assert ours[name] == pytest.approx(float(np.mean(combined[field])), abs=1e-9), name
    assert ours["idf1"] == pytest.approx(identity["IDF1"], abs=1e-9)


def gt_rows(t: BoxTable) -> list[tuple[int, int, int]]:
    return [(int(f), int(i), int(b[0])) for f, i, b in zip(t.frames, t.ids, t.boxes, strict=True)]
